#include "amlops/http/message.hpp"

#include "amlops/core/error.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace amlops::http {

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::optional<std::string> fields::get(std::string_view name) const {
    for (const auto& [k, v] : items_)
        if (iequals(k, name)) return v;
    return std::nullopt;
}

void fields::set(std::string_view name, std::string value) {
    erase(name);
    items_.emplace_back(std::string(name), std::move(value));
}

void fields::add(std::string name, std::string value) { items_.emplace_back(std::move(name), std::move(value)); }

void fields::erase(std::string_view name) {
    std::erase_if(items_, [&](const value_type& f) { return iequals(f.first, name); });
}

std::string url::authority() const {
    // Built with append(): GCC 12 reports a false -Wrestrict on operator+ chains here.
    std::string out;
    if (host.find(':') != std::string::npos) out.append("[").append(host).append("]");
    else out.append(host);
    const bool default_port = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
    if (!default_port) out.append(":").append(std::to_string(port));
    return out;
}

std::string url::str() const {
    std::string out = scheme;
    out.append("://").append(authority()).append(target);
    return out;
}

namespace {
// Error messages name the URL without its query: a SAS signature must never reach a message.
std::string without_query(std::string_view text) { return std::string(text.substr(0, text.find('?'))); }
}  // namespace

url parse_url(std::string_view text) {
    auto fail = [&](const std::string& why) {
        std::string msg = "invalid URL '";
        msg.append(without_query(text)).append("': ").append(why);
        return error(error_kind::bad_input, msg);
    };
    url u;
    const auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos) throw fail("expected scheme://host");
    for (char c : text.substr(0, scheme_end))
        u.scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (u.scheme != "http" && u.scheme != "https") throw fail("scheme must be http or https");
    std::string_view rest = text.substr(scheme_end + 3);
    const auto path_start = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, path_start);
    std::string_view target = path_start == std::string_view::npos ? std::string_view{} : rest.substr(path_start);
    if (const auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
    if (authority.find('@') != std::string_view::npos) throw fail("user info is not supported");
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) throw fail("unterminated IPv6 literal");
        u.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') throw fail("unexpected text after IPv6 literal");
            port_text = after.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        u.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (u.host.empty()) throw fail("missing host");
    for (auto& c : u.host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    u.port = u.scheme == "https" ? 443 : 80;
    if (!port_text.empty()) {
        unsigned value = 0;
        const auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (ec != std::errc{} || p != port_text.data() + port_text.size() || value == 0 || value > 65535)
            throw fail("bad port");
        u.port = static_cast<std::uint16_t>(value);
    }
    if (target.empty() || target.front() != '/') u.target.push_back('/');
    u.target.append(target);
    return u;
}

std::string percent_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        const auto b = static_cast<unsigned char>(c);
        if (std::isalnum(b) || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(hex[b >> 4]);
            out.push_back(hex[b & 0xF]);
        }
    }
    return out;
}

std::string percent_decode(std::string_view text) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            out.push_back(' ');
        } else if (text[i] == '%') {
            if (i + 2 >= text.size())
                throw error(error_kind::bad_input, "bad percent escape in form/query text");
            const int h = nibble(text[i + 1]);
            const int l = nibble(text[i + 2]);
            if (h < 0 || l < 0) throw error(error_kind::bad_input, "bad percent escape in form/query text");
            out.push_back(static_cast<char>(h * 16 + l));
            i += 2;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& pairs) {
    std::string out;
    for (const auto& [k, v] : pairs) {
        if (!out.empty()) out.push_back('&');
        out += percent_encode(k);
        out.push_back('=');
        out += percent_encode(v);
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> form_decode(std::string_view text) {
    std::vector<std::pair<std::string, std::string>> out;
    while (!text.empty()) {
        const auto amp = text.find('&');
        std::string_view part = text.substr(0, amp);
        if (!part.empty()) {
            const auto eq = part.find('=');
            out.emplace_back(percent_decode(part.substr(0, eq)),
                             eq == std::string_view::npos ? std::string{} : percent_decode(part.substr(eq + 1)));
        }
        if (amp == std::string_view::npos) break;
        text.remove_prefix(amp + 1);
    }
    return out;
}

}  // namespace amlops::http
