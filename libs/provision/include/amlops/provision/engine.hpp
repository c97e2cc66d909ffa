#pragma once
// plan / apply / verify / destroy of the desired platform against ARM. There is no state file:
// every verb reads the live resources (one GET each, in parallel) and compares them with the
// desired set, property by property, only for the properties amlops owns.

#include "amlops/arm/client.hpp"
#include "amlops/core/json.hpp"
#include "amlops/core/log.hpp"
#include "amlops/provision/desired.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace amlops::provision {

/// One differing owned property. `after` is absent when it is only known after apply.
struct field_change {
    std::string path;  ///< e.g. "properties.publicNetworkAccess"
    std::optional<json::value> before;  ///< nullopt: absent in the live resource
    std::optional<json::value> after;
};

enum class action { none, create, update, remove };
std::string_view to_string(action a);

struct change {
    std::string key, kind, id;
    action act = action::none;
    std::vector<field_change> fields;
    std::string reason;  ///< e.g. "provisioningState Creating" for an unfinished resource
};

/// The JSON diff of `desired` (only its own keys) against `live`: every path where they differ.
/// Strings compare case-insensitively (ARM echoes ids and enums in its own case); arrays of
/// equal length compare element by element, otherwise as a whole; unresolved "${...}" values
/// are "known after apply" and never differ.
std::vector<field_change> diff_owned(const json::value& desired, const json::value* live, const std::string& prefix = "");

struct plan_result {
    std::vector<change> changes;                    ///< one per desired resource (+ retired ones), desired order
    std::map<std::string, json::value> live;        ///< key -> live resource (present ones)
    std::size_t gets = 0;                           ///< GET requests made
    std::size_t count(action a) const;
    bool has_changes() const { return count(action::create) + count(action::update) + count(action::remove) > 0; }
    json::value to_json() const;
    std::string to_text() const;                    ///< the readable diff
};

struct apply_result {
    std::size_t writes = 0;        ///< PUT/DELETE requests sent (retries included)
    std::size_t retries = 0;       ///< RBAC-propagation / identity-conflict retries
    double wall_ms = 0;            ///< apply phase (after the plan)
    double critical_path_ms = 0;   ///< longest dependency chain of measured resource durations
    double serial_sum_ms = 0;      ///< sum of every resource's duration
    std::vector<std::string> applied;  ///< keys, completion order
    json::value to_json() const;
};

struct check_result {
    std::string check, resource, property, expected, actual;
    bool ok = false;
};
struct verify_result {
    std::vector<check_result> checks;
    bool ok() const;
    json::value to_json() const;
    std::string to_table() const;
};

struct destroy_result {
    std::vector<std::string> deleted, kept_shared, not_owned, absent;
    std::size_t writes = 0;
    json::value to_json() const;
};

struct engine_options {
    int threads = 32;  ///< concurrent requests
    /// Budget for retrying a write that failed because a role assignment has not propagated
    /// (403 AuthorizationFailed) or an identity is still being cleaned up (409 FailedIdentityOperation).
    std::chrono::milliseconds retry_budget{300'000};
    std::chrono::milliseconds retry_base{2'000};   ///< first backoff, doubled per retry
    std::chrono::milliseconds retry_cap{30'000};   ///< longest single backoff
    std::function<void(std::chrono::milliseconds)> sleep;  ///< default std::this_thread::sleep_for
    amlops::logger* log = nullptr;
};

class engine {
public:
    engine(arm::client& client, const platform_config& platform, engine_options options = {});

    const std::vector<desired_resource>& desired() const noexcept { return desired_; }
    plan_result plan();
    /// Applies `plan` (from plan() now, or a saved plan re-checked by the caller).
    apply_result apply(const plan_result& plan);
    verify_result verify();
    destroy_result destroy(bool include_shared);

    /// The dependency graph as Graphviz DOT and as a Mermaid flowchart.
    std::string graph_dot() const;
    std::string graph_mermaid() const;

private:
    std::map<std::string, std::optional<json::value>> fetch(const std::vector<const desired_resource*>& which, std::size_t* gets);
    json::value put_with_retries(const desired_resource& r, const json::value& body, std::size_t& writes, std::size_t& retries);
    bool owned(const desired_resource& r, const json::value& live) const;

    arm::client& client_;
    platform_config platform_;
    std::vector<desired_resource> desired_;
    std::vector<desired_resource> retired_;  ///< optional resources the current options leave out
    engine_options options_;
};

/// Runs `fn(i)` for i in [0, n) on up to `threads` threads; the first exception is rethrown.
void parallel_for(std::size_t n, int threads, const std::function<void(std::size_t)>& fn);

}  // namespace amlops::provision
