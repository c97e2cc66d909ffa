#include "amlops/model/flat_forest.hpp"

#include "amlops/core/error.hpp"
#include "xgboost_json.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <thread>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define AMLOPS_FLAT_FOREST_X86 1
#endif

namespace amlops::model {
namespace {

constexpr std::size_t block_rows = 128;
// The binned kernel's blocks: four groups of 64 rows, so each tree's byte tables, loaded from
// memory once per block, serve 256 rows.
constexpr std::size_t binned_block_rows = 256;
// Fewer rows than this take the float kernels: 64 byte lanes would mostly idle.
constexpr std::size_t binned_min_rows = 32;
// Levels a tree may have in the binned layout: within-level node numbers stay below 256.
constexpr std::uint32_t binned_max_depth = 8;
constexpr std::uint8_t missing_bin = 0xFF;
// Per feature, the range from its lowest to its highest threshold is cut into this many equal
// buckets, each remembering how many thresholds lie in the buckets before it (see bin_bucket).
constexpr std::uint32_t bin_buckets = 1024;

// The bucket of a non-NaN value: monotone in x (a subtraction and a multiplication by a
// positive constant never reverse an order, nor do clamping and truncation), which is all the
// bin lookup relies on. NaN from inf * 0 lands in bucket 0, which is monotone too.
inline std::uint32_t bin_bucket(float x, float low, float scale) {
    float at = (x - low) * scale;
    if (!(at >= 0.0f)) at = 0.0f;
    if (at > static_cast<float>(bin_buckets - 1)) at = static_cast<float>(bin_buckets - 1);
    return static_cast<std::uint32_t>(at);
}

// xgboost writes its parameters as text ("20", "5E-1"); read it as xgboost does, whole.
std::int64_t integer_text(const std::string& text, std::string_view what, std::string_view origin) {
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || ptr != text.data() + text.size())
        throw error(error_kind::bad_input, "xgboost model: '" + std::string(what) + "' is not an integer: " + text)
            .in_file(std::string(origin));
    return v;
}

float float_text(const std::string& text, std::string_view what, std::string_view origin) {
    float v = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || ptr != text.data() + text.size())
        throw error(error_kind::bad_input, "xgboost model: '" + std::string(what) + "' is not a number: " + text)
            .in_file(std::string(origin));
    return v;
}

// Objectives whose prediction is the raw margin (no link function to reproduce).
bool identity_objective(std::string_view name) {
    return name == "reg:squarederror" || name == "reg:squaredlogerror" || name == "reg:pseudohubererror" ||
           name == "reg:absoluteerror" || name == "reg:linear";
}

}  // namespace

std::optional<flat_forest> flat_forest::from_xgboost_json(std::string_view model_json, std::string_view origin,
                                                          std::string* why_not) {
    return from_xgboost_fields(read_xgboost_json(model_json, std::string(origin)), origin, why_not);
}

std::optional<flat_forest> flat_forest::from_xgboost_fields(const xgboost_model_fields& model, std::string_view origin,
                                                            std::string* why_not) {
    auto decline = [&](std::string reason) -> std::optional<flat_forest> {
        if (why_not) *why_not = std::move(reason);
        return std::nullopt;
    };
    auto bad = [&](const std::string& why) { return error(error_kind::bad_input, "xgboost model: " + why).in_file(std::string(origin)); };
    if (!model.objective_object || model.objective.empty()) throw bad("no learner.objective.name");
    if (!identity_objective(model.objective)) return decline("objective " + model.objective + " has a link function");
    if (model.booster.empty()) throw bad("no learner.gradient_booster.name");
    if (model.booster != "gbtree") return decline("booster " + model.booster);
    for (const std::string* v : {&model.num_class, &model.num_target})
        if (!v->empty() && integer_text(*v, "num_class/num_target", origin) > 1) return decline("multi-output model");

    flat_forest f;
    if (model.num_feature.empty()) throw bad("no learner.learner_model_param.num_feature");
    const std::int64_t features = integer_text(model.num_feature, "num_feature", origin);
    if (features < 0) throw bad("num_feature is negative");
    f.num_features_ = static_cast<std::size_t>(features);
    if (model.base_score.empty()) throw bad("no learner.learner_model_param.base_score");
    f.base_margin_ = float_text(model.base_score, "base_score", origin);

    if (!model.booster_model || !model.gbtree_model_param) throw bad("no gradient_booster.model.gbtree_model_param");
    if (!model.num_parallel_tree.empty() && integer_text(model.num_parallel_tree, "num_parallel_tree", origin) != 1)
        return decline("random-forest model (num_parallel_tree > 1)");
    if (!model.trees_array) throw bad("no gradient_booster.model.trees array");
    for (const auto& tree : model.trees) {
        if (!tree.is_object) throw bad("tree is not an object");
        if (!tree.has_left || !tree.has_right || !tree.has_conditions || !tree.has_indices || !tree.has_default_left)
            throw bad("a tree lacks one of left_children, right_children, split_conditions, split_indices, default_left");
        if (tree.malformed) throw bad("a tree array holds a value of the wrong type");
        const auto& left = tree.left;
        const auto& right = tree.right;
        const auto& cond = tree.split_condition;
        const auto& index = tree.split_index;
        const auto& dleft = tree.default_left;
        const std::size_t n = left.size();
        if (right.size() != n || cond.size() != n || index.size() != n || dleft.size() != n || n == 0)
            throw bad("inconsistent tree arrays");
        for (auto type : tree.split_type)
            if (type != 0) return decline("categorical splits");
        if (!tree.size_leaf_vector.empty() && integer_text(tree.size_leaf_vector, "size_leaf_vector", origin) > 0)
            return decline("vector leaves");

        // Breadth-first renumbering: the children of a node are stored side by side.
        const auto base = static_cast<std::uint32_t>(f.nodes_.size());
        f.roots_.push_back(base);
        std::vector<std::size_t> order{0};
        std::vector<std::uint32_t> level{0};
        std::uint32_t depth = 0;
        f.nodes_.push_back({});
        f.leaf_value_.push_back(0.0f);
        for (std::size_t k = 0; k < order.size(); ++k) {
            const std::size_t src = order[k];
            const auto self = base + static_cast<std::uint32_t>(k);
            const std::int64_t l = left[src];
            if (l == -1) {
                // Unsigned wrap-around is intended: (self - 1) + 1 == self, node 0 included.
                f.nodes_[self] = {std::numeric_limits<float>::quiet_NaN(), 0u, self - 1u};
                f.leaf_value_[self] = cond[src];
                depth = std::max(depth, level[k]);
                continue;
            }
            const std::int64_t r = right[src];
            const std::int64_t feat = index[src];
            if (l < 0 || r < 0 || static_cast<std::size_t>(l) >= n || static_cast<std::size_t>(r) >= n || feat < 0 ||
                static_cast<std::size_t>(feat) >= f.num_features_ || order.size() + 2 > n)
                throw bad("malformed tree");
            f.nodes_[self] = {cond[src], static_cast<std::uint32_t>(feat) | (dleft[src] != 0 ? default_left_bit : 0u),
                              base + static_cast<std::uint32_t>(order.size())};
            order.push_back(static_cast<std::size_t>(l));
            order.push_back(static_cast<std::size_t>(r));
            level.push_back(level[k] + 1);
            level.push_back(level[k] + 1);
            f.nodes_.resize(f.nodes_.size() + 2);
            f.leaf_value_.resize(f.leaf_value_.size() + 2, 0.0f);
        }
        f.depths_.push_back(depth);
    }
    f.build_complete_layout();
    f.build_binned_layout();
    return f;
}

