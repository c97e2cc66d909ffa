#pragma once
// Multi-class metrics over class indices and per-class probabilities (row-major, rows x k, as
// xgboost's multi:softprob predicts them). Throws amlops::error(bad_input) when the sizes do not
// fit, a class index is outside [0, k) or a probability is not finite.

#include "amlops/core/json.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace amlops::metrics {

/// Probabilities are clipped to [eps, 1 - eps] before the logarithm, so one confident mistake
/// gives a large but finite log-loss (-ln 1e-15 = 34.5), like scikit-learn's log_loss.
inline constexpr double log_loss_eps = 1e-15;

struct classification_summary {
    std::size_t n = 0;
    double accuracy = 0;  ///< share of rows whose most probable class is the actual one
    /// Mean F1 over the classes that occur among the actual or the predicted classes (a class
    /// neither present nor predicted has no F1 and is left out, as scikit-learn does without an
    /// explicit label list); F1 = 2 TP / (2 TP + FP + FN).
    double macro_f1 = 0;
    double log_loss = 0;  ///< mean -ln p(actual class), p clipped by log_loss_eps
    std::vector<std::string> labels;
    std::vector<std::vector<std::size_t>> confusion;  ///< [actual][predicted] counts
};

/// Most probable class of each row (the first one on ties, like numpy's argmax).
std::vector<std::size_t> argmax_rows(std::span<const float> probabilities, std::size_t classes);

/// All metrics. `actual` holds class indices (as xgboost labels are doubles); `labels.size()` is
/// the number of classes k and probabilities.size() must be actual.size() * k.
classification_summary summarize_classes(std::span<const double> actual, std::span<const float> probabilities,
                                         const std::vector<std::string>& labels);

/// {n, accuracy, macro_f1, log_loss, labels, confusion_matrix: {rows: "actual", columns:
/// "predicted", counts}}
json::object to_json(const classification_summary& s);

}  // namespace amlops::metrics
