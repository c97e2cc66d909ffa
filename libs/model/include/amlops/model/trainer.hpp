#pragma once
// Fits an xgboost regressor on a numeric table: deterministic validation hold-out, round-by-round
// training with optional early stopping, and train/validation metrics of the final model.

#include "amlops/data/table.hpp"
#include "amlops/metrics/classification.hpp"
#include "amlops/metrics/regression.hpp"
#include "amlops/model/params.hpp"
#include "amlops/model/signature.hpp"
#include "amlops/xgb/booster.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace amlops::model {

/// Which rows are held out for validation: exactly round(rows * fraction) rows (none when that
/// is 0 or when it would leave no training row), chosen by a seeded hash of the row index, so
/// the same (rows, fraction, seed) always gives the same rows on every platform.
std::vector<bool> validation_mask(std::size_t rows, double fraction, std::int64_t seed);

/// Progress of one boosting round (0-based) out of `total`; `eval` holds the validation metric
/// when it was computed (early stopping on), else is empty.
struct round_progress {
    int round = 0;
    int total = 0;
    std::vector<xgb::eval_result> eval;
};
using round_callback = std::function<void(const round_progress&)>;

/// The trained model and how it got there.
struct training_outcome {
    xgb::booster booster;          ///< final model: rounds [0, best_iteration] only
    int rounds_run = 0;            ///< rounds trained before stopping
    int best_iteration = 0;        ///< 0-based index of the last kept round
    bool stopped_early = false;
    std::string eval_metric{};     ///< metric early stopping watched ("" when off)
    std::optional<double> best_score{};
    std::size_t train_rows = 0, validation_rows = 0;
    metrics::regression_summary train{};
    std::optional<metrics::regression_summary> validation{};
    /// Classification only (train and validation metrics; `train` above stays empty then).
    std::optional<metrics::classification_summary> train_classes{}, validation_classes{};
};

/// Trains on `table` (features in signature.inputs order, target required). Feature names and
/// types from `signature` are recorded in the model. Throws error(bad_input) when the table has
/// no rows, no target or columns that differ from the signature; error(internal) when xgboost fails.
/// With `class_labels` (k >= 2 names) the target holds class indices 0..k-1 and the model is a
/// multi:softprob classifier with num_class k.
training_outcome train_regressor(const data::numeric_table& table, const model_signature& signature,
                                 const train_params& params, const round_callback& on_round = {},
                                 const std::vector<std::string>& class_labels = {});

/// Predictions of `booster` for every row of `table`, as doubles.
std::vector<double> predict_table(const xgb::booster& booster, const data::numeric_table& table);

}  // namespace amlops::model
