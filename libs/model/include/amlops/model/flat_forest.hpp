#pragma once
// A compact, read-only copy of an xgboost tree ensemble for fast prediction, evaluated in blocks
// of rows on all cores. Trees of moderate depth (the usual case) are stored complete, as implicit
// heaps (node i's children are 2i+1 and 2i+2; a leaf above the bottom level becomes a node that
// always goes right, down to a copy of its value), so a step is one compare and no child load,
// and 8 or 16 rows step at once with AVX2/AVX-512 gathers where the CPU has them; trees up to 8
// deep also get a binned layout (values as one-byte bins of the thresholds, 64 rows a step with
// byte permutes; docs/fast-path.md); deeper trees keep a node-and-child layout. It reproduces xgboost's CPU predictor bit for bit (same float
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

struct xgboost_model_fields;

class flat_forest {
public:
    /// Builds the forest from xgboost JSON model text. Returns nullopt, with the reason in
    /// `why_not`, when the model uses a feature this evaluator does not implement. Throws
    /// error(bad_input) naming `origin` when the JSON is not an xgboost model.
    static std::optional<flat_forest> from_xgboost_json(std::string_view model_json, std::string_view origin,
                                                        std::string* why_not = nullptr);
    /// The same from the fields already read (the model loader reads model.json once).
    static std::optional<flat_forest> from_xgboost_fields(const xgboost_model_fields& model, std::string_view origin,
                                                          std::string* why_not = nullptr);

    /// One prediction per row of a dense row-major matrix with num_features() columns (NaN =
    /// missing), using `threads` threads (0 = all cores).
    /// Throws error(bad_input) when values.size() != rows * num_features().
    std::vector<float> predict(std::span<const float> values, std::size_t rows, unsigned threads = 0) const;

    std::size_t num_features() const noexcept { return num_features_; }
    /// Per feature, the distinct thresholds the model's splits use on it, ascending.
    std::vector<std::vector<float>> split_thresholds() const;
    std::size_t num_trees() const noexcept { return roots_.size(); }

    /// How rows are stepped through the trees. Every kernel gives the same bits; the choice only
    /// matters for speed (and lets tests compare the kernels).
    enum class kernel {
        automatic,  ///< the fastest one this model and CPU support
        binned,     ///< 64 rows per step on one-byte threshold bins with AVX-512 byte permutes
        avx512,     ///< 16 rows per step with AVX-512 gathers (complete layout)
        avx2,       ///< 8 rows per step with AVX2 gathers (complete layout)
        portable,   ///< plain C++ on the complete layout
        generic,    ///< plain C++ on the node-and-child layout (any depth)
    };
    /// Selects the kernel for later predict() calls (not thread-safe against them). A kernel
    /// this CPU or model cannot run falls back to the next one down the list.
    void use_kernel(kernel k) noexcept { kernel_ = k; }
    /// True when this CPU can run `k` (always for the plain C++ kernels).
    static bool cpu_supports(kernel k) noexcept;
    /// The kernel predict() runs: the selected one, or the next one down that this model and
    /// CPU support (the binned kernel hands short blocks, and blocks where a 255-threshold
    /// feature is missing, to the avx512 one).
    kernel chosen_kernel() const noexcept;
    /// "binned", "avx512", "avx2", "portable", "generic" (or "automatic").
    static std::string_view kernel_name(kernel k) noexcept;
    /// True when the trees are stored complete (max depth <= max_complete_depth).
    bool has_complete_layout() const noexcept { return complete_; }
    /// Deepest tree stored in the complete layout; deeper models use the generic kernel only.
    static constexpr std::uint32_t max_complete_depth = 12;
    /// True when the model fits the binned kernel: trees at most 8 deep, at most 126 features,
    /// at most 255 distinct thresholds per feature (hist-trained models with max_bin <= 256).
    bool has_binned_layout() const noexcept { return binned_; }

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
    void predict_block_complete(const float* rows, std::size_t n, float* out) const;
    /// One row through the complete layout, several trees at a time (for blocks of few rows).
    float predict_row_across_trees(const float* row) const;
    /// Blocks with fewer rows than this take predict_row_across_trees.
    static constexpr std::size_t few_rows = 4;
    /// At most block_rows rows (the kernels' per-block arrays are that large).
    void predict_block_simd(kernel k, const float* rows, std::size_t n, float* out) const;
    void build_complete_layout();
    void build_binned_layout();
    /// Rows of a block as bin numbers, feature-major: bins[f * stride + r] (0xFF = missing).
    /// False when a feature with 255 thresholds is missing somewhere in the block.
    bool quantize_block(const float* rows, std::size_t n, std::uint8_t* bins, std::size_t stride) const;
    void predict_block_binned(const float* rows, std::size_t n, float* out, std::vector<std::uint8_t>& scratch) const;

    std::vector<node> nodes_;
    std::vector<float> leaf_value_;      ///< by node index (0 for inner nodes)
    std::vector<std::uint32_t> roots_;
    std::vector<std::uint32_t> depths_;  ///< steps from each root to its deepest leaf
    std::size_t num_features_ = 0;
    float base_margin_ = 0;

    // Complete layout, per tree t (depth d = depths_[t]): 2^d - 1 inner nodes from
    // heap_node_offset_[t] in heap_threshold_/heap_feature_ (feature with default_left_bit), then
    // 2^d leaf values from heap_leaf_offset_[t]. Empty when some tree is deeper than
    // max_complete_depth.
    std::vector<float> heap_threshold_;
    std::vector<std::uint32_t> heap_feature_;
    std::vector<float> heap_leaf_;
    std::vector<std::uint32_t> heap_node_offset_, heap_leaf_offset_;
    bool complete_ = false;

    // Binned layout (see build_binned_layout): a feature's value becomes its bin, the number of
    // that feature's distinct split thresholds at or below it, so `x < threshold j` is
    // `bin < j + 1` on bytes. Per tree, the heap's nodes as bytes at heap_node_offset_[t]:
    // bin_feature_ (column, top bit = missing goes left) and bin_threshold_ (j + 1; 0 for the
    // padding nodes that always go right); per tree and level the distinct columns read there.
    std::vector<float> bin_cuts_;                  ///< per feature, sorted distinct thresholds
    std::vector<std::uint32_t> bin_cut_offset_;    ///< feature f's cuts: [offset[f], offset[f + 1])
    struct bin_range {
        float low, scale;  ///< a feature's buckets: bucket(x) = (x - low) * scale, clamped
    };
    std::vector<bin_range> bin_range_;              ///< per feature
    std::vector<std::uint8_t> bin_guide_;           ///< per feature, bin_buckets + 1 counts
    std::vector<std::uint8_t> bin_used_;           ///< 0 unread, 1 read, 2 read with 255 thresholds
    std::vector<std::uint8_t> bin_feature_, bin_threshold_;
    std::vector<std::uint8_t> level_columns_;      ///< distinct columns per (tree, level)
    std::vector<std::uint32_t> level_column_offset_;  ///< (tree t, level k) at [t * 9 + k, t * 9 + k + 1)
    bool binned_ = false;
    kernel kernel_ = kernel::automatic;
};

}  // namespace amlops::model
