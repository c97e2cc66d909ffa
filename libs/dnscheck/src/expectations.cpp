#include "amlops/dnscheck/expectations.hpp"

#include "amlops/core/error.hpp"
#include "amlops/dns/resolver.hpp"
#include "amlops/dnscheck/names.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>

namespace amlops::dnscheck {

void check_plan::add(expected_name name) {
    name.fqdn = dns::normalize_name(name.fqdn);
    auto other = counterpart(name.fqdn);
    auto insert = [this](expected_name n) {
        auto it = std::find_if(names.begin(), names.end(), [&](const expected_name& e) { return e.fqdn == n.fqdn; });
        if (it == names.end()) return names.push_back(std::move(n));
        for (const auto& a : n.addresses)
            if (std::find(it->addresses.begin(), it->addresses.end(), a) == it->addresses.end()) it->addresses.push_back(a);
        if (!it->azure && n.azure) it->azure = std::move(n.azure);
    };
    if (other) {
        expected_name pair = name;
        pair.fqdn = *other;
        insert(std::move(name));
        insert(std::move(pair));
    } else {
        insert(std::move(name));
    }
}

void check_plan::add_space(const dns::ip_network& space) {
    auto same = [&](const dns::ip_network& n) { return n.base == space.base && n.prefix == space.prefix; };
    if (std::none_of(address_spaces.begin(), address_spaces.end(), same)) address_spaces.push_back(space);
}

void check_plan::merge(const check_plan& other) {
    for (const auto& n : other.names) add(n);
    for (const auto& s : other.address_spaces) add_space(s);
    skipped.insert(skipped.end(), other.skipped.begin(), other.skipped.end());
}

namespace {

error bad(const std::filesystem::path& file, const YAML::Node& node, const std::string& field, const std::string& message) {
    error e(error_kind::bad_input, message);
    e.in_file(file.string()).on_field(field);
    if (!node.Mark().is_null()) e.at_line(static_cast<std::uint64_t>(node.Mark().line) + 1);
    return e;
}

// A scalar or a list of scalars.
std::vector<YAML::Node> one_or_many(const YAML::Node& node) {
    std::vector<YAML::Node> out;
    if (node.IsSequence()) for (const auto& item : node) out.push_back(item);
    else if (node.IsScalar()) out.push_back(node);
    return out;
}

std::vector<dns::ip_network> read_spaces(const std::filesystem::path& file, const YAML::Node& node, const std::string& field) {
    if (!node.IsScalar() && !node.IsSequence()) throw bad(file, node, field, "expected a CIDR or a list of CIDRs");
    std::vector<dns::ip_network> out;
    for (const auto& item : one_or_many(node)) {
        auto net = item.IsScalar() ? dns::ip_network::parse(item.Scalar()) : std::nullopt;
        if (!net) throw bad(file, item, field, "expected a network like 10.10.0.0/16, got '" + (item.IsScalar() ? item.Scalar() : std::string("?")) + "'");
        out.push_back(*net);
    }
    return out;
}

YAML::Node load_yaml(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw error(error_kind::not_found, "file does not exist").in_file(path.string());
    try {
        return YAML::LoadFile(path.string());
    } catch (const YAML::ParserException& e) {
        throw error(error_kind::bad_input, "not valid YAML/JSON: " + e.msg).in_file(path.string()).at_line(
            static_cast<std::uint64_t>(e.mark.line) + 1);
    } catch (const YAML::Exception& e) {
        throw error(error_kind::io, std::string("cannot read: ") + e.what()).in_file(path.string());
    }
}

bool valid_fqdn(const std::string& name) {
    if (name.empty() || name.size() > 253 || name.find('.') == std::string::npos) return false;
    return std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '.' || c == '_';
    });
}

}  // namespace

check_plan load_expect_file(const std::filesystem::path& path) {
    const YAML::Node root = load_yaml(path);
    if (!root.IsMap()) throw bad(path, root, "(top level)", "expected a mapping of names to addresses, or {names: ..., address_spaces: ...}");
    check_plan plan;
    // Not `names = root["names"]` later: assigning a YAML::Node writes through to the node it refers to.
    const bool wrapped = root["names"] || root["address_spaces"];
    const YAML::Node names = wrapped ? root["names"] : root;
    if (wrapped) {
        if (!names || !names.IsMap()) throw bad(path, names ? names : root, "names", "expected a mapping of FQDN to address(es)");
        if (const auto spaces = root["address_spaces"]) for (const auto& s : read_spaces(path, spaces, "address_spaces")) plan.add_space(s);
        for (const auto& kv : root) {
            const auto key = kv.first.as<std::string>();
            if (key != "names" && key != "address_spaces")
                throw bad(path, kv.first, key, "unknown key (expected 'names' and 'address_spaces')");
        }
    }
    for (const auto& kv : names) {
        const std::string fqdn = dns::normalize_name(kv.first.as<std::string>());
        const std::string field = "names." + fqdn;
        if (!valid_fqdn(fqdn)) throw bad(path, kv.first, field, "not a fully qualified domain name");
        expected_name n{fqdn, {}, "expect-file", std::nullopt};
        const YAML::Node& value = kv.second;
        if (!value.IsNull() && !value.IsScalar() && !value.IsSequence())
            throw bad(path, value, field, "expected an address or a list of addresses");
        for (const auto& item : one_or_many(value)) {
            auto a = item.IsScalar() ? dns::ip_address::parse(item.Scalar()) : std::nullopt;
            if (!a) throw bad(path, item, field, "expected an IP address, got '" + (item.IsScalar() ? item.Scalar() : std::string("?")) + "'");
            if (!dns::is_private(*a))
                throw bad(path, item, field, a->str() + " is not a private address (RFC 1918, RFC 6598 or ULA): a private endpoint never has it");
            n.addresses.push_back(*a);
        }
        plan.add(std::move(n));
    }
    if (plan.names.empty()) throw bad(path, root, "names", "no names to check");
    return plan;
}

}  // namespace amlops::dnscheck
