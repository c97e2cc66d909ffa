#pragma once
// The flat evaluator (flat_forest) is an optimization that must never change a prediction. It is
// checked against libxgboost's own predictor in one of two places:
//  - at training: aml-train has xgboost's predictions of its test rows anyway, predicts the same
//    rows with the flat evaluator, and records the bitwise comparison in manifest.json
//    ("fast_path_check"), next to the sha256 of every file of the folder;
//  - at loading, when no record applies: the first rows predicted go through both, and any
//    difference switches the flat evaluator off for good (xgboost predicts instead).
// A record applies only to the model.json it names (by sha256, itself checked against the
// folder), to the amlops build that wrote it (version and commit: another build may evaluate
// differently), to the kernel this CPU would run, and only while the evaluator as loaded still
// gives the recorded predictions on a probe: rows built from the model's own thresholds (each
// value at, just below or just above a threshold; some infinite or missing), which xgboost
// predicted identically at training. Anything else (a model from MLflow or an older amlops,
// another CPU, an evaluator that changed under an unchanged build commit) takes the check at
// loading.

#include "amlops/core/json.hpp"
#include "amlops/model/flat_forest.hpp"
#include "amlops/xgb/booster.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace amlops::model {

/// manifest.json's key for the record.
inline constexpr const char* fast_path_check_key = "fast_path_check";

/// The record of one comparison of the flat evaluator with xgboost.
struct fast_path_check {
    std::string model_sha256;    ///< the model.json compared
    std::string amlops_version;  ///< the build that compared
    std::string build_commit;
    std::string kernel;          ///< flat_forest::kernel_name of the kernel used
    std::size_t rows = 0;        ///< rows predicted by both
    std::string probe_sha256;    ///< of the evaluator's predictions of fast_path_probe (float bytes)
    bool identical = false;      ///< every prediction, the probe's too, bit for bit the same
};

/// Rows for `forest` (row-major, its features) that put every feature at, just below or just
/// above one of its split thresholds, with some infinite values and, in the last rows only (so
/// that most blocks stay on the binned kernel), missing ones. Deterministic.
std::vector<float> fast_path_probe(const flat_forest& forest, std::size_t rows);
/// The probe's size.
inline constexpr std::size_t fast_path_probe_rows = 1000;

json::object to_json(const fast_path_check& check);

/// Predicts `rows` rows of `values` (row-major, the model's features) with the flat evaluator
/// and compares them bitwise with xgboost's predictions of the same rows (`reference`), and the
/// probe's predictions with `booster`'s. Returns nullopt when the flat evaluator does not take
/// the model (xgboost always predicts it).
std::optional<fast_path_check> check_fast_path(std::string_view model_json, const xgb::booster& booster, std::span<const float> values,
                                               std::size_t rows, std::span<const float> reference);

/// True when `manifest` (already verified against the folder) holds a record that the flat
/// evaluator matched xgboost on this model file (`model_file`: its name in the folder), made by
/// this amlops build with the kernel `forest` runs on this CPU.
bool fast_path_check_applies(const json::object& manifest, std::string_view model_file, const flat_forest& forest);

}  // namespace amlops::model
