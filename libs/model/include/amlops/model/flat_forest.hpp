#pragma once
// A compact, read-only copy of an xgboost tree ensemble for fast prediction: every tree's nodes
// renumbered so that a node's two children are adjacent, 12 bytes per node, evaluated in blocks
// of rows on all cores. It reproduces xgboost's CPU predictor bit for bit (same float
// comparisons, missing-value routing and summation order) for the models it accepts; anything
// else (categorical splits, DART, linear boosters, multi-output, non-identity objectives) is
// declined so the caller keeps using xgboost.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace amlops::model {

class flat_forest {
public:
    /// Builds the forest from xgboost JSON model text. Returns nullopt, with the reason in
    /// `why_not`, when the model uses a feature this evaluator does not implement. Throws
    /// error(bad_input) naming `origin` when the JSON is not an xgboost model.
    static std::optional<flat_forest> from_xgboost_json(std::string_view model_json, std::string_view origin,
                                                        std::string* why_not = nullptr);

    /// One prediction per row of a dense row-major matrix with num_features() columns (NaN =
    /// missing), using `threads` threads (0 = all cores).
    /// Throws error(bad_input) when values.size() != rows * num_features().
    std::vector<float> predict(std::span<const float> values, std::size_t rows, unsigned threads = 0) const;

    std::size_t num_features() const noexcept { return num_features_; }
    std::size_t num_trees() const noexcept { return roots_.size(); }

private:
    /// A node routes on `feature` (low 31 bits; top bit set = a missing value goes left) to
    /// `child` when x < threshold, else to child + 1. A leaf routes to itself whatever x is
    /// (threshold NaN, child = its own index - 1, missing goes right), so every row of a block can
    /// take exactly `depth` steps in lockstep, without data-dependent branches.
    struct node {
        float threshold;
        std::uint32_t feature;
        std::uint32_t child;
    };
    static constexpr std::uint32_t default_left_bit = 0x80000000u;

    void predict_block(const float* rows, std::size_t n, float* out) const;

    std::vector<node> nodes_;
    std::vector<float> leaf_value_;      ///< by node index (0 for inner nodes)
    std::vector<std::uint32_t> roots_;
    std::vector<std::uint32_t> depths_;  ///< steps from each root to its deepest leaf
    std::size_t num_features_ = 0;
    float base_margin_ = 0;
};

}  // namespace amlops::model
