#pragma once
// An owned xgboost Booster: training one round at a time, evaluation, JSON model I/O, in-place
// prediction on dense matrices and feature importance. Buffers that xgboost lends out (model
// bytes, predictions, eval text, feature names) are copied before the next C call.

#include "amlops/xgb/dmatrix.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace amlops::xgb {

/// Which boosting rounds a prediction uses: [begin, end); end = 0 means "all rounds".
struct iteration_range {
    int begin = 0;
    int end = 0;
};

/// One named data set for eval().
struct eval_set {
    std::string name;
    const dmatrix* data = nullptr;
};

/// One "<set>-<metric>:<value>" entry of xgboost's evaluation text.
struct eval_result {
    std::string set;
    std::string metric;
    double value = 0;
};

/// A feature and its importance score.
struct feature_score {
    std::string feature;
    double score = 0;
};

/// Owns one BoosterHandle; move-only. All methods throw error(internal) with xgboost's own
/// message when a C call fails, except the loaders (error(bad_input)).
class booster {
public:
    /// A new, untrained booster that caches predictions for `cache` (pass the training and
    /// validation matrices so per-round evaluation is incremental). The matrices must outlive
    /// the booster's training calls.
    explicit booster(std::span<const dmatrix* const> cache = {});

    /// Loads a model saved by save_json() / xgboost (JSON, UBJSON or legacy binary) from a file.
    /// Throws error(not_found) if absent, error(bad_input) naming the file if xgboost rejects it.
    static booster load_file(const std::filesystem::path& path);
    /// Same from bytes in memory; `origin` names the source in errors.
    static booster load_buffer(std::string_view bytes, std::string_view origin);

    booster(booster&& other) noexcept;
    booster& operator=(booster&& other) noexcept;
    booster(const booster&) = delete;
    booster& operator=(const booster&) = delete;
    ~booster();

    /// Sets one xgboost parameter (e.g. "eta", "0.1"). Unknown names are reported by xgboost
    /// as warnings at training time, not here.
    void set_param(const std::string& name, const std::string& value);
    /// Records feature names and types ("float", "int", "q", "c") in the model.
    void set_feature_info(const std::vector<std::string>& names, const std::vector<std::string>& types);
    /// Feature names stored in the model (empty if none).
    std::vector<std::string> feature_names() const;

    /// Runs boosting round `iteration` (0-based) on `train`.
    void update_one_iter(int iteration, const dmatrix& train);
    /// xgboost's evaluation text for round `iteration`, e.g. "[3]\tvalid-rmse:1.25".
    std::string eval_text(int iteration, std::span<const eval_set> sets);
    /// eval_text() parsed into entries, in xgboost's order.
    std::vector<eval_result> eval(int iteration, std::span<const eval_set> sets);

    /// Number of boosting rounds in the model.
    int boosted_rounds() const;
    /// Number of input features the model expects.
    std::size_t num_features() const;

    /// A new booster holding rounds [begin, end) of this one (attributes and feature names kept).
    booster slice(int begin, int end) const;

    /// The model as xgboost JSON (the format Python's Booster.save_model("x.json") writes).
    std::string save_json() const;
    /// The model in xgboost's Universal Binary JSON format.
    std::string save_ubj() const;

    /// Sets / reads a string attribute stored in the model (e.g. best_iteration).
    void set_attr(const std::string& key, const std::string& value);
    std::optional<std::string> attr(const std::string& key) const;

    /// In-place prediction on a dense row-major matrix (rows * cols floats, NaN = missing); one
    /// value per row, or k per row (row-major) for a multi:softprob model with num_class k. Uses the booster's nthread parameter (0 = all cores).
    std::vector<float> predict_dense(std::span<const float> values, std::size_t rows, std::size_t cols,
                                     iteration_range range = {}) const;

    /// Prediction for every row of a DMatrix. For a matrix the booster was created with (its
    /// cache), xgboost reuses the per-round prediction cache, so this costs almost nothing after
    /// training; values equal predict_dense() on the same rows.
    std::vector<float> predict(const dmatrix& data, iteration_range range = {}) const;

    /// Feature importance of type "gain" (average gain per split), "total_gain", "weight",
    /// "cover" or "total_cover", for the features the trees use, in xgboost's order.
    std::vector<feature_score> feature_scores(std::string_view importance_type) const;

    /// The raw BoosterHandle; null only after being moved from.
    void* handle() const noexcept { return handle_; }

private:
    struct adopt_tag {};
    booster(adopt_tag, void* h) noexcept : handle_(h) {}
    std::string save(std::string_view format) const;
    void* handle_ = nullptr;
};

/// Parses xgboost's evaluation text ("[i]\tset-metric:value\t...") into entries. Throws
/// error(internal) if the text is not in that form.
std::vector<eval_result> parse_eval_text(std::string_view text);

/// The version of the linked libxgboost as "major.minor.patch".
std::string library_version();

}  // namespace amlops::xgb
