#pragma once
// `aml-pipeline submit|status|wait|logs|cancel`: what `az ml job create -f pipeline.yaml` does,
// over REST, for the same YAML the local runner takes (pipeline::load_job + make_plan):
//   1. each local `code:` folder becomes a code version only when its content hash is new
//      (GET codes/{n}/versions/1, else startPendingUpload + blob PUTs + PUT code version);
//   2. each local data input is uploaded to the default datastore under LocalUpload/<sha256>/,
//      unless its completion marker is already there;
//   3. each component is registered as an anonymous version keyed by the hash of its spec
//      (code and environment ARM ids included): PUT components/azureml_anonymous/versions/<hash>;
//   4. environments (`azureml:name:version`) and compute (`azureml:name`) become ARM ids;
//   5. PUT jobs/{name} with jobType Pipeline, one snake_case node per step, and the
//      `x-azureml-token` header.
// status/wait poll jobs/{name}; step outcomes and logs come from run history.

#include "amlops/azureml_jobs/workspace.hpp"
#include "amlops/core/json.hpp"
#include "amlops/pipeline/plan.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace amlops::azureml_jobs {

struct submit_options {
    std::string job_name;         ///< empty: "<pipeline>-<utc yyyymmddhhmmss>-<6 hex>"
    std::string experiment_name;  ///< empty: the YAML's experiment_name, else "Default"
    bool force_rerun = false;     ///< settings.force_rerun: true
    std::string datastore = "workspaceblobstore";
    amlops::logger* log = nullptr;
};

/// What submit did: the job id and name, the ARM requests by purpose and the bytes uploaded.
struct submit_report {
    std::string job_name;
    std::string job_id;
    int files_uploaded = 0;
    std::uint64_t bytes_uploaded = 0;
    int code_versions_created = 0, code_versions_reused = 0;
    int data_inputs_uploaded = 0, data_inputs_reused = 0;
    int components_registered = 0;
    json::object job;  ///< the PUT answer
    json::object to_json() const;
};

/// The content hash Azure ML uses for code snapshots (hash version 202208): sha256 over the file
/// count, then "#<relative path>#" and size of each file in lower-cased path order, then the
/// bytes of each file in that order. `.amlignore` / `.gitignore` are not applied.
std::string code_content_hash(const std::filesystem::path& folder);

/// Submits a validated pipeline (or command job, as a one-step pipeline). Throws error(config)
/// naming the YAML key for what Azure ML cannot take (an environment written inline, an unknown
/// compute form), amlops errors for service failures.
submit_report submit(workspace_session& ws, const pipeline::job_spec& job, const pipeline::plan& plan,
                     const submit_options& options = {});

/// GET jobs/{name} reduced to {name, id, status, display_name, experiment_name, outputs}, plus
/// `steps` from run history (status, exit code when failed) when `with_steps`.
json::object job_status(workspace_session& ws, const std::string& name, bool with_steps = true);

/// Polls until a terminal status (Completed, Failed, Canceled, NotResponding, Paused), backing off
/// from `first_poll` up to 30 s. `timeout` zero: no limit (error(network) otherwise). With
/// `stream`, each poll also prints the steps' new user-log lines to `log` ("[step] line"), as
/// `az ml job stream` does.
json::object wait_for_job(workspace_session& ws, const std::string& name, std::chrono::milliseconds first_poll,
                          std::chrono::milliseconds timeout, amlops::logger* log, bool stream = false);

/// Throws unless `status` says Completed: error(rejected) (exit 3) when every failed step exited
/// with 3 (a gate said no), else error(service) naming the failed steps.
void require_completed(const json::object& status);

/// The rank-0 user logs (user_logs/std_log*.txt) of every step, from run history:
/// {name, steps: {step: {status, log}}}.
json::object job_logs(workspace_session& ws, const std::string& name);

/// Downloads outputs of a finished job into `dir`, as `az ml job download --output-name` does:
/// each output's `uri` (azureml://datastores/<ds>/paths/<p>) from the job document, else the
/// default location azureml/<job>/<output>/ of `default_datastore`; every blob under it is
/// listed and fetched. One output lands in `dir` itself, several (`output_names` empty: all of
/// the job's) in `dir/<output>/`. The files are written all or nothing (output_set): a failed
/// download leaves what was there. Throws error(usage) for a job that has not finished,
/// error(not_found) for an unknown output or one with no blobs.
/// Result: {job, status, outputs: {name: {uri, files, bytes, path}}}.
json::object download_outputs(workspace_session& ws, const std::string& job_name, const std::vector<std::string>& output_names,
                              const std::filesystem::path& dir, const std::string& default_datastore = "workspaceblobstore");

/// POST jobs/{name}/cancel, then the job's status.
json::object cancel_job(workspace_session& ws, const std::string& name);

}  // namespace amlops::azureml_jobs
