#pragma once
// The verbs of aml-pipeline with their flags, for cli::run_subcommands: run (the default),
// submit, status, wait, logs, cancel, validate, list, show. run/validate/list/show work on this
// machine (libs/pipeline); submit/status/wait/logs/cancel talk to an Azure ML workspace. They
// live here, above both, so the tool's main stays options -> one call -> result.

#include "amlops/cli/tool.hpp"

#include <atomic>
#include <vector>

namespace amlops::azureml_jobs {

/// A fresh verb table; its verbs share one options aggregate that lives as long as the table.
/// A local run stops its steps once `cancel` becomes true (the tool sets it on SIGINT/SIGTERM).
std::vector<cli::subcommand> pipeline_verbs(std::atomic<bool>& cancel);

}  // namespace amlops::azureml_jobs