// Copies every tree into its complete heap. A leaf at depth k < d fills its whole subtree: the
// inner nodes below it get a NaN threshold with missing-goes-right (x < NaN is false, so every
// row goes right) and all leaves below it get its value; only the rightmost one is reachable,
// but filling them all keeps the layout free of garbage.
void flat_forest::build_complete_layout() {
    complete_ = false;
    std::uint32_t deepest = 0;
    for (auto d : depths_) deepest = std::max(deepest, d);
    if (deepest > max_complete_depth) return;
    heap_threshold_.clear();
    heap_feature_.clear();
    heap_leaf_.clear();
    heap_node_offset_.clear();
    heap_leaf_offset_.clear();
    for (std::size_t t = 0; t < roots_.size(); ++t) {
        const std::uint32_t d = depths_[t];
        const std::size_t inner = (std::size_t{1} << d) - 1;
        const std::size_t node_base = heap_threshold_.size(), leaf_base = heap_leaf_.size();
        heap_node_offset_.push_back(static_cast<std::uint32_t>(node_base));
        heap_leaf_offset_.push_back(static_cast<std::uint32_t>(leaf_base));
        heap_threshold_.resize(node_base + inner, std::numeric_limits<float>::quiet_NaN());
        heap_feature_.resize(node_base + inner, 0u);
        heap_leaf_.resize(leaf_base + inner + 1, 0.0f);
        // (source node, heap position) pairs; explicit stack, trees may be up to 12 deep.
        std::vector<std::pair<std::uint32_t, std::size_t>> todo{{roots_[t], 0}};
        while (!todo.empty()) {
            auto [src, pos] = todo.back();
            todo.pop_back();
            const node& nd = nodes_[src];
            const bool leaf = nd.child == src - 1u;
            if (pos >= inner) {  // bottom level: must be a leaf (the depth is the deepest leaf's)
                heap_leaf_[leaf_base + pos - inner] = leaf_value_[src];
                continue;
            }
            if (leaf) {
                // Already NaN / missing-right from the resize; children repeat this leaf.
                todo.push_back({src, 2 * pos + 1});
                todo.push_back({src, 2 * pos + 2});
                continue;
            }
            heap_threshold_[node_base + pos] = nd.threshold;
            heap_feature_[node_base + pos] = nd.feature;
            todo.push_back({nd.child, 2 * pos + 1});
            todo.push_back({nd.child + 1, 2 * pos + 2});
        }
    }
    // Room for the AVX-512 kernel's 32-node loads at the last tree's top.
    heap_threshold_.resize(heap_threshold_.size() + 32, std::numeric_limits<float>::quiet_NaN());
    heap_feature_.resize(heap_feature_.size() + 32, 0u);
    complete_ = true;
}

