#pragma once
// A trained model as the tools see it: an MLflow model folder (MLmodel + xgboost JSON model +
// signature) loaded once and used to predict on numeric tables with columns matched by name.

#include "amlops/data/table.hpp"
#include "amlops/metrics/fare_classes.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace amlops::model {

/// A loaded MLflow-format xgboost model folder.
class loaded_model {
public:
    /// Loads `<dir>/MLmodel` and the model file it names. Throws error(not_found) when the folder
    /// or a file is missing, error(bad_input) when MLmodel or the model file is invalid.
    /// When amlops' own tree evaluator reads the model, xgboost's copy (needed only to check
    /// that evaluator, or as its fallback) finishes loading on a background thread; should
    /// xgboost then reject a file the evaluator accepted, the first predict_rows throws its
    /// error(bad_input). When manifest.json records aml-train's check of this model by this
    /// build and kernel (docs/fast-path.md), xgboost's copy loads only if asked for.
    static loaded_model load(const std::filesystem::path& dir);

    /// The columns a folder's MLmodel signature names, read without loading the model, so that
    /// a job can start reading data while load() runs. nullopt when MLmodel has no
    /// signature.inputs (the names are then inside the model file). Throws what load() throws
    /// for MLmodel itself.
    struct model_columns {
        std::vector<std::string> inputs;
        std::string output;
    };
    static std::optional<model_columns> read_signature_columns(const std::filesystem::path& dir);

    loaded_model(loaded_model&&) noexcept;
    loaded_model& operator=(loaded_model&&) noexcept;
    ~loaded_model();

    /// Input column names from the MLmodel signature, in model order (for a model logged without
    /// a signature: the feature names stored in the xgboost model).
    const std::vector<std::string>& input_columns() const noexcept;
    /// Name of the output (target) column from the signature, e.g. "cost".
    const std::string& output_column() const noexcept;

    /// The fare classes of a classifier (the folder's fare_classes.json), null for a regressor.
    /// A classifier predicts classes()->size() probabilities per row (row-major) instead of one
    /// value, in predict() and predict_rows() alike.
    const metrics::fare_classes* classes() const noexcept;
    /// "classification" or "regression".
    std::string_view task() const noexcept { return classes() != nullptr ? "classification" : "regression"; }

    /// Predicts one value per row (a classifier: one probability per class and row). `table.columns` must equal input_columns() (load the table with
    /// request.feature_columns = input_columns()); otherwise error(bad_input) naming the column.
    std::vector<double> predict(const data::numeric_table& table) const;

    /// Predicts `rows` rows of a dense row-major matrix whose columns are input_columns() in
    /// order (NaN = missing), e.g. one chunk of a larger table. `threads` 0 uses all cores; a
    /// server that already runs one request per core passes 1, so a request never spawns threads.
    /// Throws error(bad_input) when values.size() != rows * input_columns().size().
    std::vector<double> predict_rows(std::span<const float> values, std::size_t rows, unsigned threads = 0) const;

    /// True once predictions come from amlops' own tree evaluator and it has matched xgboost on
    /// the first rows predicted (checked by the first predict_rows call), or at training. From then on
    /// predict_rows never calls xgboost, so it may run on many threads at once, each with
    /// `threads` = 1.
    bool fast_path_verified() const noexcept;
    /// True when the folder's manifest.json carries aml-train's record that this build's
    /// evaluator matched xgboost on this very model (model/fast_path_check.hpp): then
    /// fast_path_verified() holds from the start and xgboost is never loaded for a check.
    bool fast_path_checked_at_training() const noexcept;

private:
    struct impl;
    explicit loaded_model(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
};

}  // namespace amlops::model
