// aml-train: fit the taxi-fare xgboost regressor (or fare-class classifier) and write an MLflow model folder.
#include "amlops/cli/tool.hpp"
#include "amlops/cli/vocabulary.hpp"
#include "amlops/model/param_flags.hpp"
#include "amlops/jobs/train_job.hpp"
#include "amlops/tracking/tool_run.hpp"

namespace {

// Paths as strings: program_options reads a std::filesystem::path with std::quoted, which
// rejects paths that contain spaces.
struct options {
    std::string train, test, params, output, sweep, task = "regression";
    amlops::model::param_overrides overrides;
    std::optional<int> threads;  ///< --threads: the `nthread` parameter
};

void describe(amlops::cli::option_spec& s, options& o) {
    namespace po = amlops::cli::po;
    s.options.add_options()
        ("train", po::value(&o.train)->required()->value_name("FILE|DIR"), "training data: CSV file or folder of CSVs (20 features + cost)")
        ("test", po::value(&o.test)->value_name("FILE|DIR"), "optional test data, scored after training into metrics.json")
        ("params", po::value(&o.params)->value_name("FILE"), "parameters as JSON or YAML (or a sweep.json: its best trial's); flags below override it")
        ("sweep", po::value(&o.sweep)->value_name("FILE"), "search space (docs/sweep.md): cross-validated trials pick the parameters; adds sweep.json")
        ("output,o", po::value(&o.output)->required()->value_name("DIR"), "MLflow model folder to write");
    amlops::cli::add_task(s, o.task, "regression (cost) or classification (fare deciles A-J, multi:softprob)");
    amlops::cli::add_threads(s, o.threads, "xgboost threads (the nthread parameter)", "0");
    // The parameter table declares --nthread; the vocabulary's name is --threads, so the
    // parameter's own flag becomes the hidden, deprecated spelling.
    po::options_description declared, params("Training parameters (override --params)");
    amlops::model::describe_param_flags(declared, o.overrides);
    for (const auto& option : declared.options()) {
        if (option->long_name() == "nthread") {
            s.hidden.add(option);
            s.deprecated.emplace_back("nthread", "threads");
        } else {
            params.add(option);
        }
    }
    s.options.add(params);
}

amlops::json::value run(const options& o, amlops::cli::context& ctx) {
    auto overrides = o.overrides;
    if (o.threads) overrides["nthread"] = std::to_string(*o.threads);
    auto result = amlops::model::run_train_job({o.train, o.test, o.params, overrides, o.output, o.sweep, o.task}, ctx.log(), ctx.env(),
                                               [&](const std::string& name, const auto& path) { ctx.add_output(name, path); });
    return amlops::tracking::log_tool_result(ctx.env(), ctx.log(), "aml-train", std::move(result));  // when MLFLOW_TRACKING_URI is set
}

}  // namespace

int main(int argc, char** argv) {
    return amlops::cli::run_tool<options>(
        argc, argv,
        {"aml-train", "Train the taxi-fare xgboost regressor (or fare-class classifier); write an MLflow model folder with metrics and manifest.",
         "--train FILE|DIR [--test FILE|DIR] [--params FILE] [--sweep FILE] [--task regression|classification] [--threads N] [PARAM FLAGS] --output DIR",
         "Output folder: MLmodel, model.json, conda.yaml, python_env.yaml, requirements.txt, input_example.json,\n"
         "metrics.json, feature_importance.json, profile.json (training profile, docs/drift.md), manifest.json.\n"
         "manifest.json records the tree evaluator's bitwise check against xgboost on the test rows\n"
         "(fast_path_check), which spares aml-score that check on this build (docs/fast-path.md).\n"
         "Example: aml-train --train prepared/ --test prepared/test.csv --params train-params.yaml --eta 0.05 -o model/"},
        describe, run);
}