// The binned layout. Per feature, the distinct thresholds its splits use, sorted: t_0 < t_1 <
// ... A value x becomes its bin b(x) = #{j : t_j <= x}; then x < t_j exactly when b(x) <= j, so
// a split on t_j becomes `b(x) < j + 1` on bytes, for any float x (infinities included) and
// with no rounding anywhere. Missing values get bin 0xFF. A feature with 255 thresholds (the
// most a model trained with max_bin 256 has) needs 0xFF for its top bin: its nodes drop their
// missing-goes-left bit, and a block in which it is missing takes the float kernel instead.
// Padding nodes of the complete layout (NaN threshold, missing goes
// right) become threshold byte 0: no bin is below 0, so every row goes right, as before.
void flat_forest::build_binned_layout() {
    binned_ = false;
    if (!complete_ || num_features_ > 126) return;
    for (auto d : depths_)
        if (d > binned_max_depth) return;
    const std::size_t inner_nodes = heap_threshold_.size() - 32;  // without the AVX-512 padding
    std::vector<std::vector<float>> cuts(num_features_);
    for (std::size_t i = 0; i < inner_nodes; ++i) {
        const float t = heap_threshold_[i];
        if (t != t) {
            // A padding node; a NaN split with missing-goes-left would not be one.
            if ((heap_feature_[i] & default_left_bit) != 0) return;
            continue;
        }
        cuts[heap_feature_[i] & ~default_left_bit].push_back(t);
    }
    bin_cuts_.clear();
    bin_cut_offset_.assign(1, 0);
    bin_range_.clear();
    bin_guide_.clear();
    bin_used_.assign(num_features_, 0);
    for (std::size_t f = 0; f < num_features_; ++f) {
        auto& c = cuts[f];
        std::sort(c.begin(), c.end());
        c.erase(std::unique(c.begin(), c.end()), c.end());  // -0 and +0 are one threshold
        if (c.size() > missing_bin) return;
        bin_used_[f] = c.empty() ? 0 : (c.size() == missing_bin ? 2 : 1);
        bin_cuts_.insert(bin_cuts_.end(), c.begin(), c.end());
        bin_cut_offset_.push_back(static_cast<std::uint32_t>(bin_cuts_.size()));
        // Guide: before[k] = the thresholds in buckets below k. As buckets are monotone, those
        // are all below any x in bucket k and those in buckets above k are all above it, so
        // x's bin lies in [before[k], before[k + 1]].
        float low = 0, scale = 0;
        if (c.size() > 1) {
            low = c.front();
            scale = static_cast<float>(bin_buckets) / (c.back() - c.front());
            if (!std::isfinite(scale)) scale = 0;
        }
        bin_range_.push_back({low, scale});
        std::vector<std::uint8_t> before(bin_buckets + 1, 0);
        for (float cut : c) ++before[bin_bucket(cut, low, scale) + 1];
        for (std::uint32_t k = 1; k <= bin_buckets; ++k) before[k] = static_cast<std::uint8_t>(before[k] + before[k - 1]);
        bin_guide_.insert(bin_guide_.end(), before.begin(), before.end());
    }
    bin_guide_.resize(bin_guide_.size() + 4, 0);  // the vector lookup reads 4 bytes at the last bucket
    // The kernel loads 64 bytes of a level at once (two at the 8th): room to read past the end.
    bin_feature_.assign(inner_nodes + 128, 0);
    bin_threshold_.assign(inner_nodes + 128, 0);
    for (std::size_t i = 0; i < inner_nodes; ++i) {
        const float t = heap_threshold_[i];
        if (t != t) continue;
        const std::uint32_t column = heap_feature_[i] & ~default_left_bit;
        const auto& c = cuts[column];
        const auto j = static_cast<std::size_t>(std::lower_bound(c.begin(), c.end(), t) - c.begin());
        bin_threshold_[i] = static_cast<std::uint8_t>(j + 1);
        const bool default_left = (heap_feature_[i] & default_left_bit) != 0 && c.size() < missing_bin;
        bin_feature_[i] = static_cast<std::uint8_t>(column | (default_left ? 0x80u : 0u));
    }
    // Per tree and level, the columns its real nodes read: the kernel fetches a row's bin by
    // selecting among these columns only (one at the root, at most 2^k at level k).
    level_columns_.clear();
    level_column_offset_.clear();
    for (std::size_t t = 0; t < roots_.size(); ++t) {
        for (std::uint32_t k = 0; k <= binned_max_depth; ++k) {
            level_column_offset_.push_back(static_cast<std::uint32_t>(level_columns_.size()));
            if (k >= depths_[t] || k == binned_max_depth) continue;
            const std::size_t first = heap_node_offset_[t] + (std::size_t{1} << k) - 1;
            std::array<bool, 128> seen{};
            for (std::size_t i = first; i < first + (std::size_t{1} << k); ++i) {
                if (bin_threshold_[i] == 0) continue;
                const std::uint8_t column = bin_feature_[i] & 0x7Fu;
                if (!seen[column]) level_columns_.push_back(column);
                seen[column] = true;
            }
        }
    }
    level_column_offset_.push_back(static_cast<std::uint32_t>(level_columns_.size()));
    binned_ = true;
}

#ifdef AMLOPS_FLAT_FOREST_X86
namespace {

// quantize_block's lookup for 16 rows at a time (the scalar loop's steps lane by lane: the same
// bucket arithmetic, in the same float operations, then the same forward count). The bucket's
// two bounds come from one 32-bit gather (before[k] and before[k + 1] are adjacent bytes).
// Returns the number of rows done (a multiple of 16); false in `missing` when some value is NaN.
__attribute__((target("avx512f,avx512bw"))) std::size_t quantize_column_avx512(const float* rows, std::size_t n, std::size_t stride,
                                                                               const float* cuts, const std::uint8_t* before,
                                                                               float low, float scale, std::uint8_t* column,
                                                                               bool& missing) {
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i offsets = _mm512_mullo_epi32(lane, _mm512_set1_epi32(static_cast<int>(stride)));
    const __m512 low_v = _mm512_set1_ps(low), scale_v = _mm512_set1_ps(scale);
    const __m512 zero = _mm512_setzero_ps(), last_bucket = _mm512_set1_ps(static_cast<float>(bin_buckets - 1));
    const __m512i byte = _mm512_set1_epi32(0xFF), one = _mm512_set1_epi32(1);
    const __m512i missing_v = _mm512_set1_epi32(missing_bin);
    const __mmask16 all = 0xFFFF;
    std::size_t r = 0;
    for (; r + 16 <= n; r += 16) {
        const __m512 x = _mm512_mask_i32gather_ps(zero, all, offsets, rows + r * stride, 4);
        const __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
        if (nan != 0) missing = true;
        // max(NaN, 0) is 0, as the scalar `!(at >= 0)`. (Zero-masked forms throughout: GCC 12
        // flags the unmasked ones' "undefined" source with -Wmaybe-uninitialized.)
        __m512 at = _mm512_maskz_max_ps(all, _mm512_mul_ps(_mm512_sub_ps(x, low_v), scale_v), zero);
        at = _mm512_maskz_min_ps(all, at, last_bucket);
        const __m512i k = _mm512_maskz_cvttps_epi32(all, at);
        const __m512i bounds = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), all, k, before, 1);
        __m512i bin = _mm512_and_si512(bounds, byte);
        const __m512i end = _mm512_and_si512(_mm512_maskz_srli_epi32(all, bounds, 8), byte);
        __mmask16 active = static_cast<__mmask16>(_mm512_cmplt_epi32_mask(bin, end) & ~nan);
        while (active != 0) {
            const __m512 cut = _mm512_mask_i32gather_ps(zero, active, bin, cuts, 4);
            const __mmask16 step = _mm512_mask_cmp_ps_mask(active, cut, x, _CMP_LE_OQ);
            bin = _mm512_mask_add_epi32(bin, step, bin, one);
            active = _mm512_mask_cmplt_epi32_mask(step, bin, end);
        }
        bin = _mm512_mask_mov_epi32(bin, nan, missing_v);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(column + r), _mm512_maskz_cvtepi32_epi8(all, bin));
    }
    return r;
}

}  // namespace
#endif

