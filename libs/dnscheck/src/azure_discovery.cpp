#include "amlops/dnscheck/azure_discovery.hpp"

#include "amlops/dns/resolver.hpp"
#include "amlops/dnscheck/names.hpp"

#include <algorithm>
#include <map>

namespace amlops::dnscheck {

namespace {

const json::object* object_at(const json::value& v, std::string_view key) {
    const auto* o = v.if_object();
    if (!o) return nullptr;
    const auto* x = o->if_contains(key);
    return x ? x->if_object() : nullptr;
}

const json::array* array_at(const json::object* o, std::string_view key) {
    if (!o) return nullptr;
    const auto* x = o->if_contains(key);
    return x ? x->if_array() : nullptr;
}

std::string string_at(const json::object* o, std::string_view key) {
    if (!o) return {};
    const auto* x = o->if_contains(key);
    return x && x->is_string() ? std::string(x->as_string()) : std::string();
}

std::vector<dns::ip_address> addresses_at(const json::object* o, std::string_view key) {
    std::vector<dns::ip_address> out;
    if (const auto* arr = array_at(o, key))
        for (const auto& v : *arr)
            if (v.is_string())
                if (auto a = dns::ip_address::parse(std::string_view(v.as_string()))) out.push_back(*a);
    return out;
}

bool same_text(std::string_view a, std::string_view b) { return dns::normalize_name(a) == dns::normalize_name(b); }

// ".../virtualNetworks/{vnet}/subnets/{subnet}" → ".../virtualNetworks/{vnet}".
std::string vnet_of_subnet(const std::string& subnet_id) {
    const auto pos = subnet_id.find("/subnets/");
    return pos == std::string::npos ? std::string() : subnet_id.substr(0, pos);
}

struct zone_config {
    std::string zone_id;
    std::string zone_name;  // last segment of the id
    std::vector<std::pair<std::string, std::vector<dns::ip_address>>> records;  // fqdn, addresses
};

}  // namespace

check_plan discover_azure(arm::client& client, const azure_scope& scope, logger* log) {
    check_plan plan;
    std::map<std::string, std::vector<std::string>> zone_links;  // zone id → linked VNet ids
    std::map<std::string, bool> vnets_read;

    for (const auto& group : scope.resource_groups) {
        const auto rg = arm::resource_group_id(scope.subscription, group);
        // PrivateEndpoints_List: GET .../resourceGroups/{rg}/providers/Microsoft.Network/privateEndpoints
        const auto endpoints = client.list(rg, "providers/Microsoft.Network/privateEndpoints", std::string(arm::network_api_version));
        if (log) log->info("found " + std::to_string(endpoints.size()) + " private endpoint(s) in resource group " + group);
        for (const auto& pe : endpoints) {
            const auto* pe_obj = pe.if_object();
            const std::string pe_id = string_at(pe_obj, "id");
            if (pe_id.empty()) continue;
            const auto* props = object_at(pe, "properties");
            azure_context ctx;
            ctx.private_endpoint_id = pe_id;
            if (props) ctx.vnet_id = vnet_of_subnet(string_at(props->if_contains("subnet") ? props->at("subnet").if_object() : nullptr, "id"));

            // PrivateDnsZoneGroups_List: GET {privateEndpoint}/privateDnsZoneGroups
            std::vector<zone_config> zones;
            for (const auto& zg : client.list(arm::parse_resource_id(pe_id), "privateDnsZoneGroups")) {
                if (ctx.zone_group_id.empty()) ctx.zone_group_id = string_at(zg.if_object(), "id");
                const auto* zg_props = object_at(zg, "properties");
                if (const auto* configs = array_at(zg_props, "privateDnsZoneConfigs")) {
                    for (const auto& cfg : *configs) {
                        const auto* cfg_props = object_at(cfg, "properties");
                        zone_config z;
                        z.zone_id = string_at(cfg_props, "privateDnsZoneId");
                        if (z.zone_id.empty()) continue;
                        z.zone_name = dns::normalize_name(z.zone_id.substr(z.zone_id.rfind('/') + 1));
                        if (const auto* sets = array_at(cfg_props, "recordSets"))
                            for (const auto& rs : *sets) {
                                const auto* rs_obj = rs.if_object();
                                const std::string type = string_at(rs_obj, "recordType");
                                if (type != "A" && type != "AAAA") continue;
                                z.records.emplace_back(string_at(rs_obj, "fqdn"), addresses_at(rs_obj, "ipAddresses"));
                            }
                        zones.push_back(std::move(z));
                    }
                }
            }
            for (const auto& z : zones) {
                if (zone_links.count(z.zone_id)) continue;
                // VirtualNetworkLinks_List: GET {privateDnsZone}/virtualNetworkLinks
                std::vector<std::string> vnets;
                for (const auto& link : client.list(arm::parse_resource_id(z.zone_id), "virtualNetworkLinks")) {
                    const auto* link_props = object_at(link, "properties");
                    const auto* vnet = link_props && link_props->if_contains("virtualNetwork")
                                           ? link_props->at("virtualNetwork").if_object() : nullptr;
                    if (auto id = string_at(vnet, "id"); !id.empty()) vnets.push_back(id);
                }
                zone_links[z.zone_id] = std::move(vnets);
            }

            // The context of one name: the zone config whose zone holds it, and that zone's links.
            auto context_for = [&](const std::string& fqdn) {
                azure_context c = ctx;
                const auto z = zone_of(fqdn);
                for (const auto& cfg : zones) {
                    if (!z || cfg.zone_name != z->zone) continue;
                    c.zone_id = cfg.zone_id;
                    c.zone_links_known = true;
                    c.linked_vnet_ids = zone_links[cfg.zone_id];
                    const std::string pl = privatelink_name(fqdn).value_or(dns::normalize_name(fqdn));
                    for (const auto& [record_fqdn, _] : cfg.records)
                        if (same_text(record_fqdn, pl) && pl.size() > cfg.zone_name.size())
                            c.record_set = pl.substr(0, pl.size() - cfg.zone_name.size() - 1);
                }
                return c;
            };
            auto add_name = [&](const std::string& fqdn, std::vector<dns::ip_address> addresses) {
                if (fqdn.empty()) return;
                if (fqdn.find('*') != std::string::npos) {
                    plan.skipped.push_back(dns::normalize_name(fqdn) + " (wildcard: no single name to resolve)");
                    return;
                }
                plan.add({dns::normalize_name(fqdn), std::move(addresses), "azure", context_for(fqdn)});
            };
            if (const auto* configs = array_at(props, "customDnsConfigs"))
                for (const auto& cfg : *configs)
                    add_name(string_at(cfg.if_object(), "fqdn"), addresses_at(cfg.if_object(), "ipAddresses"));
            for (const auto& z : zones)
                for (const auto& [fqdn, addrs] : z.records) add_name(fqdn, addrs);

            if (!ctx.vnet_id.empty() && !vnets_read.count(ctx.vnet_id)) {
                vnets_read[ctx.vnet_id] = true;
                // VirtualNetworks_Get: properties.addressSpace.addressPrefixes
                auto vnet = client.find(arm::parse_resource_id(ctx.vnet_id));
                if (!vnet) {
                    if (log) log->warn("cannot read VNet " + ctx.vnet_id + ": its address spaces are not checked");
                    continue;
                }
                const auto* vnet_props = object_at(*vnet, "properties");
                const auto* space = vnet_props && vnet_props->if_contains("addressSpace") ? vnet_props->at("addressSpace").if_object() : nullptr;
                if (const auto* prefixes = array_at(space, "addressPrefixes"))
                    for (const auto& p : *prefixes)
                        if (p.is_string())
                            if (auto net = dns::ip_network::parse(std::string_view(p.as_string()))) plan.add_space(*net);
            }
        }
    }
    // Every platform VNet must resolve every zone privately: a zone without a link to one of them
    // answers publicly there (the public-answer hint names the missing link).
    for (auto& n : plan.names) {
        if (!n.azure || !n.azure->zone_links_known) continue;
        auto& az = *n.azure;
        for (const auto& [vnet, _] : vnets_read) {
            const bool linked = std::any_of(az.linked_vnet_ids.begin(), az.linked_vnet_ids.end(),
                                            [&](const std::string& v) { return same_text(v, vnet); });
            if (!linked) az.missing_links.push_back(vnet);
        }
    }
    return plan;
}

}  // namespace amlops::dnscheck
