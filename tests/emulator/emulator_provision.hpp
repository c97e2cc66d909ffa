#pragma once
// A generic ARM resource store for the platform aml-provision manages (tests only), enabled by
// options::provision.enabled:
//   resource groups (tags kept, DELETE cascades), Microsoft.Network (VNets with inline subnets,
//   NSGs, peerings, public IPs, Bastion, private endpoints with customDnsConfigs, DNS zone
//   groups), private DNS zones with virtual network links and the A record sets zone groups
//   write, Storage, Key Vault, Container Registry, Log Analytics, Application Insights,
//   user-assigned identities, role assignments (extension resources at any scope), Azure ML
//   workspaces, registries, outbound rules and computes.
// Every PUT is checked: api-version per type, bearer token, parent and referenced resources
// exist, names, required properties; writes of long-running types answer 201 with
// Azure-AsyncOperation and finish after options::provision.lro_latency. The original
// platform's failure modes are reproduced (see provision_options). GET and list work for
// every type, so other tools (DNS checks) can discover private endpoints and records.
// Requests under Microsoft.MachineLearningServices that are not the platform's own (models,
// datastores, online endpoints) stay with the main emulator routes.

#include "emulator_extra.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace amlops::emulator::detail {

class provision_routes {
public:
    explicit provision_routes(extra_context ctx) : ctx_(std::move(ctx)) {}
    /// The response for a platform request, nullopt when the path is not one (or the store is off).
    std::optional<http::response> route(const http::request& req, const std::string& path, std::map<std::string, std::string>& query);

private:
    using clock = std::chrono::steady_clock;
    http::response get(const std::string& path, const std::string& key, bool collection, const std::string& type);
    http::response put(const http::request& req, const std::string& path, const std::string& key, const std::string& type,
                       const std::string& subscription, const std::string& api_version);
    http::response remove(const std::string& key);
    void settle(const std::string& key);  // finishes a long-running write whose time has come
    std::optional<http::response> check_failure_modes(const std::string& key, const std::string& type, const json::object& body);
    bool has_role(const std::string& principal, const std::string& scope_key, const std::string& role_guid) const;
    void write_records(const std::string& group_key, const std::string& pe_key, json::object& group);

    extra_context ctx_;
    struct pending {
        clock::time_point ready_at;
        std::string key;
    };
    std::map<std::string, pending> operations_;             // operation id -> write
    std::map<std::string, clock::time_point> ready_at_;     // resource key -> when its write finishes
    std::map<std::string, clock::time_point> created_at_;   // role assignment key -> creation time
    std::map<std::string, clock::time_point> deleted_at_;   // workspace key -> deletion time
    std::map<std::string, std::string> record_owner_;       // record set key -> zone group key
    std::map<std::string, int> next_ip_;                     // subnet key -> next host number
};

}  // namespace amlops::emulator::detail