bool flat_forest::quantize_block(const float* rows, std::size_t n, std::uint8_t* bins, std::size_t stride) const {
    for (std::size_t f = 0; f < num_features_; ++f) {
        if (bin_used_[f] == 0) continue;  // no split reads it
        std::uint8_t* column = bins + f * stride;
        const float* cuts = bin_cuts_.data() + bin_cut_offset_[f];
        const std::uint8_t* before = bin_guide_.data() + f * (bin_buckets + 1);
        const auto [low, scale] = bin_range_[f];
        bool missing = false;
        std::size_t r = 0;
#ifdef AMLOPS_FLAT_FOREST_X86
        if (cpu_supports(kernel::binned)) r = quantize_column_avx512(rows + f, n, num_features_, cuts, before, low, scale, column, missing);
#endif
        for (; r < n; ++r) {
            const float x = rows[r * num_features_ + f];
            if (x != x) {
                column[r] = missing_bin;
                missing = true;
                continue;
            }
            // The bin (the number of thresholds <= x) lies within x's bucket: count the rest.
            const std::uint32_t k = bin_bucket(x, low, scale);
            std::uint32_t bin = before[k];
            const std::uint32_t end = before[k + 1];
            while (bin < end && cuts[bin] <= x) ++bin;
            column[r] = static_cast<std::uint8_t>(bin);
        }
        // 255 thresholds: bin 0xFF is a value, so missing values need the float kernel.
        if (missing && bin_used_[f] == 2) return false;
        std::fill(column + n, column + stride, std::uint8_t{0});  // lanes past the rows: any defined bin
    }
    return true;
}

// Rows in blocks, trees in the outer loop: one tree's nodes stay in cache for the whole block.
// All rows of a block descend one level at a time; the steps of different rows are independent,
// so the CPU overlaps their memory loads instead of stalling on one row's mispredicted branches.
// Each row's sum is accumulated tree by tree in model order, in float, as xgboost does.
void flat_forest::predict_block(const float* rows, std::size_t n, float* out) const {
    std::fill(out, out + n, base_margin_);
    std::array<std::uint32_t, block_rows> at{};
    const node* nodes = nodes_.data();
    const std::size_t stride = num_features_;
    for (std::size_t t = 0; t < roots_.size(); ++t) {
        std::fill(at.begin(), at.begin() + static_cast<std::ptrdiff_t>(n), roots_[t]);
        for (std::uint32_t step = 0; step < depths_[t]; ++step) {
            for (std::size_t r = 0; r < n; ++r) {
                const node& nd = nodes[at[r]];
                const float v = rows[r * stride + (nd.feature & ~default_left_bit)];
                // x < NaN is false, so a leaf always takes child + 1, which is itself.
                std::uint32_t right = v < nd.threshold ? 0u : 1u;
                if (v != v) right = (nd.feature & default_left_bit) ? 0u : 1u;
                at[r] = nd.child + right;
            }
        }
        for (std::size_t r = 0; r < n; ++r) out[r] += leaf_value_[at[r]];
    }
}

// The complete layout in plain C++: the same lockstep as predict_block, but the next node is
// computed (2i + 1 + right) instead of loaded.
namespace {

// One level of the complete layout: the child of heap node `i` that `row` goes to. An ordered
// `x < threshold` is false for NaN, which then takes the node's default direction.
inline std::uint32_t complete_child(const float* row, std::uint32_t i, const float* threshold,
                                    const std::uint32_t* feature, std::uint32_t default_left) {
    const std::uint32_t f = feature[i];
    const float v = row[f & ~default_left];
    std::uint32_t right = v < threshold[i] ? 0u : 1u;
    if (v != v) right = (f & default_left) ? 0u : 1u;
    return 2 * i + 1 + right;
}

}  // namespace

