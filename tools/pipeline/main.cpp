// aml-pipeline: runs Azure ML CLI v2 pipeline (and command) job YAML on this machine, with step
// reuse, and lists/shows the recorded runs; or submits it to an Azure ML workspace and follows
// the job. The verbs and their flags are libs/azureml_jobs' pipeline_verbs().
#include "amlops/azureml_jobs/pipeline_verbs.hpp"
#include "amlops/cli/tool.hpp"

#include <atomic>
#include <csignal>

namespace {
std::atomic<bool> interrupted{false};  // a local run stops its steps (run status "canceled")
}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGINT, [](int) { interrupted = true; });
    std::signal(SIGTERM, [](int) { interrupted = true; });
    return amlops::cli::run_subcommands(argc, argv,
        {"aml-pipeline", "Run Azure ML CLI v2 pipeline YAML locally, reusing unchanged steps, or submit it to an Azure ML workspace.",
         "[run] FILE [options] | submit FILE | status|wait|logs|cancel JOB | validate FILE | list | show [RUN-ID]",
         "Runs land in <workspace>/runs/<run-id>/ (run.json, <step>/stdout.log, <step>/<output>/).\n"
         "Example: aml-pipeline pipelines/taxi-fare-train-pipeline.yaml --set inputs.raw_data.path=/data/raw"},
        amlops::azureml_jobs::pipeline_verbs(interrupted), "run");
}
