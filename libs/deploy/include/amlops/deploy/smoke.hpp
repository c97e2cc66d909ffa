#pragma once
// The smoke test of a new deployment (the original's): the first rows of the test set with the
// target removed, sent as {"input_data": {"columns": [...], "data": [[...]]}} straight to the new
// deployment; the deployment passes when it answers 200 with one finite prediction per row and,
// when a bound is given, an RMSE against the removed target within it.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "amlops/core/json.hpp"

namespace amlops::deploy {

/// Rows sent by the smoke test.
struct smoke_sample {
    std::vector<std::string> columns;        ///< every column of the file except the target
    std::vector<std::vector<double>> rows;   ///< values in `columns` order
    std::vector<double> target;              ///< one per row when the file has the target column
    std::filesystem::path source;
};

/// Reads the first `max_rows` data rows of `path` (a CSV file, or a folder: its first *.csv by
/// name) and removes `target_column` (default "cost") when present. Every other cell must be a
/// number. Throws error(not_found) for a missing file, error(bad_input) naming file, line and
/// column for a non-numeric cell or a ragged row, or when the file has no data rows.
smoke_sample load_smoke_sample(const std::filesystem::path& path, std::size_t max_rows = 10,
                               const std::string& target_column = "cost");

/// The request body: {"input_data": {"columns": [...], "data": [[...]]}}.
std::string smoke_payload(const smoke_sample& s);

/// Outcome of a smoke test.
struct smoke_result {
    bool passed = false;
    int http_status = 0;
    std::size_t rows = 0;
    std::vector<double> predictions;  ///< a regression model's answers
    std::vector<std::string> labels;  ///< a classifier's answers (class labels), instead
    std::optional<double> rmse;  ///< regression only: when the sample has the target and predictions were valid
    std::string reason;          ///< why it failed (empty when passed)
    json::object to_json() const;
};

/// Judges a response to smoke_payload(s): status 200 and a JSON array (or {"predictions": [...]})
/// of rows.size() answers, either all finite numbers (a regression model) or all non-empty strings
/// (a classifier's labels, as aml-predict serve answers for a fare-class model). With `max_rmse`,
/// the RMSE against s.target must be <= max_rmse; a sample without the target, or a classifier's
/// labels, then fail, as the bound cannot be checked. Never throws.
smoke_result evaluate_smoke(const smoke_sample& s, int http_status, const std::string& body, std::optional<double> max_rmse);

}  // namespace amlops::deploy
