#include "amlops/provision/platform.hpp"

#include "amlops/core/error.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace amlops::provision {
namespace {

error config_error(const std::filesystem::path& file, const YAML::Node& node, const std::string& field, const std::string& why) {
    error e(error_kind::config, file.string() + ": " + field + ": " + why);
    e.in_file(file.string()).on_field(field);
    if (node.IsDefined() && !node.Mark().is_null()) e.at_line(static_cast<std::uint64_t>(node.Mark().line) + 1);
    return e;
}

std::string scalar(const YAML::Node& parent, const std::string& key, const std::filesystem::path& file, const std::string& field,
                   const std::string& fallback, bool required) {
    const auto node = parent[key];
    if (!node.IsDefined() || node.IsNull()) {
        if (required) throw config_error(file, parent, field, "is required");
        return fallback;
    }
    if (!node.IsScalar()) throw config_error(file, node, field, "must be a string");
    return node.as<std::string>();
}

bool boolean(const YAML::Node& parent, const std::string& key, const std::filesystem::path& file, const std::string& field, bool fallback) {
    const auto node = parent[key];
    if (!node.IsDefined() || node.IsNull()) return fallback;
    const auto text = node.IsScalar() ? node.as<std::string>() : std::string{};
    if (text == "true") return true;
    if (text == "false") return false;
    throw config_error(file, node, field, "must be true or false, got '" + text + "'");
}

const std::regex guid_re("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
const std::regex cidr_re("^(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d{1,2})$");
const std::regex token_re("^[a-z0-9]+$");

void require_cidr(const std::string& value, const YAML::Node& node, const std::filesystem::path& file, const std::string& field) {
    std::smatch m;
    if (!std::regex_match(value, m, cidr_re)) throw config_error(file, node, field, "must be an IPv4 CIDR such as 10.1.0.0/16, got '" + value + "'");
    for (int i = 1; i <= 4; ++i)
        if (std::stoi(m[i].str()) > 255) throw config_error(file, node, field, "octet out of range in '" + value + "'");
    if (std::stoi(m[5].str()) > 32) throw config_error(file, node, field, "prefix length above 32 in '" + value + "'");
}

/// Naming rules per resource type (Azure's published naming restrictions for each provider).
struct naming_rule {
    const char* type;
    const char* pattern;
    const char* text;
};
const naming_rule naming_rules[] = {
    {"Microsoft.Resources/resourceGroups", "^[-\\w._()]{0,89}[-\\w_()]$", "1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'"},
    {"Microsoft.Network/virtualNetworks", "^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9_]$", "2-64 letters, digits, '_', '.', '-', starting alphanumeric, ending alphanumeric or '_'"},
    {"Microsoft.Network/virtualNetworks/subnets", "^[a-zA-Z0-9]([a-zA-Z0-9_.-]{0,78}[a-zA-Z0-9_])?$", "1-80 letters, digits, '_', '.', '-', starting alphanumeric"},
    {"Microsoft.Network/networkSecurityGroups", "^[a-zA-Z0-9]([a-zA-Z0-9_.-]{0,78}[a-zA-Z0-9_])?$", "1-80 letters, digits, '_', '.', '-', starting alphanumeric"},
    {"Microsoft.Network/bastionHosts", "^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,78}[a-zA-Z0-9_]$", "2-80 letters, digits, '_', '.', '-'"},
    {"Microsoft.Network/publicIPAddresses", "^[a-zA-Z0-9]([a-zA-Z0-9_.-]{0,78}[a-zA-Z0-9_])?$", "1-80 letters, digits, '_', '.', '-'"},
    {"Microsoft.OperationalInsights/workspaces", "^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$", "4-63 letters, digits and '-', starting and ending alphanumeric"},
    {"Microsoft.Insights/components", "^[^%&\\\\?/]{1,260}$", "1-260 characters without %&\\?/"},
    {"Microsoft.Storage/storageAccounts", "^[a-z0-9]{3,24}$", "3-24 lower-case letters and digits"},
    {"Microsoft.KeyVault/vaults", "^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$", "3-24 letters, digits and '-', starting with a letter, ending alphanumeric, no '--'"},
    {"Microsoft.ContainerRegistry/registries", "^[a-zA-Z0-9]{5,50}$", "5-50 letters and digits"},
    {"Microsoft.ManagedIdentity/userAssignedIdentities", "^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$", "3-128 letters, digits, '-', '_', starting alphanumeric"},
    {"Microsoft.MachineLearningServices/workspaces", "^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$", "3-33 letters, digits, '-', '_', starting alphanumeric"},
    {"Microsoft.MachineLearningServices/registries", "^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$", "3-33 letters, digits, '-', '_', starting alphanumeric"},
    {"Microsoft.MachineLearningServices/workspaces/computes", "^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$", "3-24 letters, digits and '-', starting with a letter"},
};

}  // namespace

std::string platform_config::owner_tag() const { return prefix + "-" + purpose + "-" + location_code + "-" + naming_suffix; }

platform_config parse_platform(const std::string& text, const std::filesystem::path& file) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        error err(error_kind::bad_input, file.string() + ": not valid YAML: " + e.msg);
        err.in_file(file.string());
        if (!e.mark.is_null()) err.at_line(static_cast<std::uint64_t>(e.mark.line) + 1);
        throw err;
    }
    if (!root.IsMap()) throw config_error(file, root, "(document)", "must be a mapping");
    static const std::set<std::string> known{"subscription_id", "tenant_id", "deployment_principal_id", "prefix", "purpose", "location",
                                             "location_code", "naming_suffix", "environments", "tags", "options", "compute"};
    for (const auto& kv : root) {
        const auto key = kv.first.as<std::string>();
        if (!known.count(key)) throw config_error(file, kv.first, key, "unknown key (see infra/platform.yaml for the documented keys)");
    }
    platform_config p;
    p.source = file;
    p.subscription_id = scalar(root, "subscription_id", file, "subscription_id", "", true);
    p.tenant_id = scalar(root, "tenant_id", file, "tenant_id", "", true);
    p.deployment_principal_id = scalar(root, "deployment_principal_id", file, "deployment_principal_id", "", true);
    for (const auto& [field, value] : {std::pair{"subscription_id", &p.subscription_id}, {"tenant_id", &p.tenant_id},
                                       {"deployment_principal_id", &p.deployment_principal_id}})
        if (!std::regex_match(*value, guid_re)) throw config_error(file, root[field], field, "must be a GUID, got '" + *value + "'");
    p.prefix = scalar(root, "prefix", file, "prefix", p.prefix, true);
    p.purpose = scalar(root, "purpose", file, "purpose", p.purpose, false);
    p.location = scalar(root, "location", file, "location", p.location, true);
    p.location_code = scalar(root, "location_code", file, "location_code", p.location_code, true);
    p.naming_suffix = scalar(root, "naming_suffix", file, "naming_suffix", p.naming_suffix, true);
    for (const auto& [field, value] : {std::pair{"prefix", &p.prefix}, {"purpose", &p.purpose}, {"location_code", &p.location_code},
                                       {"naming_suffix", &p.naming_suffix}, {"location", &p.location}})
        if (!std::regex_match(*value, token_re))
            throw config_error(file, root[field], field, "must be lower-case letters and digits (it becomes part of resource names), got '" + *value + "'");

    const auto envs = root["environments"];
    if (!envs.IsDefined() || !envs.IsMap()) throw config_error(file, root, "environments", "is required: a mapping with dev and prod");
    for (const char* name : {"dev", "prod"}) {
        const auto e = envs[name];
        const std::string field = std::string("environments.") + name;
        if (!e.IsDefined() || !e.IsMap()) throw config_error(file, envs, field, "is required (address_space, subnet)");
        environment_config ec;
        ec.name = name;
        ec.address_space = scalar(e, "address_space", file, field + ".address_space", "", true);
        ec.subnet_prefix = scalar(e, "subnet", file, field + ".subnet", "", true);
        ec.bastion_prefix = scalar(e, "bastion_subnet", file, field + ".bastion_subnet", "", false);
        require_cidr(ec.address_space, e["address_space"], file, field + ".address_space");
        require_cidr(ec.subnet_prefix, e["subnet"], file, field + ".subnet");
        if (!ec.bastion_prefix.empty()) require_cidr(ec.bastion_prefix, e["bastion_subnet"], file, field + ".bastion_subnet");
        p.environments.push_back(ec);
    }
    for (const auto& kv : envs) {
        const auto key = kv.first.as<std::string>();
        if (key != "dev" && key != "prod") throw config_error(file, kv.first, "environments." + key, "only dev and prod are supported");
    }
    if (p.environments[0].address_space == p.environments[1].address_space)
        throw config_error(file, envs["prod"]["address_space"], "environments.prod.address_space",
                           "must differ from dev's: peered VNets cannot overlap");

    if (const auto tags = root["tags"]; tags.IsDefined()) {
        if (!tags.IsMap()) throw config_error(file, tags, "tags", "must be a mapping of strings");
        for (const auto& kv : tags) {
            const auto key = kv.first.as<std::string>();
            if (!kv.second.IsScalar()) throw config_error(file, kv.second, "tags." + key, "must be a string");
            if (key == owner_tag_name) throw config_error(file, kv.first, "tags." + key, "is reserved: amlops sets the ownership tag itself");
            p.tags[key] = kv.second.as<std::string>();
        }
    }
    if (const auto opts = root["options"]; opts.IsDefined()) {
        if (!opts.IsMap()) throw config_error(file, opts, "options", "must be a mapping");
        for (const auto& kv : opts) {
            const auto key = kv.first.as<std::string>();
            if (key != "bastion" && key != "key_vault_purge_protection" && key != "registries")
                throw config_error(file, kv.first, "options." + key, "unknown option (bastion, key_vault_purge_protection, registries)");
        }
        p.bastion = boolean(opts, "bastion", file, "options.bastion", false);
        p.key_vault_purge_protection = boolean(opts, "key_vault_purge_protection", file, "options.key_vault_purge_protection", true);
        const auto regs = scalar(opts, "registries", file, "options.registries", "per-environment", false);
        if (regs != "per-environment" && regs != "shared")
            throw config_error(file, opts["registries"], "options.registries", "must be per-environment or shared, got '" + regs + "'");
        p.registry_per_environment = regs == "per-environment";
    }
    if (p.bastion)
        for (const auto& e : p.environments)
            if (e.bastion_prefix.empty())
                throw config_error(file, envs[e.name], "environments." + e.name + ".bastion_subnet", "is required when options.bastion is true");
    if (const auto c = root["compute"]; c.IsDefined()) {
        p.compute_vm_size = scalar(c, "vm_size", file, "compute.vm_size", p.compute_vm_size, false);
        const auto n = scalar(c, "max_nodes", file, "compute.max_nodes", "2", false);
        try {
            std::size_t used = 0;
            p.compute_max_nodes = std::stoi(n, &used);
            if (used != n.size() || p.compute_max_nodes < 1 || p.compute_max_nodes > 100) throw std::invalid_argument(n);
        } catch (const std::exception&) {
            throw config_error(file, c["max_nodes"], "compute.max_nodes", "must be an integer in 1..100, got '" + n + "'");
        }
    }
    return p;
}

