#pragma once
// The one call aml-train, aml-score and aml-compare make: when MLFLOW_TRACKING_URI is set (as on
// Azure ML compute), their params and metrics also go to the MLflow run of the job.
//
// A logging failure does NOT fail the tool by default: its outputs are written and correct, and
// re-running an expensive training because a side channel failed would be worse. The failure is
// never silent either: a warning on stderr and `result.mlflow = {status: "failed", error}` in the
// JSON document. Set AMLOPS_MLFLOW_REQUIRED=1 to make it exit 1 instead (outputs stay written).

#include "amlops/core/environment.hpp"
#include "amlops/core/json.hpp"
#include "amlops/core/log.hpp"
#include "amlops/tracking/mlflow.hpp"

#include <string>
#include <vector>

namespace amlops::tracking {

/// The params and metrics amlops logs for a tool's result document (what run() returned):
///   aml-train:   metrics train.*, validation.*, test.* (rmse, mae, r2, ...), trees, best_iteration;
///                params = the resolved training params from <model_dir>/manifest.json
///   aml-score:   metrics score.* (from result.metrics) and score.rows
///   aml-compare: metrics candidate.*, champion.*, delta.*, approved (1/0); params policy.*;
///                tag amlops.decision
/// plus `extra_params` and the tags amlops.tool / amlops.version. Numbers only become metrics
/// (non-finite values and nulls are left out: MLflow JSON cannot carry them). Unknown tools get
/// every numeric leaf of the result. Throws error(bad_input) when a train manifest is unreadable.
run_data tool_run_data(const std::string& tool, const json::object& result, std::int64_t now_ms,
                       const std::vector<key_value>& extra_params = {});

/// When MLFLOW_TRACKING_URI is set in `env`: logs tool_run_data(...) with log_run and adds
/// `result.mlflow` = {status: "logged", run_id, tracking_uri, metrics, params} (or
/// {status: "failed", tracking_uri, error} plus a warning). Unset: returns `result` unchanged.
/// `result` must be a JSON object when tracking is on (else it is returned unchanged).
/// `options.env` defaults to `env` and `options.log` to `log`.
json::value log_tool_result(const env_lookup& env, logger& log, const std::string& tool, json::value result,
                            const std::vector<key_value>& extra_params = {}, log_options options = {});

}  // namespace amlops::tracking
