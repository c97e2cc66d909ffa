#include "amlops/dnscheck/names.hpp"

#include "amlops/dns/resolver.hpp"

#include <array>

namespace amlops::dnscheck {

namespace {

// The zones an Azure ML platform centralises (workspace API, notebooks, compute instances,
// storage, Key Vault, container registry) and what their public names look like.
constexpr std::array<private_link_zone, 10> zones{{
    {"api.azureml.ms", "privatelink.api.azureml.ms", "workspace"},
    {"notebooks.azure.net", "privatelink.notebooks.azure.net", "notebooks"},
    {"instances.azureml.ms", "instances.azureml.ms", "compute instance"},
    {"blob.core.windows.net", "privatelink.blob.core.windows.net", "storage blob"},
    {"file.core.windows.net", "privatelink.file.core.windows.net", "storage file"},
    {"queue.core.windows.net", "privatelink.queue.core.windows.net", "storage queue"},
    {"table.core.windows.net", "privatelink.table.core.windows.net", "storage table"},
    {"dfs.core.windows.net", "privatelink.dfs.core.windows.net", "storage dfs"},
    {"vault.azure.net", "privatelink.vaultcore.azure.net", "key vault"},
    {"azurecr.io", "privatelink.azurecr.io", "container registry"},
}};

bool has_suffix(std::string_view name, std::string_view suffix) {
    return name.size() > suffix.size() + 1 && name.substr(name.size() - suffix.size()) == suffix &&
           name[name.size() - suffix.size() - 1] == '.';
}

// "<labels>.privatelink.<suffix>": privatelink sits right before the public suffix, also for names
// with region labels (x.workspace.eastus.privatelink.api.azureml.ms).
std::optional<std::pair<std::string, private_link_zone>> split_privatelink(std::string_view name) {
    for (const auto& z : zones) {
        if (z.zone == z.public_suffix) continue;
        const std::string_view plain = z.zone.substr(std::string_view("privatelink.").size());
        const std::string middle = std::string(".privatelink.") + std::string(plain);
        if (name.size() > middle.size() && name.substr(name.size() - middle.size()) == middle)
            return std::pair{std::string(name.substr(0, name.size() - middle.size())), z};
    }
    return std::nullopt;
}

}  // namespace

std::optional<private_link_zone> zone_of(std::string_view fqdn) {
    const std::string name = dns::normalize_name(fqdn);
    if (auto pl = split_privatelink(name)) return pl->second;
    const private_link_zone* best = nullptr;
    for (const auto& z : zones)
        if (has_suffix(name, z.public_suffix) && (!best || z.public_suffix.size() > best->public_suffix.size()))
            best = &z;
    if (best) return *best;
    return std::nullopt;
}

std::optional<std::string> privatelink_name(std::string_view fqdn) {
    const std::string name = dns::normalize_name(fqdn);
    if (split_privatelink(name)) return std::nullopt;
    const auto z = zone_of(name);
    if (!z || z->zone == z->public_suffix) return std::nullopt;
    const std::string_view plain = z->zone.substr(std::string_view("privatelink.").size());
    const std::string host = name.substr(0, name.size() - z->public_suffix.size() - 1);
    return host + ".privatelink." + std::string(plain);
}

std::optional<std::string> public_name(std::string_view fqdn) {
    const std::string name = dns::normalize_name(fqdn);
    auto pl = split_privatelink(name);
    if (!pl) return std::nullopt;
    return pl->first + "." + std::string(pl->second.public_suffix);
}

std::optional<std::string> counterpart(std::string_view fqdn) {
    if (auto p = privatelink_name(fqdn)) return p;
    return public_name(fqdn);
}

}  // namespace amlops::dnscheck
