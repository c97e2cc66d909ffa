#pragma once
// aml-score as a library call: predictions of an MLflow model folder on a data folder, written
// as predictions.csv, plus metrics.json when the data carries the target column.

#include "amlops/core/json.hpp"
#include "amlops/core/log.hpp"
#include "amlops/jobs/train_job.hpp"

#include <cstddef>
#include <filesystem>

namespace amlops::model {

/// Inputs of one scoring run.
struct score_request {
    std::filesystem::path model;   ///< MLflow model folder (as aml-train writes it)
    std::filesystem::path data;    ///< CSV file or folder; columns matched by name, any order
    std::filesystem::path output;  ///< folder for predictions.csv and metrics.json
    std::size_t chunk_rows = 65536;  ///< about this many rows parsed, predicted and written per step (streamed)
};

/// Scores `request.data` with the model. Writes `predictions.csv` (`actual,predicted`, or only
/// `predicted` when the data has no target column) and, with a target, `metrics.json`
/// ({n, rmse, mae, r2, mape, residual_p50/p90/p99}). A missing input column -> error(bad_input)
/// naming it. Returns the result summary. Throws amlops::error.
json::object run_score_job(const score_request& request, logger& log, const output_sink& add_output = {});

}  // namespace amlops::model