float flat_forest::predict_row_across_trees(const float* row) const {
    // Sixteen trees walked in lockstep: a lone row taken tree after tree is one long chain of
    // dependent loads (each level waits for the node the level above chose), and on a forest
    // larger than the L2 cache each of those loads is a miss; sixteen independent walks keep many
    // misses in flight. Leaves are still added in tree order, so the sum is bit for bit the one
    // the row-lockstep kernels compute.
    constexpr std::size_t lanes = 16;
    float sum = base_margin_;
    const std::size_t trees = roots_.size();
    for (std::size_t t0 = 0; t0 < trees; t0 += lanes) {
        const std::size_t count = std::min(lanes, trees - t0);
        std::array<std::uint32_t, lanes> at{};
        std::array<const float*, lanes> threshold{};
        std::array<const std::uint32_t*, lanes> feature{};
        std::uint32_t deepest = 0, shallowest = ~0u;
        for (std::size_t j = 0; j < count; ++j) {
            threshold[j] = heap_threshold_.data() + heap_node_offset_[t0 + j];
            feature[j] = heap_feature_.data() + heap_node_offset_[t0 + j];
            deepest = std::max(deepest, depths_[t0 + j]);
            shallowest = std::min(shallowest, depths_[t0 + j]);
        }
        // Every tree takes the levels all of them have; the deeper ones then finish alone.
        for (std::uint32_t step = 0; step < shallowest; ++step)
            for (std::size_t j = 0; j < count; ++j) at[j] = complete_child(row, at[j], threshold[j], feature[j], default_left_bit);
        for (std::uint32_t step = shallowest; step < deepest; ++step)
            for (std::size_t j = 0; j < count; ++j)
                if (step < depths_[t0 + j]) at[j] = complete_child(row, at[j], threshold[j], feature[j], default_left_bit);
        for (std::size_t j = 0; j < count; ++j) {
            const std::size_t t = t0 + j;
            sum += heap_leaf_[heap_leaf_offset_[t] + at[j] - ((1u << depths_[t]) - 1)];
        }
    }
    return sum;
}

void flat_forest::predict_block_complete(const float* rows, std::size_t n, float* out) const {
    // A few rows (a single-row scoring request, the tail of a vector block) do not fill a row
    // lockstep: walk several trees at once instead.
    if (n < few_rows) {
        for (std::size_t r = 0; r < n; ++r) out[r] = predict_row_across_trees(rows + r * num_features_);
        return;
    }
    std::fill(out, out + n, base_margin_);
    std::array<std::uint32_t, block_rows> at{};
    const std::size_t stride = num_features_;
    for (std::size_t t = 0; t < roots_.size(); ++t) {
        const float* threshold = heap_threshold_.data() + heap_node_offset_[t];
        const std::uint32_t* feature = heap_feature_.data() + heap_node_offset_[t];
        std::fill(at.begin(), at.begin() + static_cast<std::ptrdiff_t>(n), 0u);
        for (std::uint32_t step = 0; step < depths_[t]; ++step) {
            for (std::size_t r = 0; r < n; ++r) at[r] = complete_child(rows + r * stride, at[r], threshold, feature, default_left_bit);
        }
        const float* leaf = heap_leaf_.data() + heap_leaf_offset_[t];
        const std::uint32_t first_leaf = (1u << depths_[t]) - 1;
        for (std::size_t r = 0; r < n; ++r) out[r] += leaf[at[r] - first_leaf];
    }
}

