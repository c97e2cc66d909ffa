#pragma once
// A small loopback ARM + Entra ID fake holding just what aml-dnscheck reads: private endpoints,
// their DNS zone groups, private DNS zones' virtual network links and VNets. Response shapes follow
// the published specs (api-versions Microsoft.Network 2024-03-01, privateDnsZones 2024-06-01):
//   PrivateEndpoints_List        GET {rg}/providers/Microsoft.Network/privateEndpoints
//                                → PrivateEndpointListResult {value: [PrivateEndpoint]}, where
//                                PrivateEndpointProperties has subnet {id} and customDnsConfigs
//                                [CustomDnsConfigPropertiesFormat {fqdn, ipAddresses}]
//   PrivateDnsZoneGroups_List    GET {privateEndpoint}/privateDnsZoneGroups
//                                → {value: [PrivateDnsZoneGroup {id, name, properties:
//                                {privateDnsZoneConfigs: [{name, properties: {privateDnsZoneId,
//                                recordSets: [RecordSet {recordType, recordSetName, fqdn, ttl,
//                                ipAddresses}]}}]}}]}
//   VirtualNetworkLinks_List     GET {privateDnsZone}/virtualNetworkLinks
//                                → {value: [VirtualNetworkLink {id, name, properties:
//                                {virtualNetwork: {id}, registrationEnabled, virtualNetworkLinkState}}]}
//   VirtualNetworks_Get          GET {virtualNetwork} → {properties: {addressSpace: {addressPrefixes}}}
// Unknown paths answer 404 with the ARM error envelope; requests without the right api-version
// 400 (InvalidApiVersionParameter) and without a bearer token 401, as ARM does.
// Tokens: POST /{tenant}/oauth2/v2.0/token (client credentials) → {access_token, expires_in}.

#include "amlops/core/json.hpp"
#include "loopback_server.hpp"

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace amlops::test {

class fake_arm {
public:
    fake_arm();

    /// "http://127.0.0.1:<port>/" (ARM endpoint and Entra authority both).
    std::string endpoint() const;
    /// Environment for a tool: the client-secret credential and both endpoints on this fake.
    std::vector<std::string> tool_env() const;

    // --- resources (ids are full ARM ids) --------------------------------------------------------
    void add_vnet(const std::string& id, const std::vector<std::string>& prefixes);
    /// A private endpoint in `subnet_id` with customDnsConfigs {fqdn → addresses}.
    void add_private_endpoint(const std::string& id, const std::string& subnet_id,
                              const std::vector<std::pair<std::string, std::vector<std::string>>>& custom_dns);
    /// A zone group on `endpoint_id` with one config per zone; each record {fqdn, addresses}.
    struct zone_records {
        std::string zone_id;
        std::vector<std::pair<std::string, std::vector<std::string>>> a_records;
    };
    void add_zone_group(const std::string& endpoint_id, const std::string& name, const std::vector<zone_records>& zones);
    void add_vnet_link(const std::string& zone_id, const std::string& name, const std::string& vnet_id);

    /// "GET /path?query" of every ARM request so far (token requests excluded).
    std::vector<std::string> requests() const;

private:
    http::response handle(const http::request& req);

    mutable std::mutex mutex_;
    std::map<std::string, json::array> lists_;     // lower-case collection path → items
    std::map<std::string, json::object> objects_;  // lower-case resource path → resource
    std::vector<std::string> requests_;
    loopback_server server_;
};

}  // namespace amlops::test
