#pragma once
// The MLflow tracking REST API (api/2.0/mlflow) as amlops uses it: log a tool's params and
// metrics to the run Azure ML created for the job (or to a run created here), so they show up in
// Azure ML studio next to the job. Works against any MLflow server; Azure ML's tracking URI
// (`azureml://<region>.api.azureml.ms/mlflow/v1.0/subscriptions/...`) is mapped to https.
// The transport is injected, so tests run against the loopback emulator.

#include "amlops/core/environment.hpp"
#include "amlops/core/json.hpp"
#include "amlops/core/log.hpp"
#include "amlops/http/transport.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace amlops::tracking {

/// One metric value. MLflow: `timestamp` in milliseconds since the Unix epoch; `step` orders
/// values of the same key (amlops logs each key once, at step 0).
struct metric {
    std::string key;
    double value = 0;
    std::int64_t timestamp_ms = 0;
    std::int64_t step = 0;
};

/// A key/value string pair: an MLflow param (immutable once logged) or tag (overwritable).
struct key_value {
    std::string key;
    std::string value;
};

/// What one log-batch call (or a split series of them) carries.
struct run_data {
    std::vector<metric> metrics;
    std::vector<key_value> params;
    std::vector<key_value> tags;
    bool empty() const noexcept { return metrics.empty() && params.empty() && tags.empty(); }
};

/// MLflow's per-request limits for runs/log-batch.
struct batch_limits {
    std::size_t metrics = 1000;
    std::size_t params = 100;
    std::size_t tags = 100;
    std::size_t total = 1000;
};

/// Splits `data` into consecutive batches that each respect `limits` (order kept within each
/// kind). An empty `data` gives no batch. Throws error(internal) when a limit is 0.
std::vector<run_data> split_batches(const run_data& data, const batch_limits& limits = {});

/// The REST base URL of a tracking URI: `azureml://host/mlflow/v1.0/subscriptions/...` →
/// `https://host/mlflow/v2.0/subscriptions/...` (as the azureml-mlflow plugin does);
/// `http(s)://...` unchanged (so v1.0 only when given explicitly); query and trailing '/'
/// removed. Throws error(config) for anything else (a local `file:` store, `databricks`, a bare
/// path, an azureml:// URI without a workspace path), naming the URI.
std::string rest_base_url(const std::string& tracking_uri);

/// True when `base_url` (rest_base_url's answer) is an Azure ML workspace's tracking service:
/// path /mlflow/v<N>/subscriptions/{s}/resourceGroups/{rg}/providers/
/// Microsoft.MachineLearningServices/workspaces/{w}, any host (case-insensitive).
bool is_azureml_workspace_url(const std::string& base_url);

/// A client of one tracking server. Every call throws error(service) carrying MLflow's
/// `error_code` and message (plus the HTTP status) when the server refuses, error(network) when
/// it cannot be reached.
class client {
public:
    /// `transport` should be a pipeline with retries and authentication; `base_url` is
    /// rest_base_url(...) (requests go to `{base_url}/api/2.0/mlflow/...`).
    client(std::shared_ptr<http::transport> transport, std::string base_url);

    /// experiments/get-by-name; when absent (RESOURCE_DOES_NOT_EXIST) experiments/create.
    std::string experiment_id(const std::string& name);
    /// runs/create in `experiment_id`; returns the new run id.
    std::string create_run(const std::string& experiment_id, std::int64_t start_time_ms, const std::string& run_name,
                           const std::vector<key_value>& tags);
    /// runs/log-batch, split by split_batches(limits); returns the number of requests sent.
    std::size_t log_batch(const std::string& run_id, const run_data& data, const batch_limits& limits = {});
    /// runs/update with `status` (FINISHED, FAILED, KILLED) and `end_time`.
    void finish_run(const std::string& run_id, std::int64_t end_time_ms, const std::string& status = "FINISHED");
    /// runs/get: the `run` object ({info, data{metrics, params, tags}}).
    json::object get_run(const std::string& run_id);

private:
    json::object call(const std::string& method, const std::string& api, const std::string& query, const json::value* body);
    std::shared_ptr<http::transport> transport_;
    std::string base_;
};

/// Where and into which run to log, from the MLflow / Azure ML environment variables.
struct settings {
    std::string tracking_uri;                     ///< MLFLOW_TRACKING_URI as given
    std::optional<std::string> run_id;            ///< MLFLOW_RUN_ID, else AZUREML_RUN_ID
    std::optional<std::string> experiment_id;     ///< MLFLOW_EXPERIMENT_ID
    std::optional<std::string> experiment_name;   ///< MLFLOW_EXPERIMENT_NAME
    std::optional<std::string> token;             ///< MLFLOW_TRACKING_TOKEN (never logged): bearer
    std::optional<std::string> username;          ///< MLFLOW_TRACKING_USERNAME: HTTP Basic with password
    std::optional<std::string> password;          ///< MLFLOW_TRACKING_PASSWORD (never logged)
    /// nullopt when MLFLOW_TRACKING_URI is unset or empty: tracking is off.
    static std::optional<settings> from_env(const env_lookup& env);
};

/// Dependencies of log_run; every member has a working default.
struct log_options {
    env_lookup env;                                   ///< default system_env()
    /// The HTTP pipeline to the tracking server; default: a retrying pipeline with a bearer
    /// token from MLFLOW_TRACKING_TOKEN, else HTTP Basic from MLFLOW_TRACKING_USERNAME /
    /// MLFLOW_TRACKING_PASSWORD, else (Azure ML workspace tracking URIs only, by path: see
    /// is_azureml_workspace_url) from the libs/auth default credential chain for
    /// the Azure Resource Manager scope ($AZURE_RESOURCE_MANAGER_ENDPOINT/.default), which the
    /// Azure ML tracking service accepts; other servers get no Authorization header.
    std::shared_ptr<http::transport> transport;
    std::function<std::int64_t()> now_ms;             ///< default: system clock, ms since epoch
    amlops::logger* log = nullptr;                    ///< HTTP logs (redacted); optional
};

/// Logs `data` for `run_name` as configured by `s`: into s.run_id when set; otherwise into a new
/// run (experiment s.experiment_id, else s.experiment_name, else MLflow's default "0") that is
/// marked FINISHED afterwards, or FAILED when logging into it fails (the error then names the
/// run). Returns the run id. Throws like client.
std::string log_run(const settings& s, const run_data& data, const std::string& run_name, const log_options& options = {});

}  // namespace amlops::tracking
