#include "fake_arm.hpp"

#include "amlops/arm/resource_id.hpp"

#include <algorithm>

namespace amlops::test {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

http::response json_response(int status, const json::value& body) {
    http::response r;
    r.status = status;
    r.headers.set("Content-Type", "application/json");
    r.headers.set("x-ms-request-id", "00000000-0000-4000-8000-00000000dns0");
    r.body = json::pretty(body);
    return r;
}

http::response arm_error(int status, const std::string& code, const std::string& message) {
    return json_response(status, json::object{{"error", json::object{{"code", code}, {"message", message}}}});
}

std::string last_segment(const std::string& id) { return id.substr(id.rfind('/') + 1); }

json::array strings(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

}  // namespace

fake_arm::fake_arm() : server_([this](const http::request& req) { return handle(req); }) {}

std::string fake_arm::endpoint() const { return server_.base_url() + "/"; }

std::vector<std::string> fake_arm::tool_env() const {
    return {"AZURE_TENANT_ID=11111111-1111-4111-8111-111111111111", "AZURE_CLIENT_ID=22222222-2222-4222-8222-222222222222",
            "AZURE_CLIENT_SECRET=test-secret-value", "AZURE_AUTHORITY_HOST=" + endpoint(),
            "AZURE_RESOURCE_MANAGER_ENDPOINT=" + endpoint()};
}

void fake_arm::add_vnet(const std::string& id, const std::vector<std::string>& prefixes) {
    std::lock_guard lock(mutex_);
    objects_[lower(id)] = json::object{
        {"id", id}, {"name", last_segment(id)}, {"type", "Microsoft.Network/virtualNetworks"}, {"location", "canadacentral"},
        {"properties", json::object{{"addressSpace", json::object{{"addressPrefixes", strings(prefixes)}}},
                                    {"provisioningState", "Succeeded"}}}};
}

void fake_arm::add_private_endpoint(const std::string& id, const std::string& subnet_id,
                                    const std::vector<std::pair<std::string, std::vector<std::string>>>& custom_dns) {
    json::array configs;
    for (const auto& [fqdn, addresses] : custom_dns) configs.push_back(json::object{{"fqdn", fqdn}, {"ipAddresses", strings(addresses)}});
    json::object pe{{"id", id}, {"name", last_segment(id)}, {"type", "Microsoft.Network/privateEndpoints"},
                    {"location", "canadacentral"},
                    {"properties", json::object{{"subnet", json::object{{"id", subnet_id}}},
                                                {"customDnsConfigs", std::move(configs)},
                                                {"provisioningState", "Succeeded"}}}};
    const auto parsed = arm::parse_resource_id(id);
    const std::string collection = lower(arm::resource_group_id(parsed.subscription, parsed.resource_group).str() +
                                         "/providers/Microsoft.Network/privateEndpoints");
    std::lock_guard lock(mutex_);
    lists_[collection].push_back(pe);
    lists_[lower(id + "/privateDnsZoneGroups")];  // an endpoint without zone groups lists none
    objects_[lower(id)] = std::move(pe);
}

void fake_arm::add_zone_group(const std::string& endpoint_id, const std::string& name, const std::vector<zone_records>& zones) {
    json::array configs;
    for (const auto& z : zones) {
        json::array sets;
        const std::string zone_name = last_segment(z.zone_id);
        for (const auto& [fqdn, addresses] : z.a_records)
            sets.push_back(json::object{{"recordType", "A"}, {"recordSetName", fqdn.substr(0, fqdn.size() - zone_name.size() - 1)},
                                        {"fqdn", fqdn}, {"ttl", 10}, {"ipAddresses", strings(addresses)},
                                        {"provisioningState", "Succeeded"}});
        configs.push_back(json::object{{"name", zone_name},
                                       {"properties", json::object{{"privateDnsZoneId", z.zone_id}, {"recordSets", std::move(sets)}}}});
    }
    const std::string id = endpoint_id + "/privateDnsZoneGroups/" + name;
    std::lock_guard lock(mutex_);
    lists_[lower(endpoint_id + "/privateDnsZoneGroups")].push_back(json::object{
        {"id", id}, {"name", name},
        {"properties", json::object{{"privateDnsZoneConfigs", std::move(configs)}, {"provisioningState", "Succeeded"}}}});
}

void fake_arm::add_vnet_link(const std::string& zone_id, const std::string& name, const std::string& vnet_id) {
    std::lock_guard lock(mutex_);
    lists_[lower(zone_id + "/virtualNetworkLinks")].push_back(json::object{
        {"id", zone_id + "/virtualNetworkLinks/" + name}, {"name", name},
        {"type", "Microsoft.Network/privateDnsZones/virtualNetworkLinks"}, {"location", "global"},
        {"properties", json::object{{"virtualNetwork", json::object{{"id", vnet_id}}}, {"registrationEnabled", false},
                                    {"virtualNetworkLinkState", "Completed"}, {"provisioningState", "Succeeded"}}}});
}

std::vector<std::string> fake_arm::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

http::response fake_arm::handle(const http::request& req) {
    const auto q = req.url.find('?');
    const std::string path = req.url.substr(0, q);
    const std::string query = q == std::string::npos ? "" : req.url.substr(q + 1);
    const std::string token_path = "/oauth2/v2.0/token";
    if (req.method == "POST" && path.size() > token_path.size() && path.substr(path.size() - token_path.size()) == token_path)
        return json_response(200, json::object{{"token_type", "Bearer"}, {"expires_in", 3600}, {"access_token", "fake-arm-token"}});

    std::lock_guard lock(mutex_);
    requests_.push_back(req.method + " " + req.url);
    if (req.headers.get("Authorization") != std::optional<std::string>("Bearer fake-arm-token"))
        return arm_error(401, "AuthenticationFailed", "missing or wrong bearer token");
    if (req.method != "GET") return arm_error(405, "MethodNotAllowed", "this fake only reads");
    const std::string key = lower(path);
    const bool dns_zone = key.find("/providers/microsoft.network/privatednszones/") != std::string::npos;
    const std::string want = std::string("api-version=") + std::string(dns_zone ? arm::private_dns_api_version : arm::network_api_version);
    if (query != want) return arm_error(400, "InvalidApiVersionParameter", "expected " + want + ", got '" + query + "'");
    if (auto it = lists_.find(key); it != lists_.end()) return json_response(200, json::object{{"value", it->second}});
    if (auto it = objects_.find(key); it != objects_.end()) return json_response(200, it->second);
    return arm_error(404, "ResourceNotFound", "The Resource '" + path + "' was not found.");
}

}  // namespace amlops::test
