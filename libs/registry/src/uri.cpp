#include "amlops/registry/uri.hpp"

#include "amlops/core/error.hpp"

#include <charconv>

namespace amlops::registry {

namespace {

constexpr std::string_view scheme = "azureml://registries/";

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

[[noreturn]] void bad_uri(std::string_view text, const std::string& why) {
    throw error(error_kind::bad_input, "invalid model URI '" + std::string(text) + "': " + why +
                                           " (expected azureml://registries/<registry>/models/<name>/versions/<n>, "
                                           ".../models/<name>@<alias> or .../models/<name>/labels/latest)")
        .on_field("uri");
}

}  // namespace

bool is_valid_name(std::string_view s) {
    if (s.empty() || s.size() > 255 || !is_alnum(s.front())) return false;
    for (char c : s)
        if (!is_alnum(c) && c != '-' && c != '_' && c != '.') return false;
    return true;
}

bool is_valid_alias(std::string_view s) {
    if (s.empty() || s.size() > 64 || !(s.front() >= 'a' && s.front() <= 'z')) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
    return true;
}

void require_valid_name(std::string_view s, std::string_view what) {
    if (!is_valid_name(s))
        throw error(error_kind::bad_input, "invalid " + std::string(what) + " '" + std::string(s) +
                                               "': use 1-255 letters, digits, '-', '_' or '.', starting with a letter or digit");
}

void require_valid_alias(std::string_view s) {
    if (!is_valid_alias(s))
        throw error(error_kind::bad_input, "invalid alias '" + std::string(s) +
                                               "': use 1-64 lower-case letters, digits, '-' or '_', starting with a letter")
            .on_field("alias");
}

model_uri model_uri::parse(std::string_view text) {
    if (!text.starts_with(scheme)) bad_uri(text, "it must start with '" + std::string(scheme) + "'");
    std::string_view rest = text.substr(scheme.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos) bad_uri(text, "no '/models/<name>' after the registry");
    model_uri u;
    u.registry = std::string(rest.substr(0, slash));
    if (!is_valid_name(u.registry)) bad_uri(text, "invalid registry name '" + u.registry + "'");
    rest = rest.substr(slash);
    if (!rest.starts_with("/models/")) bad_uri(text, "expected '/models/' after the registry name");
    rest = rest.substr(8);

    const auto at = rest.find('@');
    const auto sep = rest.find('/');
    if (at != std::string_view::npos && (sep == std::string_view::npos || at < sep)) {
        u.name = std::string(rest.substr(0, at));
        u.alias = std::string(rest.substr(at + 1));
        u.by = selector::alias;
        if (!is_valid_name(u.name)) bad_uri(text, "invalid model name '" + u.name + "'");
        if (!is_valid_alias(u.alias)) bad_uri(text, "invalid alias '" + u.alias + "'");
        return u;
    }
    if (sep == std::string_view::npos) bad_uri(text, "no version, alias or label after the model name");
    u.name = std::string(rest.substr(0, sep));
    if (!is_valid_name(u.name)) bad_uri(text, "invalid model name '" + u.name + "'");
    rest = rest.substr(sep + 1);
    if (rest.starts_with("versions/")) {
        const std::string_view v = rest.substr(9);
        std::int64_t n = 0;
        const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
        if (v.empty() || r.ec != std::errc{} || r.ptr != v.data() + v.size() || n <= 0 || v.front() == '0')
            bad_uri(text, "version '" + std::string(v) + "' is not a positive integer");
        u.by = selector::version;
        u.version = n;
        return u;
    }
    if (rest.starts_with("labels/")) {
        const std::string_view label = rest.substr(7);
        if (label != "latest") bad_uri(text, "unknown label '" + std::string(label) + "' (only 'latest' is supported)");
        u.by = selector::latest;
        return u;
    }
    bad_uri(text, "expected 'versions/<n>', '@<alias>' or 'labels/latest' after the model name");
}

std::string model_uri::to_string() const {
    std::string s = std::string(scheme) + registry + "/models/" + name;
    switch (by) {
    case selector::version: return s + "/versions/" + std::to_string(version);
    case selector::alias: return s + "@" + alias;
    case selector::latest: return s + "/labels/latest";
    }
    return s;
}

model_uri version_uri(std::string registry, std::string name, std::int64_t version) {
    return model_uri{std::move(registry), std::move(name), selector::version, version, {}};
}

model_uri alias_uri(std::string registry, std::string name, std::string alias) {
    return model_uri{std::move(registry), std::move(name), selector::alias, 0, std::move(alias)};
}

}  // namespace amlops::registry
