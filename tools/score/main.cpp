// aml-score: predictions of an MLflow model folder on a data folder, with metrics when the data
// carries the target column.
#include "amlops/cli/tool.hpp"
#include "amlops/cli/vocabulary.hpp"
#include "amlops/jobs/score_drift.hpp"
#include "amlops/tracking/tool_run.hpp"

namespace {

// Paths as strings: program_options reads a std::filesystem::path with std::quoted, which
// rejects paths that contain spaces.
struct options {
    std::string model, data, output, task;
    bool probabilities = false;
    std::size_t chunk_rows = amlops::model::score_request{}.chunk_rows;
    amlops::model::drift_check drift;
};

void describe(amlops::cli::option_spec& s, options& o) {
    namespace po = amlops::cli::po;
    s.options.add_options()
        ("model", po::value(&o.model)->required()->value_name("DIR"), "MLflow model folder (from aml-train)")
        ("input", po::value(&o.data)->value_name("FILE|DIR"), "rows to score: a CSV file or folder; columns matched by name")
        ("output,o", po::value(&o.output)->required()->value_name("DIR"), "folder for predictions.csv and metrics.json");
    amlops::cli::add_bounded(s, "chunk-rows", o.chunk_rows, 1, 100'000'000, "N",
                             "rows predicted per step (default " + std::to_string(o.chunk_rows) + ")");
    s.options.add_options()("probabilities", po::bool_switch(&o.probabilities),
                            "a classifier's predictions.csv also gets each class's probability (p_A..p_J after the label)");
    s.options.add_options()("drift", po::bool_switch(&o.drift.enabled), "report PSI and KS per feature against the model's training profile (drift.json)");
    amlops::cli::add_limit(s, "drift-threshold", o.drift.limits.psi, 0, 1e6, "exit 3 when a feature's PSI exceeds X (implies --drift; 0.25 is a common limit)");
    amlops::cli::add_limit(s, "drift-ks-threshold", o.drift.limits.ks, 0, 1, "exit 3 when a feature's KS statistic exceeds X (implies --drift)");
    amlops::cli::add_task(s, o.task, "expected task of the model (default: the folder's own; the other is an error)");
    amlops::cli::add_alias(s, "data", "input", o.data);
}

amlops::json::value run(const options& o, amlops::cli::context& ctx) {
    if (o.data.empty()) throw amlops::error(amlops::error_kind::usage, "the option '--input' is required but missing").on_field("--input");
    amlops::model::score_request request{o.model, o.data, o.output, o.chunk_rows, nullptr, o.task};
    request.probabilities = o.probabilities;
    auto scored = amlops::model::run_score_job(request, o.drift, ctx.log(),
                                               [&](const std::string& name, const auto& path) { ctx.add_output(name, path); });
    if (scored.rejected) ctx.reject();
    return amlops::tracking::log_tool_result(ctx.env(), ctx.log(), "aml-score", std::move(scored.result));  // when MLFLOW_TRACKING_URI is set
}

}  // namespace

int main(int argc, char** argv) {
    return amlops::cli::run_tool<options>(
        argc, argv,
        {"aml-score", "Score a data set with an MLflow xgboost model folder.", "--model DIR --input FILE|DIR --output DIR",
         "Writes predictions.csv (actual,predicted) and metrics.json (n, rmse, mae, r2, mape, residual quantiles);\n"
         "without a 'cost' column in the data, predictions.csv (predicted) only. A classifier's folder\n"
         "(fare_classes.json) gives labels A-J and metrics accuracy, macro_f1, log_loss, confusion_matrix.\n"
         "--drift adds drift.json; a drift limit exceeded: exit 3, status \"rejected\", predictions still\n"
         "written (docs/drift.md). Regression models are predicted by amlops' tree evaluator, bit for bit\n"
         "xgboost's results: checked by aml-train (manifest.json fast_path_check, this build and CPU kernel\n"
         "only) or else against xgboost on the first rows (docs/fast-path.md)."},
        describe, run);
}
