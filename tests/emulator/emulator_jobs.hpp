#pragma once
// Emulator routes for running pipelines on "Azure ML" (tests only):
//   - workspace code versions (+ startPendingUpload), component, environment and data versions,
//     computes: state with the required properties of mfe.json / machineLearningServices.json
//     2025-09-01;
//   - pipeline jobs (Jobs_CreateOrUpdate, Jobs_Get, Jobs_Cancel): a PUT is validated (every
//     componentId, computeId, environment and datastore input must exist) and then executed on
//     this machine: each node's command is rendered like Azure ML renders it and run by
//     /bin/bash with the built amlops tools on PATH, in a scratch folder where data inputs are
//     downloaded from the emulator's blob store and outputs are folders; outputs bound to
//     pipeline outputs are uploaded to azureml/<job>/<output>/ of the default datastore;
//   - the run-history data plane found through the workspace discoveryUrl: runs/{id}/children,
//     runs/{id}/details with SAS-style logFiles URLs, and the log files themselves.
// The owning emulator calls route()/arm() with its mutex held; job threads take that mutex
// whenever they touch shared state.

#include "emulator.hpp"

#include "amlops/http/message.hpp"

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace amlops::emulator::detail {

struct jobs_context {
    std::function<std::string()> base;
    std::mutex& mutex;
    std::set<std::string>& tokens;
    std::map<std::string, json::object>& resources;
    std::map<std::string, std::string>& blobs;  ///< "<account>/<container>/<path>" -> bytes
    std::function<void(const std::string& key, json::object)> store;
    std::function<http::response(const std::string& prefix, std::map<std::string, std::string>& query, const std::string& path)> list;
    std::function<http::response(const http::request&, const std::vector<std::string>& parts)> start_pending_upload;
};

class job_routes {
public:
    explicit job_routes(jobs_context ctx);
    ~job_routes();  ///< cancels running jobs and joins their threads
    job_routes(const job_routes&) = delete;
    job_routes& operator=(const job_routes&) = delete;

    /// /discovery, /history/v1.0/..., /runlogs/...; nullopt for other paths.
    std::optional<http::response> route(const http::request& req, const std::string& path, std::map<std::string, std::string>& query);
    /// Workspace children codes, components, environments, data, computes, jobs (api-version and
    /// authorization checked, the workspace exists); nullopt for other collections.
    std::optional<http::response> arm(const http::request& req, const std::string& path, const std::vector<std::string>& parts,
                                      std::map<std::string, std::string>& query);

private:
    struct job_run;
    http::response put_job(const http::request& req, const std::string& path, const std::vector<std::string>& parts);
    void execute(job_run* job);

    jobs_context ctx_;
    std::filesystem::path scratch_;  // this emulator's job folders and its compute's AMLOPS_HOME
    std::map<std::string, std::unique_ptr<job_run>> jobs_;  // lower-cased job id -> run
};

}  // namespace amlops::emulator::detail
