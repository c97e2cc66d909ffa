#pragma once
// aml-score as a library call: predictions of an MLflow model folder on a data folder, written
// as predictions.csv, plus metrics.json when the data carries the target column.

#include "amlops/core/json.hpp"
#include "amlops/core/log.hpp"
#include "amlops/core/output_set.hpp"
#include "amlops/data/table.hpp"
#include "amlops/jobs/train_job.hpp"

#include <cstddef>
#include <filesystem>

namespace amlops::model {

/// Watches the rows of a scoring run (drift monitoring, score_drift.hpp): observe() gets every
/// parsed piece, from several threads at once; finish() runs once after the last piece and may
/// stage files into the run's output set and add to its result.
class row_observer {
public:
    virtual ~row_observer() = default;
    virtual void observe(const data::numeric_table& rows) = 0;
    virtual void finish(output_set& outputs, const std::filesystem::path& output_dir, json::object& result) = 0;
};

/// Inputs of one scoring run.
struct score_request {
    std::filesystem::path model;   ///< MLflow model folder (as aml-train writes it)
    std::filesystem::path data;    ///< CSV file or folder; columns matched by name, any order
    std::filesystem::path output;  ///< folder for predictions.csv and metrics.json
    std::size_t chunk_rows = 65536;  ///< about this many rows parsed, predicted and written per step (streamed)
    row_observer* observer = nullptr;  ///< optional; not owned
    /// Expected task ("regression"/"classification"); empty = whatever the model folder holds.
    /// A model of the other task is error(bad_input).
    std::string task{};
    /// A classifier's predictions.csv also gets each class's probability (p_A..p_J columns after
    /// the label). A regression model with this set is error(bad_input).
    bool probabilities = false;
};

/// Scores `request.data` with the model. Writes `predictions.csv` (`actual,predicted`, or only
/// `predicted` when the data has no target column) and, with a target, `metrics.json`
/// ({n, rmse, mae, r2, mape, residual_p50/p90/p99}). A missing input column -> error(bad_input)
/// naming it. A classifier writes class labels in both columns (the actual one from the cost and
/// the model's fare_classes.json) and metrics.json {task, n, accuracy, macro_f1, log_loss,
/// confusion_matrix}. Returns the result summary. Throws amlops::error.
json::object run_score_job(const score_request& request, logger& log, const output_sink& add_output = {});

}  // namespace amlops::model
