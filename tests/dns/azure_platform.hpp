#pragma once
// The Azure side of the test zone (test_zone.hpp) in a fake_arm: dev and prod VNets, and private
// endpoints in the dev VNet for blob (zone group, zone linked to both VNets), file (zone linked to
// prod only), queue (no zone group), table (zone group says 10.10.1.7) and the workspace (with a
// wildcard customDnsConfig).

#include "fake_arm.hpp"
#include "test_zone.hpp"

#include <string>

namespace amlops::test::azure_platform {

inline const std::string subscription = "00000000-0000-4000-8000-00000000a0a1";
inline const std::string sub = "/subscriptions/" + subscription;
inline const std::string network_rg = sub + "/resourceGroups/rg-aml-net-dev-cc-01";
inline const std::string dns_rg = sub + "/resourceGroups/rg-aml-dns-cc-01";
inline const std::string dev_vnet = network_rg + "/providers/Microsoft.Network/virtualNetworks/vnet-aml-dev-cc-01";
inline const std::string prod_vnet = sub + "/resourceGroups/rg-aml-net-prod-cc-01/providers/Microsoft.Network/virtualNetworks/vnet-aml-prod-cc-01";
inline const std::string endpoint_rg_name = "rg-aml-ws-dev-cc-01";
inline const std::string endpoints = sub + "/resourceGroups/" + endpoint_rg_name + "/providers/Microsoft.Network/privateEndpoints/";
inline std::string zone_id(const std::string& zone) { return dns_rg + "/providers/Microsoft.Network/privateDnsZones/" + zone; }

inline void populate(fake_arm& arm) {
    using namespace zone;
    arm.add_vnet(dev_vnet, {"10.10.0.0/16", "fd10:10::/48"});
    arm.add_vnet(prod_vnet, {"10.20.0.0/16"});
    const std::string subnet = dev_vnet + "/subnets/snet-endpoints";
    const std::string prod_subnet = prod_vnet + "/subnets/snet-endpoints";
    for (const char* z : {"privatelink.blob.core.windows.net", "privatelink.table.core.windows.net", "privatelink.vaultcore.azure.net"}) {
        arm.add_vnet_link(zone_id(z), "link-dev", dev_vnet);
        arm.add_vnet_link(zone_id(z), "link-prod", prod_vnet);
    }
    arm.add_vnet_link(zone_id("privatelink.file.core.windows.net"), "link-prod", prod_vnet);

    arm.add_private_endpoint(endpoints + "pe-stdevcc01-blob", subnet, {{blob, {"10.10.1.4"}}});
    arm.add_zone_group(endpoints + "pe-stdevcc01-blob", "default", {{zone_id("privatelink.blob.core.windows.net"), {{blob_pl, {"10.10.1.4"}}}}});
    arm.add_private_endpoint(endpoints + "pe-stdevcc01-file", subnet, {{file, {"10.10.1.6"}}});
    arm.add_zone_group(endpoints + "pe-stdevcc01-file", "default", {{zone_id("privatelink.file.core.windows.net"), {{file_pl, {"10.10.1.6"}}}}});
    arm.add_private_endpoint(endpoints + "pe-stdevcc01-queue", subnet, {{queue, {"10.10.1.8"}}});
    arm.add_private_endpoint(endpoints + "pe-stdevcc01-table", subnet, {{table, {"10.10.1.7"}}});
    arm.add_zone_group(endpoints + "pe-stdevcc01-table", "default", {{zone_id("privatelink.table.core.windows.net"), {{table_pl, {"10.10.1.7"}}}}});
    // The prod Key Vault's endpoint sits in the prod VNet: both VNets are platform VNets.
    arm.add_private_endpoint(endpoints + "pe-kvdevcc01", prod_subnet, {{vault, {"10.10.1.5", "fd10:10::5"}}});
    arm.add_zone_group(endpoints + "pe-kvdevcc01", "default", {{zone_id("privatelink.vaultcore.azure.net"), {{vault_pl, {"10.10.1.5"}}}}});
    arm.add_private_endpoint(endpoints + "pe-mlwdevcc01", subnet,
                             {{"*.0f1e2d3c-0000-4000-8000-000000000001.inference.canadacentral.api.azureml.ms", {"10.10.1.10"}}});
}

}  // namespace amlops::test::azure_platform