#ifdef AMLOPS_FLAT_FOREST_X86
namespace {

// The complete layout as the vector kernels read it.
struct forest_view {
    const float* threshold;
    const std::uint32_t* feature;
    const float* leaf;
    const std::uint32_t* node_offset;
    const std::uint32_t* leaf_offset;
    const std::uint32_t* depth;
    std::size_t trees;
    std::size_t stride;
    float base;
};

// Eight rows at a time with AVX2 gathers: per level, gather each lane's node (feature and
// threshold), gather the row's value of that feature, compare. The comparisons are the scalar
// ones lane by lane (ordered x < t is false for NaN; NaN takes the default direction) and the
// sums are per-lane float additions in tree order, so the results are bit for bit the same.
// Compiled for AVX2 whatever the build flags; called only after a CPU check.
__attribute__((target("avx2"))) void predict_groups_avx2(const forest_view& f, const float* rows,
                                                         std::size_t groups, float* out) {
    constexpr std::size_t max_groups = block_rows / 8;
    __m256i row_base[max_groups];
    __m256 sum[max_groups];
    __m256i at[max_groups];
    const auto stride = static_cast<int>(f.stride);
    for (std::size_t g = 0; g < groups; ++g) {
        const int r0 = static_cast<int>(g * 8) * stride;
        row_base[g] = _mm256_setr_epi32(r0, r0 + stride, r0 + 2 * stride, r0 + 3 * stride, r0 + 4 * stride,
                                        r0 + 5 * stride, r0 + 6 * stride, r0 + 7 * stride);
        sum[g] = _mm256_set1_ps(f.base);
    }
    const __m256i column_mask = _mm256_set1_epi32(0x7fffffff);
    const __m256i two = _mm256_set1_epi32(2);
    for (std::size_t t = 0; t < f.trees; ++t) {
        const float* threshold = f.threshold + f.node_offset[t];
        const int* feature = reinterpret_cast<const int*>(f.feature + f.node_offset[t]);
        for (std::size_t g = 0; g < groups; ++g) at[g] = _mm256_setzero_si256();
        for (std::uint32_t step = 0; step < f.depth[t]; ++step) {
            for (std::size_t g = 0; g < groups; ++g) {
                const __m256i feat = _mm256_i32gather_epi32(feature, at[g], 4);
                const __m256 thr = _mm256_i32gather_ps(threshold, at[g], 4);
                const __m256i where = _mm256_add_epi32(row_base[g], _mm256_and_si256(feat, column_mask));
                const __m256 v = _mm256_i32gather_ps(rows, where, 4);
                const __m256 left = _mm256_cmp_ps(v, thr, _CMP_LT_OQ);
                const __m256 missing = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
                const __m256 default_left = _mm256_castsi256_ps(_mm256_srai_epi32(feat, 31));
                // All ones (-1) when going left: next = 2i + 2 + (-1 or 0).
                const __m256i go_left = _mm256_castps_si256(_mm256_blendv_ps(left, default_left, missing));
                at[g] = _mm256_add_epi32(_mm256_add_epi32(_mm256_slli_epi32(at[g], 1), two), go_left);
            }
        }
        const float* leaf = f.leaf + f.leaf_offset[t];
        const __m256i first_leaf = _mm256_set1_epi32(static_cast<int>((1u << f.depth[t]) - 1));
        for (std::size_t g = 0; g < groups; ++g)
            sum[g] = _mm256_add_ps(sum[g], _mm256_i32gather_ps(leaf, _mm256_sub_epi32(at[g], first_leaf), 4));
    }
    for (std::size_t g = 0; g < groups; ++g) _mm256_storeu_ps(out + g * 8, sum[g]);
}

// The AVX2 kernel's steps with 16 lanes and mask registers (same arithmetic, lane by lane).
__attribute__((target("avx512f"))) void predict_groups_avx512(const forest_view& f, const float* rows,
                                                              std::size_t groups, float* out) {
    constexpr std::size_t max_groups = block_rows / 16;
    __m512i row_base[max_groups];
    __m512 sum[max_groups];
    __m512i at[max_groups];
    const auto stride = static_cast<int>(f.stride);
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (std::size_t g = 0; g < groups; ++g) {
        const int r0 = static_cast<int>(g * 16);
        row_base[g] = _mm512_mullo_epi32(_mm512_add_epi32(lane, _mm512_set1_epi32(r0)), _mm512_set1_epi32(stride));
        sum[g] = _mm512_set1_ps(f.base);
    }
    const __m512i column_mask = _mm512_set1_epi32(0x7fffffff);
    const __m512i sign = _mm512_set1_epi32(static_cast<int>(0x80000000u));
    const __m512i two = _mm512_set1_epi32(2), one = _mm512_set1_epi32(1);
    // Masked gathers with a defined source: GCC 12's unmasked ones read an "undefined" vector
    // that -Wmaybe-uninitialized flags.
    const __m512i zero_i = _mm512_setzero_si512();
    const __m512 zero_f = _mm512_setzero_ps();
    const __mmask16 all = 0xFFFF;
    for (std::size_t t = 0; t < f.trees; ++t) {
        const float* threshold = f.threshold + f.node_offset[t];
        const int* feature = reinterpret_cast<const int*>(f.feature + f.node_offset[t]);
        for (std::size_t g = 0; g < groups; ++g) at[g] = _mm512_setzero_si512();
        // Nodes 0..31 (the top five levels) sit in two registers each, so there a lane's node is
        // a permute away instead of a gather (the arrays are padded, so reading 32 is safe).
        const __m512i feature_lo = _mm512_loadu_si512(feature), feature_hi = _mm512_loadu_si512(feature + 16);
        const __m512 threshold_lo = _mm512_loadu_ps(threshold), threshold_hi = _mm512_loadu_ps(threshold + 16);
        for (std::uint32_t step = 0; step < f.depth[t]; ++step) {
            const bool top = step < 5;
            for (std::size_t g = 0; g < groups; ++g) {
                const __m512i feat = top ? _mm512_permutex2var_epi32(feature_lo, at[g], feature_hi)
                                         : _mm512_mask_i32gather_epi32(zero_i, all, at[g], feature, 4);
                const __m512 thr = top ? _mm512_permutex2var_ps(threshold_lo, at[g], threshold_hi)
                                       : _mm512_mask_i32gather_ps(zero_f, all, at[g], threshold, 4);
                const __m512i where = _mm512_add_epi32(row_base[g], _mm512_and_si512(feat, column_mask));
                const __m512 v = _mm512_mask_i32gather_ps(zero_f, all, where, rows, 4);
                const __mmask16 left = _mm512_cmp_ps_mask(v, thr, _CMP_LT_OQ);
                const __mmask16 missing = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
                const __mmask16 default_left = _mm512_test_epi32_mask(feat, sign);
                const auto go_left = static_cast<__mmask16>((left & ~missing) | (default_left & missing));
                const __m512i right_child = _mm512_add_epi32(_mm512_add_epi32(at[g], at[g]), two);
                at[g] = _mm512_mask_sub_epi32(right_child, go_left, right_child, one);
            }
        }
        const float* leaf = f.leaf + f.leaf_offset[t];
        const __m512i first_leaf = _mm512_set1_epi32(static_cast<int>((1u << f.depth[t]) - 1));
        for (std::size_t g = 0; g < groups; ++g)
            sum[g] = _mm512_add_ps(sum[g], _mm512_mask_i32gather_ps(zero_f, all, _mm512_sub_epi32(at[g], first_leaf), leaf, 4));
    }
    for (std::size_t g = 0; g < groups; ++g) _mm512_storeu_ps(out + g * 16, sum[g]);
}

// The binned layout, 64 rows per register of byte lanes. Per level, a lane's node (column and
// threshold byte) is a byte permute of the level's table, at most 128 nodes deep in a tree of
// depth 8; its bin is selected from the level's columns by compare-and-merge; the step is a
// byte compare. Only the leaf values are gathered, sixteen lanes at a time, and added per lane
// in tree order, so the sums are the float kernels' sums bit for bit.
struct binned_view {
    const std::uint8_t* feature;
    const std::uint8_t* threshold;
    const std::uint32_t* node_offset;
    const float* leaf;
    const std::uint32_t* leaf_offset;
    const std::uint32_t* depth;
    const std::uint8_t* columns;
    const std::uint32_t* column_offset;
    std::size_t trees;
    float base;
};

// Always a whole block: four groups of 64 rows (quantize_block pads the bins of missing rows),
// so that the loops over groups have a fixed count, the columns' loop runs once per level for all
// four (one mispredicted loop exit instead of four), and four independent chains of merges
// interleave.
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) void predict_block_binned_avx512(const binned_view& f, const std::uint8_t* bins,
                                                                                       std::size_t stride, float* out) {
    constexpr std::size_t groups = binned_block_rows / 64;
    __m512 sum[groups][4];
    __m512i at[groups];
    for (auto& group : sum)
        for (auto& s : group) s = _mm512_set1_ps(f.base);
    const __m512i one = _mm512_set1_epi8(1), column_bits = _mm512_set1_epi8(0x7F);
    const __m512i missing = _mm512_set1_epi8(static_cast<char>(missing_bin));
    const __m512 zero_f = _mm512_setzero_ps();
    const __mmask16 all = 0xFFFF;
    // Masked byte permutes throughout: GCC 12's unmasked ones read an "undefined" vector that
    // -Wmaybe-uninitialized flags.
    const __mmask64 every_byte = ~__mmask64{0}, low_byte_of_each_dword = 0x1111111111111111ull;
    __m512i widen[4];  // byte 4j of quarter q reads lane 16q + j
    for (std::size_t q = 0; q < 4; ++q) {
        alignas(64) std::array<std::uint8_t, 64> index{};
        for (std::size_t j = 0; j < 16; ++j) index[4 * j] = static_cast<std::uint8_t>(16 * q + j);
        widen[q] = _mm512_load_si512(index.data());
    }
    for (std::size_t t = 0; t < f.trees; ++t) {
        const std::uint8_t* feature = f.feature + f.node_offset[t];
        const std::uint8_t* threshold = f.threshold + f.node_offset[t];
        for (auto& a : at) a = _mm512_setzero_si512();
        for (std::uint32_t k = 0; k < f.depth[t]; ++k) {
            const std::size_t first = (std::size_t{1} << k) - 1;
            const __m512i feature_lo = _mm512_loadu_si512(feature + first), threshold_lo = _mm512_loadu_si512(threshold + first);
            const __m512i feature_hi = _mm512_loadu_si512(feature + first + 64), threshold_hi = _mm512_loadu_si512(threshold + first + 64);
            const bool wide = k == 7;  // 128 nodes: two registers
            __m512i node_feature[groups], node_threshold[groups], lane_column[groups], bin[groups];
            for (std::size_t g = 0; g < groups; ++g) {
                node_feature[g] = wide ? _mm512_permutex2var_epi8(feature_lo, at[g], feature_hi)
                                       : _mm512_maskz_permutexvar_epi8(every_byte, at[g], feature_lo);
                node_threshold[g] = wide ? _mm512_permutex2var_epi8(threshold_lo, at[g], threshold_hi)
                                         : _mm512_maskz_permutexvar_epi8(every_byte, at[g], threshold_lo);
                lane_column[g] = _mm512_and_si512(node_feature[g], column_bits);
                bin[g] = _mm512_setzero_si512();
            }
            const std::uint8_t* column = f.columns + f.column_offset[t * 9 + k];
            const std::uint8_t* column_end = f.columns + f.column_offset[t * 9 + k + 1];
            if (column != column_end) {
                for (std::size_t g = 0; g < groups; ++g) bin[g] = _mm512_loadu_si512(bins + g * 64 + column[0] * stride);
                for (const std::uint8_t* c = column + 1; c < column_end; ++c) {
                    const __m512i this_column = _mm512_set1_epi8(static_cast<char>(*c));
                    const std::uint8_t* values = bins + *c * stride;
                    for (std::size_t g = 0; g < groups; ++g) {
                        const __mmask64 reads = _mm512_cmpeq_epi8_mask(lane_column[g], this_column);
                        bin[g] = _mm512_mask_mov_epi8(bin[g], reads, _mm512_loadu_si512(values + g * 64));
                    }
                }
            }
            for (std::size_t g = 0; g < groups; ++g) {
                const __mmask64 below = _mm512_cmplt_epu8_mask(bin[g], node_threshold[g]);
                const __mmask64 is_missing = _mm512_cmpeq_epi8_mask(bin[g], missing);
                const __mmask64 default_left = _mm512_movepi8_mask(node_feature[g]);
                const __mmask64 left = (below & ~is_missing) | (default_left & is_missing);
                const __m512i twice = _mm512_add_epi8(at[g], at[g]);
                at[g] = _mm512_mask_add_epi8(twice, static_cast<__mmask64>(~left), twice, one);
            }
        }
        const float* leaf = f.leaf + f.leaf_offset[t];
        for (std::size_t g = 0; g < groups; ++g)
            for (std::size_t q = 0; q < 4; ++q) {
                // Lanes 16q..16q+15's leaf numbers, zero-extended to 32 bits by one byte permute.
                const __m512i leaf_index = _mm512_maskz_permutexvar_epi8(low_byte_of_each_dword, widen[q], at[g]);
                sum[g][q] = _mm512_add_ps(sum[g][q], _mm512_mask_i32gather_ps(zero_f, all, leaf_index, leaf, 4));
            }
    }
    for (std::size_t g = 0; g < groups; ++g)
        for (std::size_t q = 0; q < 4; ++q) _mm512_storeu_ps(out + g * 64 + q * 16, sum[g][q]);
}

}  // namespace
#endif

