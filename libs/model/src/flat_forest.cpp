#include "amlops/model/flat_forest.hpp"

#include "amlops/core/error.hpp"
#include "amlops/core/json.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <thread>

namespace amlops::model {
namespace {

constexpr std::size_t block_rows = 64;

const json::object& object_at(const json::object& o, std::string_view key, std::string_view origin) {
    const auto& v = json::require(o, key, origin);
    if (!v.is_object())
        throw error(error_kind::bad_input, "xgboost model: '" + std::string(key) + "' is not an object")
            .in_file(std::string(origin));
    return v.get_object();
}

const json::array& array_at(const json::object& o, std::string_view key, std::string_view origin) {
    const auto& v = json::require(o, key, origin);
    if (!v.is_array())
        throw error(error_kind::bad_input, "xgboost model: '" + std::string(key) + "' is not an array")
            .in_file(std::string(origin));
    return v.get_array();
}

// xgboost writes each float32 as its shortest decimal; Boost.JSON reads it as a double. Printing
// that double shortest gives the same decimal back (it has at most 9 digits), and reading the
// decimal as float rounds it once, exactly as xgboost's own reader does.
float exact_float(double d) {
    std::array<char, 32> buf{};
    auto end = std::to_chars(buf.data(), buf.data() + buf.size(), d).ptr;
    float f = 0;
    std::from_chars(buf.data(), end, f);
    return f;
}

float number_text(const json::value& v, std::string_view what, std::string_view origin) {
    if (v.is_string()) {  // learner_model_param values are strings, e.g. "5E-1"
        std::string s(v.get_string());
        float f = 0;
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), f);
        if (ec == std::errc() && ptr == s.data() + s.size()) return f;
    } else if (v.is_number()) {
        return exact_float(v.to_number<double>());
    }
    throw error(error_kind::bad_input, "xgboost model: '" + std::string(what) + "' is not a number")
        .in_file(std::string(origin));
}

std::int64_t integer(const json::value& v) {
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64()) return static_cast<std::int64_t>(v.get_uint64());
    if (v.is_string()) return std::stoll(std::string(v.get_string()));
    return -1;
}

// Objectives whose prediction is the raw margin (no link function to reproduce).
bool identity_objective(std::string_view name) {
    return name == "reg:squarederror" || name == "reg:squaredlogerror" || name == "reg:pseudohubererror" ||
           name == "reg:absoluteerror" || name == "reg:linear";
}

}  // namespace

std::optional<flat_forest> flat_forest::from_xgboost_json(std::string_view model_json, std::string_view origin,
                                                          std::string* why_not) {
    auto decline = [&](std::string reason) -> std::optional<flat_forest> {
        if (why_not) *why_not = std::move(reason);
        return std::nullopt;
    };
    json::value doc = json::parse(model_json, origin);
    if (!doc.is_object()) throw error(error_kind::bad_input, "xgboost model is not a JSON object").in_file(std::string(origin));
    const auto& learner = object_at(doc.get_object(), "learner", origin);
    const auto& params = object_at(learner, "learner_model_param", origin);
    const auto& booster = object_at(learner, "gradient_booster", origin);
    const auto& objective = object_at(learner, "objective", origin);

    const std::string objective_name = json::require_string(objective, "name", origin);
    if (!identity_objective(objective_name)) return decline("objective " + objective_name + " has a link function");
    const std::string booster_name = json::require_string(booster, "name", origin);
    if (booster_name != "gbtree") return decline("booster " + booster_name);
    for (const char* key : {"num_class", "num_target"}) {
        if (const auto* v = params.if_contains(key); v && integer(*v) > 1) return decline("multi-output model");
    }

    flat_forest f;
    f.num_features_ = static_cast<std::size_t>(integer(json::require(params, "num_feature", origin)));
    f.base_margin_ = number_text(json::require(params, "base_score", origin), "base_score", origin);

    const auto& model = object_at(booster, "model", origin);
    const auto& tree_param = object_at(model, "gbtree_model_param", origin);
    if (const auto* v = tree_param.if_contains("num_parallel_tree"); v && integer(*v) != 1)
        return decline("random-forest model (num_parallel_tree > 1)");
    const auto& trees = array_at(model, "trees", origin);
    for (const auto& t : trees) {
        if (!t.is_object()) throw error(error_kind::bad_input, "xgboost model: tree is not an object").in_file(std::string(origin));
        const auto& tree = t.get_object();
        const auto& left = array_at(tree, "left_children", origin);
        const auto& right = array_at(tree, "right_children", origin);
        const auto& cond = array_at(tree, "split_conditions", origin);
        const auto& index = array_at(tree, "split_indices", origin);
        const auto& dleft = array_at(tree, "default_left", origin);
        const std::size_t n = left.size();
        if (right.size() != n || cond.size() != n || index.size() != n || dleft.size() != n || n == 0)
            throw error(error_kind::bad_input, "xgboost model: inconsistent tree arrays").in_file(std::string(origin));
        if (const auto* st = tree.if_contains("split_type"); st && st->is_array()) {
            for (const auto& s : st->get_array())
                if (integer(s) != 0) return decline("categorical splits");
        }
        if (const auto* tp = tree.if_contains("tree_param"); tp && tp->is_object()) {
            if (const auto* lv = tp->get_object().if_contains("size_leaf_vector"); lv && integer(*lv) > 0)
                return decline("vector leaves");
        }

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
            const std::int64_t l = integer(left[src]);
            if (l == -1) {
                // Unsigned wrap-around is intended: (self - 1) + 1 == self, node 0 included.
                f.nodes_[self] = {std::numeric_limits<float>::quiet_NaN(), 0u, self - 1u};
                f.leaf_value_[self] = number_text(cond[src], "split_conditions", origin);
                depth = std::max(depth, level[k]);
                continue;
            }
            const std::int64_t r = integer(right[src]);
            const std::int64_t feat = integer(index[src]);
            if (l < 0 || r < 0 || static_cast<std::size_t>(l) >= n || static_cast<std::size_t>(r) >= n || feat < 0 ||
                static_cast<std::size_t>(feat) >= f.num_features_ || order.size() + 2 > n)
                throw error(error_kind::bad_input, "xgboost model: malformed tree").in_file(std::string(origin));
            f.nodes_[self] = {number_text(cond[src], "split_conditions", origin),
                              static_cast<std::uint32_t>(feat) | (integer(dleft[src]) != 0 ? default_left_bit : 0u),
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
    return f;
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

std::vector<float> flat_forest::predict(std::span<const float> values, std::size_t rows, unsigned threads) const {
    if (values.size() != rows * num_features_)
        throw error(error_kind::bad_input, std::to_string(values.size()) + " values for " + std::to_string(rows) +
                                               " rows of " + std::to_string(num_features_) + " features");
    std::vector<float> out(rows);
    constexpr std::size_t block = block_rows;
    const std::size_t blocks = (rows + block - 1) / block;
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(blocks, 1)));
    auto work = [&](std::size_t first_block, std::size_t last_block) {
        for (std::size_t b = first_block; b < last_block; ++b) {
            const std::size_t begin = b * block, n = std::min(block, rows - begin);
            predict_block(values.data() + begin * num_features_, n, out.data() + begin);
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