platform_config load_platform(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw error(error_kind::not_found, "cannot read platform file " + file.string()).in_file(file.string());
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_platform(ss.str(), file);
}

platform_names derive_names(const platform_config& p) {
    platform_names out;
    const std::string tail = p.location_code + p.naming_suffix;  // "cc01": compact resource names
    out.dns_rg = "rg-" + p.prefix + "-dns-" + p.location_code + "-" + p.naming_suffix;
    for (const auto& e : p.environments) {
        environment_names n;
        n.env = e.name;
        auto rg = [&](const std::string& component) { return "rg-" + p.prefix + "-" + component + "-" + e.name + "-" + p.location_code + "-" + p.naming_suffix; };
        n.network_rg = rg("vnet");
        n.workspace_rg = rg("ws");
        n.registry_rg = rg("reg");
        n.vnet = "vnet-" + p.prefix + "-" + e.name + "-" + tail;
        n.subnet = "snet-" + p.prefix + "-" + e.name + "-" + tail;
        n.nsg = "nsg-" + p.prefix + "-" + e.name + "-" + tail;
        n.bastion = "bas-" + p.prefix + "-" + e.name + "-" + tail;
        n.bastion_ip = "pip-bas-" + p.prefix + "-" + e.name + "-" + tail;
        n.peering = "peer-" + e.name + "-to-" + (e.name == "dev" ? "prod" : "dev");
        n.log_analytics = "log" + e.name + tail;
        n.app_insights = "appi" + e.name + tail;
        n.storage = "st" + e.name + tail;
        n.key_vault = "kv" + e.name + tail;
        n.container_registry = "acr" + e.name + tail;
        n.workspace_identity = e.name + "-mi-workspace";
        n.compute_identity = e.name + "-mi-compute";
        n.workspace = "mlw" + e.name + tail;
        n.compute = "aml-cluster-" + e.name + "-" + tail;
        n.registry = "mlr" + e.name + tail;
        out.envs.push_back(n);
    }
    return out;
}