bool flat_forest::cpu_supports(kernel k) noexcept {
#ifdef AMLOPS_FLAT_FOREST_X86
    static const bool avx2 = __builtin_cpu_supports("avx2");
    static const bool avx512 = __builtin_cpu_supports("avx512f");
    static const bool avx512_bytes = avx512 && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi");
    if (k == kernel::avx2) return avx2;
    if (k == kernel::avx512) return avx512;
    if (k == kernel::binned) return avx512_bytes;
#else
    if (k == kernel::avx2 || k == kernel::avx512 || k == kernel::binned) return false;
#endif
    return true;
}

void flat_forest::predict_block_simd(kernel k, const float* rows, std::size_t n, float* out) const {
    std::size_t done = 0;
#ifdef AMLOPS_FLAT_FOREST_X86
    const forest_view view{heap_threshold_.data(), heap_feature_.data(),  heap_leaf_.data(),
                                heap_node_offset_.data(), heap_leaf_offset_.data(), depths_.data(),
                                roots_.size(),           num_features_,           base_margin_};
    const std::size_t lanes = k == kernel::avx512 ? 16 : 8;
    const std::size_t groups = n / lanes;
    if (groups > 0) {
        if (k == kernel::avx512) predict_groups_avx512(view, rows, groups, out);
        else predict_groups_avx2(view, rows, groups, out);
    }
    done = groups * lanes;
#else
    (void)k;
#endif
    if (n > done) predict_block_complete(rows + done * num_features_, n - done, out + done);
}

