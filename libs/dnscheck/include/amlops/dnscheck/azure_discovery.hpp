#pragma once
// Expected names from Azure: every private endpoint in the given resource groups, with
//   - customDnsConfigs (fqdn + ipAddresses: what the endpoint's NIC answers on),
//   - its privateDnsZoneGroups (the zones and record sets Azure writes for it),
//   - those zones' virtualNetworkLinks (which VNets resolve them privately),
//   - the endpoint VNet's address spaces.
// Read-only ARM GETs (Microsoft.Network 2024-03-01, privateDnsZones 2024-06-01).

#include "amlops/arm/client.hpp"
#include "amlops/core/log.hpp"
#include "amlops/dnscheck/expectations.hpp"

#include <string>
#include <vector>

namespace amlops::dnscheck {

struct azure_scope {
    std::string subscription;
    std::vector<std::string> resource_groups;  ///< groups holding the platform's private endpoints
};

/// Builds the plan from the live resources. Throws arm_error / amlops::error on ARM failures
/// (a VNet that cannot be read only loses its address spaces, with a warning).
check_plan discover_azure(arm::client& arm, const azure_scope& scope, logger* log = nullptr);

}  // namespace amlops::dnscheck
