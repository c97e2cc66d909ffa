#include "amlops/pipeline/loader.hpp"
#include "amlops/pipeline/plan.hpp"
#include "amlops/pipeline/runner.hpp"

#include <algorithm>
#include <thread>

namespace amlops::pipeline {

json::object run_job_file(const std::filesystem::path& file, bool strict, run_options options) {
    const auto job = load_job(file, options.overrides);
    if (strict) require_no_ignored_keys(job);
    const auto p = make_plan(job);
    if (options.max_parallel == 0) options.max_parallel = std::max(1u, std::thread::hardware_concurrency());
    auto record = run_plan(job, p, options);
    require_success(record);
    return record;
}

}  // namespace amlops::pipeline