bool name_is_valid(const std::string& type, const std::string& name, std::string* rule) {
    for (const auto& r : naming_rules) {
        if (type != r.type) continue;
        if (rule) *rule = r.text;
        // ECMAScript regex (std::regex default) supports the negative lookahead used for Key Vault.
        return std::regex_match(name, std::regex(r.pattern));
    }
    if (rule) *rule = "no rule";
    return !name.empty();
}

std::vector<naming_violation> check_names(const platform_names& names) {
    std::vector<naming_violation> out;
    auto check = [&](const char* type, const std::string& name) {
        std::string rule;
        if (!name_is_valid(type, name, &rule)) out.push_back({type, name, rule});
    };
    check("Microsoft.Resources/resourceGroups", names.dns_rg);
    for (const auto& n : names.envs) {
        for (const auto* rg : {&n.network_rg, &n.workspace_rg, &n.registry_rg}) check("Microsoft.Resources/resourceGroups", *rg);
        check("Microsoft.Network/virtualNetworks", n.vnet);
        check("Microsoft.Network/virtualNetworks/subnets", n.subnet);
        check("Microsoft.Network/networkSecurityGroups", n.nsg);
        check("Microsoft.Network/bastionHosts", n.bastion);
        check("Microsoft.Network/publicIPAddresses", n.bastion_ip);
        check("Microsoft.OperationalInsights/workspaces", n.log_analytics);
        check("Microsoft.Insights/components", n.app_insights);
        check("Microsoft.Storage/storageAccounts", n.storage);
        check("Microsoft.KeyVault/vaults", n.key_vault);
        check("Microsoft.ContainerRegistry/registries", n.container_registry);
        check("Microsoft.ManagedIdentity/userAssignedIdentities", n.workspace_identity);
        check("Microsoft.ManagedIdentity/userAssignedIdentities", n.compute_identity);
        check("Microsoft.MachineLearningServices/workspaces", n.workspace);
        check("Microsoft.MachineLearningServices/workspaces/computes", n.compute);
        check("Microsoft.MachineLearningServices/registries", n.registry);
    }
    return out;
}

void require_valid_names(const platform_names& names, const platform_config& p) {
    const auto bad = check_names(names);
    if (bad.empty()) return;
    const auto& v = bad.front();
    std::string text = p.source.string() + ": derived " + v.resource_type + " name '" + v.name + "' breaks the naming rule: " + v.rule;
    if (bad.size() > 1) text += " (and " + std::to_string(bad.size() - 1) + " more)";
    throw error(error_kind::config, text).in_file(p.source.string()).on_field(v.resource_type);
}

}  // namespace amlops::provision
