#pragma once
// Executes a planned pipeline locally: steps in dependency order, independent steps in parallel,
// step reuse through the workspace's cache, and a run record (runs/<run-id>/run.json).
//
// Per run: <workspace>/runs/<run-id>/run.json, and per step <job>/stdout.log, <job>/stderr.log
// and <job>/<output>/ for each output (a uri_file output is the file <job>/<output>).
//
// Reuse key of a step = sha256 of: the runner's key version; amlops version and build commit;
// the component definition (normalized YAML, command text included); the digest of every amlops
// tool binary (a file in bin_dir) named in the command; the `code` folder's content; resolved
// environment_variables; every input: a literal's text, or the content digest of a data input
// (local data and upstream outputs alike, so a change propagates downstream); output names and
// types. A hit links the cached outputs into this run's folders, marks the step `reused`, and
// does not execute it. Never reused or cached: components with is_deterministic: false, runs
// with force_rerun (flag or settings.force_rerun; as on Azure ML, such runs also never become a
// reuse source), failed steps.

#include "amlops/core/json.hpp"
#include "amlops/core/log.hpp"
#include "amlops/pipeline/plan.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace amlops::pipeline {

/// How to run.
struct run_options {
    std::filesystem::path workspace;          ///< absolute; holds runs/ and cache/
    std::filesystem::path bin_dir;            ///< prepended to PATH; its tools are part of reuse keys
    std::filesystem::path ca_file;            ///< `--ca-file`: handed to every step as $AMLOPS_CA_FILE (empty: none)
    std::size_t max_parallel = 2;             ///< steps running at once (>= 1)
    bool force_rerun = false;                 ///< as settings.force_rerun: true
    bool dry_run = false;                     ///< resolve and render commands only
    std::string run_id;                       ///< empty: "<UTC yyyymmdd-hhmmss>-<6 hex>"
    std::vector<std::string> overrides;       ///< --set values, recorded
    std::string commit;                       ///< source commit, recorded (empty: unknown)
    std::string branch;                       ///< recorded (empty: unknown)
    const std::atomic<bool>* cancel = nullptr;///< set asynchronously (e.g. SIGINT) to stop the run
    logger* log = nullptr;                    ///< progress lines (one per step start/finish)
    std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
};

/// Runs the plan and returns the run record, which is also written to runs/<id>/run.json (not in
/// dry-run mode, where each step carries its rendered `command` and nothing is executed or
/// written). The record's "status" is "completed" when every step completed or was reused,
/// "failed" when one failed (its dependents are "skipped"; with
/// settings.continue_on_step_failure: false nothing new starts after the first failure and
/// running steps are "canceled"), "canceled" when options.cancel was set. A step failing does not
/// throw; problems of the runner itself (cannot create folders, ...) throw error(io).
json::object run_plan(const job_spec& job, const plan& p, const run_options& options);

/// Throws when a run record does not say "completed": error(rejected) (exit 3) when every
/// failed step exited with 3 (a check said no), else error(service) (exit 1); the message names
/// the run, the failed step(s) and the first failed step's log (error.file).
void require_success(const json::object& record);

/// Summaries of the runs in `workspace` (newest first): run_id, pipeline, status, started_at,
/// duration_seconds and counts of step statuses. Unreadable records are skipped.
json::array list_runs(const std::filesystem::path& workspace);

/// The record of one run; `run_id` may be "latest". Throws error(not_found).
json::object load_run(const std::filesystem::path& workspace, const std::string& run_id);

/// `aml-pipeline run FILE` as one call: loads `file` with `options.overrides` (--set), refuses keys
/// without local meaning when `strict`, plans, runs (options.max_parallel 0: one step per core)
/// and returns the record once require_success() accepts it.
json::object run_job_file(const std::filesystem::path& file, bool strict, run_options options);

}  // namespace amlops::pipeline
