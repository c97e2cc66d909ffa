#pragma once
// The blue/green release flow of aml-deploy against any endpoint:
//   1. wait until the endpoint is ready; read the traffic and deployments; choose the slot (traffic.hpp: choose_slot);
//   2. if the slot carries live or mirror traffic, drain it first (its share goes to the largest
//      other slot), so no live request reaches the untested model;
//   3. load the model into the slot; set the initial traffic (0%, or 100% when nothing was routed);
//   4. smoke-test the slot directly (azureml-model-deployment header) with the smoke sample;
//   5. pass: shift traffic with promote_traffic(); fail: roll back — put the slot's previous model
//      back (when the slot existed) or unload it, and restore the previous traffic exactly.
// Any error after the endpoint was changed also triggers the rollback before it propagates.

#include "amlops/core/json.hpp"
#include "amlops/core/log.hpp"
#include "amlops/deploy/endpoint.hpp"
#include "amlops/deploy/smoke.hpp"
#include "amlops/deploy/traffic.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace amlops::deploy {

/// What to release.
struct release_request {
    std::string model;                   ///< model source given to the endpoint (version URI or folder)
    smoke_sample smoke;                  ///< rows for the smoke test
    std::optional<double> max_rmse;      ///< optional RMSE bound of the smoke test
    int traffic_share = 30;              ///< the new slot's share after a passing smoke test
    std::optional<std::string> slot;     ///< force a slot instead of choose_slot()
    slot_names names;                    ///< default/alternate slot names
    std::chrono::milliseconds ready_timeout{60'000};  ///< wait for the endpoint to be ready
    /// On rollback, delete a slot that did not exist before. False keeps it at 0% traffic for
    /// inspection (its logs), which an Azure ML deployment needs; traffic is restored either way.
    bool delete_on_rollback = true;
};

/// What happened.
struct release_outcome {
    std::string slot;                      ///< the slot the model went to
    bool slot_existed = false;             ///< the slot was a deployment before (its model was replaced)
    std::optional<deployment_info> replaced;  ///< the slot's previous deployment, when it existed
    endpoint_traffic previous;             ///< traffic before anything changed
    endpoint_traffic during;               ///< traffic while the smoke test ran (after deploy)
    endpoint_traffic current;              ///< traffic at the end (promoted, or restored)
    deployment_info deployed;              ///< the new deployment as the endpoint reported it
    smoke_result smoke;
    bool promoted = false;                 ///< smoke passed and traffic shifted
    bool rolled_back = false;              ///< smoke failed and the endpoint was restored
    bool has_prior_deployment() const noexcept { return total(previous.traffic) > 0; }
};

/// Runs the flow above. A failing smoke test is an outcome (rolled_back = true), not an error.
/// Throws amlops::error for endpoint failures; the endpoint is rolled back first (a failure of
/// the rollback itself is logged and reported in the thrown message).
release_outcome release(endpoint& ep, const release_request& r, logger& log);

/// Identity of the released model for deployment_state.json.
struct model_identity {
    std::string name;
    std::string version;
    std::string source;  ///< "registry" or "folder" (the original: "registry" | "workspace")
    std::string uri;     ///< version URI or folder path
};

/// The original workflow's deployment_state.json, extended:
///   {previous_traffic, updated_traffic (during the smoke test), current_traffic (at the end),
///    previous_mirror_traffic, mirror_traffic, new_deployment, endpoint_name,
///    has_prior_deployment, model_name, model_version, model_source, model_uri,
///    status ("promoted" | "rolled_back"), smoke {...}}
json::object state_json(const release_outcome& o, const std::string& endpoint_name, const model_identity& model);

}  // namespace amlops::deploy