void flat_forest::predict_block_binned(const float* rows, std::size_t n, float* out, std::vector<std::uint8_t>& scratch) const {
#ifdef AMLOPS_FLAT_FOREST_X86
    scratch.resize(num_features_ * binned_block_rows);
    if (!quantize_block(rows, n, scratch.data(), binned_block_rows)) {
        // The float kernel's blocks are smaller than the binned kernel's.
        for (std::size_t done = 0; done < n; done += block_rows)
            predict_block_simd(kernel::avx512, rows + done * num_features_, std::min(block_rows, n - done), out + done);
        return;
    }
    const binned_view view{bin_feature_.data(), bin_threshold_.data(), heap_node_offset_.data(), heap_leaf_.data(),
                           heap_leaf_offset_.data(), depths_.data(), level_columns_.data(), level_column_offset_.data(),
                           roots_.size(), base_margin_};
    std::array<float, binned_block_rows> sums{};
    predict_block_binned_avx512(view, scratch.data(), binned_block_rows, sums.data());
    std::copy(sums.begin(), sums.begin() + static_cast<std::ptrdiff_t>(n), out);
#else
    (void)scratch;
    predict_block_complete(rows, n, out);
#endif
}

std::vector<std::vector<float>> flat_forest::split_thresholds() const {
    std::vector<std::vector<float>> out(num_features_);
    if (binned_) {  // already collected, sorted and distinct
        for (std::size_t f = 0; f < num_features_; ++f)
            out[f].assign(bin_cuts_.begin() + bin_cut_offset_[f], bin_cuts_.begin() + bin_cut_offset_[f + 1]);
        return out;
    }
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
        const node& nd = nodes_[i];
        if (nd.child == static_cast<std::uint32_t>(i) - 1u) continue;  // a leaf routes to itself
        out[nd.feature & ~default_left_bit].push_back(nd.threshold);
    }
    for (auto& t : out) {
        std::sort(t.begin(), t.end());
        t.erase(std::unique(t.begin(), t.end()), t.end());
    }
    return out;
}

flat_forest::kernel flat_forest::chosen_kernel() const noexcept {
    // The vectorised kernels index rows with 32-bit offsets within one block.
    kernel k = kernel_;
    if (k == kernel::automatic) k = kernel::binned;
    if (k == kernel::binned && (!binned_ || !cpu_supports(k))) k = kernel::avx512;
    if (!complete_ || block_rows * num_features_ >= (std::size_t{1} << 30)) k = kernel::generic;
    if (k == kernel::avx512 && !cpu_supports(k)) k = kernel::avx2;
    if (k == kernel::avx2 && !cpu_supports(k)) k = kernel::portable;
    return k;
}

std::string_view flat_forest::kernel_name(kernel k) noexcept {
    switch (k) {
    case kernel::automatic: return "automatic";
    case kernel::binned: return "binned";
    case kernel::avx512: return "avx512";
    case kernel::avx2: return "avx2";
    case kernel::portable: return "portable";
    case kernel::generic: return "generic";
    }
    return "unknown";
}

std::vector<float> flat_forest::predict(std::span<const float> values, std::size_t rows, unsigned threads) const {
    if (values.size() != rows * num_features_)
        throw error(error_kind::bad_input, std::to_string(values.size()) + " values for " + std::to_string(rows) +
                                               " rows of " + std::to_string(num_features_) + " features");
    std::vector<float> out(rows);
    const kernel k = chosen_kernel();
    // A binned block's short tail (or a short request) takes the float kernel below it.
    const kernel short_kernel = k != kernel::binned ? k : kernel::avx512;
    const std::size_t block = k == kernel::binned ? binned_block_rows : block_rows;
    const std::size_t blocks = (rows + block - 1) / block;
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(blocks, 1)));
    auto work = [&](std::size_t first_block, std::size_t last_block) {
        std::vector<std::uint8_t> scratch;
        for (std::size_t b = first_block; b < last_block; ++b) {
            const std::size_t begin = b * block, n = std::min(block, rows - begin);
            const float* x = values.data() + begin * num_features_;
            if (k == kernel::binned && n >= binned_min_rows) predict_block_binned(x, n, out.data() + begin, scratch);
            else if (k == kernel::binned) predict_block_simd(short_kernel, x, n, out.data() + begin);
            else if (k == kernel::avx512 || k == kernel::avx2) predict_block_simd(k, x, n, out.data() + begin);
            else if (k == kernel::portable) predict_block_complete(x, n, out.data() + begin);
            else predict_block(x, n, out.data() + begin);
        }
    };
    if (threads <= 1) {
        work(0, blocks);
        return out;
    }
    std::vector<std::jthread> pool;
    const std::size_t per = (blocks + threads - 1) / threads;
    for (unsigned t = 0; t < threads; ++t) {
        const std::size_t first = t * per, last = std::min(blocks, first + per);
        if (first < last) pool.emplace_back(work, first, last);
    }
    pool.clear();  // join before `out` is handed back
    return out;
}

}  // namespace amlops::model
