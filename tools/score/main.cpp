// aml-score: predictions of an MLflow model folder on a data folder, with metrics when the data
// carries the target column.
#include "amlops/cli/tool.hpp"
#include "amlops/model/score_job.hpp"
#include "amlops/tracking/tool_run.hpp"

namespace {

// Paths as strings: program_options reads a std::filesystem::path with std::quoted, which
// rejects paths that contain spaces.
struct options {
    std::string model, data, output;
    std::size_t chunk_rows = amlops::model::score_request{}.chunk_rows;
};

void describe(amlops::cli::option_spec& s, options& o) {
    namespace po = amlops::cli::po;
    s.options.add_options()
        ("model", po::value(&o.model)->required()->value_name("DIR"), "MLflow model folder (from aml-train)")
        ("data", po::value(&o.data)->required()->value_name("DIR"), "CSV file or folder; columns matched by name")
        ("output,o", po::value(&o.output)->required()->value_name("DIR"), "folder for predictions.csv and metrics.json")
        ("chunk-rows", po::value(&o.chunk_rows)->default_value(o.chunk_rows)->value_name("N"), "rows predicted per step");
}

amlops::json::value run(const options& o, amlops::cli::context& ctx) {
    auto result = amlops::model::run_score_job({o.model, o.data, o.output, o.chunk_rows}, ctx.log(),
                                               [&](const std::string& name, const auto& path) { ctx.add_output(name, path); });
    return amlops::tracking::log_tool_result(ctx, "aml-score", std::move(result));  // when MLFLOW_TRACKING_URI is set
}

}  // namespace

int main(int argc, char** argv) {
    return amlops::cli::run_tool<options>(
        argc, argv,
        {"aml-score", "Score a data set with an MLflow xgboost model folder.", "--model DIR --data DIR --output DIR",
         "Writes predictions.csv (actual,predicted) and metrics.json (n, rmse, mae, r2, mape, residual quantiles);\n"
         "without a 'cost' column in the data, predictions.csv (predicted) only."},
        describe, run);
}
