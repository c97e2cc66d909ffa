// aml-score: predictions of an MLflow model folder on a data folder, with metrics when the data
// carries the target column.
#include "amlops/cli/tool.hpp"
#include "amlops/cli/vocabulary.hpp"
#include "amlops/jobs/score_job.hpp"
#include "amlops/tracking/tool_run.hpp"

namespace {

// Paths as strings: program_options reads a std::filesystem::path with std::quoted, which
// rejects paths that contain spaces.
struct options {
    std::string model, data, output, task;
    std::size_t chunk_rows = amlops::model::score_request{}.chunk_rows;
};

void describe(amlops::cli::option_spec& s, options& o) {
    namespace po = amlops::cli::po;
    s.options.add_options()
        ("model", po::value(&o.model)->required()->value_name("DIR"), "MLflow model folder (from aml-train)")
        ("input", po::value(&o.data)->value_name("FILE|DIR"), "rows to score: a CSV file or folder; columns matched by name")
        ("output,o", po::value(&o.output)->required()->value_name("DIR"), "folder for predictions.csv and metrics.json");
    amlops::cli::add_bounded(s, "chunk-rows", o.chunk_rows, 1, 100'000'000, "N",
                             "rows predicted per step (default " + std::to_string(o.chunk_rows) + ")");
    amlops::cli::add_task(s, o.task, "expected task of the model (default: the folder's own; the other is an error)");
    amlops::cli::add_alias(s, "data", "input", o.data);
}

amlops::json::value run(const options& o, amlops::cli::context& ctx) {
    if (o.data.empty()) throw amlops::error(amlops::error_kind::usage, "the option '--input' is required but missing").on_field("--input");
    auto result = amlops::model::run_score_job({o.model, o.data, o.output, o.chunk_rows, o.task}, ctx.log(),
                                               [&](const std::string& name, const auto& path) { ctx.add_output(name, path); });
    return amlops::tracking::log_tool_result(ctx.env(), ctx.log(), "aml-score", std::move(result));  // when MLFLOW_TRACKING_URI is set
}

}  // namespace

int main(int argc, char** argv) {
    return amlops::cli::run_tool<options>(
        argc, argv,
        {"aml-score", "Score a data set with an MLflow xgboost model folder.", "--model DIR --input FILE|DIR --output DIR",
         "Writes predictions.csv (actual,predicted) and metrics.json (n, rmse, mae, r2, mape, residual quantiles);\n"
         "without a 'cost' column in the data, predictions.csv (predicted) only. A classifier's folder\n"
         "(fare_classes.json) gives labels A-J and metrics accuracy, macro_f1, log_loss, confusion_matrix."},
        describe, run);
}
