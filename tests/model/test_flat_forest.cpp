#include "amlops/model/flat_forest.hpp"

#include "amlops/core/error.hpp"
#include "amlops/core/json.hpp"
#include "amlops/model/fast_path_check.hpp"
#include "amlops/model/trainer.hpp"
#include "amlops/xgb/booster.hpp"
#include "synthetic_taxi.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>

using namespace amlops;

namespace {

xgb::booster train_on(const data::numeric_table& t, model::train_params p) {
    p.nthread = 1;
    p.validation_fraction = 0;
    return model::train_regressor(t, model::taxi_signature(), p).booster;
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Rows that hit thresholds exactly, fall just beside them, are missing or infinite.
std::vector<float> awkward_rows(const data::numeric_table& t, std::size_t rows) {
    std::vector<float> x(t.features.begin(), t.features.begin() + static_cast<std::ptrdiff_t>(rows * 20));
    for (std::size_t i = 0; i < x.size(); ++i) {
        switch (i % 11) {
        case 0: x[i] = std::numeric_limits<float>::quiet_NaN(); break;
        case 3: x[i] = std::nextafter(x[i], 1e9f); break;
        case 5: x[i] = (i % 2) ? std::numeric_limits<float>::infinity() : -std::numeric_limits<float>::infinity(); break;
        case 7: x[i] = std::round(x[i]); break;
        default: break;
        }
    }
    return x;
}

// Synthetic rows with every `every`-th value missing, so that default directions differ between
// splits in training and the missing-value routing is exercised in prediction.
data::numeric_table table_with_missing(std::size_t rows, std::uint64_t seed, std::size_t every) {
    auto t = test::synthetic_table(rows, seed);
    for (std::size_t i = 0; i < t.features.size(); i += every) t.features[i] = std::numeric_limits<float>::quiet_NaN();
    return t;
}

}  // namespace

TEST_CASE("the flat forest reproduces xgboost's predictions bit for bit") {
    auto t = table_with_missing(3000, 21, 13);
    model::train_params p;
    p.n_estimators = 60;
    p.max_depth = 7;
    p.eta = 0.2;
    p.subsample = 0.8;
    auto b = train_on(t, p);
    std::string why;
    auto f = model::flat_forest::from_xgboost_json(b.save_json(), "model.json", &why);
    INFO(why);
    REQUIRE(f.has_value());
    CHECK(f->num_trees() == 60);
    CHECK(f->num_features() == 20);

    auto x = awkward_rows(t, 1000);
    auto expected = b.predict_dense(x, 1000, 20);
    CHECK(bitwise_equal(f->predict(x, 1000, 1), expected));
    CHECK(bitwise_equal(f->predict(x, 1000, 3), expected));  // threads split the rows, not the sums
    CHECK(bitwise_equal(f->predict(t.features, t.rows), b.predict_dense(t.features, t.rows, 20)));
    CHECK(f->predict({}, 0).empty());
    CHECK_THROWS_AS(f->predict(x, 999), error);
}

TEST_CASE("single-leaf trees, unlimited depth and other identity objectives match too") {
    auto t = test::synthetic_table(500, 22);
    model::train_params p;
    p.n_estimators = 5;
    p.max_depth = 0;  // lossguide, unlimited depth
    p.objective = "reg:pseudohubererror";
    auto b = train_on(t, p);
    auto f = model::flat_forest::from_xgboost_json(b.save_json(), "m");
    REQUIRE(f.has_value());
    CHECK(bitwise_equal(f->predict(t.features, t.rows), b.predict_dense(t.features, t.rows, 20)));

    auto constant = test::synthetic_table(200, 23);
    std::fill(constant.target.begin(), constant.target.end(), 7.0);  // nothing to split: stumps are leaves
    auto c = train_on(constant, model::train_params{});
    auto fc = model::flat_forest::from_xgboost_json(c.save_json(), "m");
    REQUIRE(fc.has_value());
    CHECK(bitwise_equal(fc->predict(constant.features, constant.rows), c.predict_dense(constant.features, constant.rows, 20)));
}

TEST_CASE("models the flat forest does not implement are declined with a reason") {
    auto t = test::synthetic_table(300, 24);
    model::train_params p;
    p.n_estimators = 3;
    p.objective = "reg:gamma";  // exp link
    auto b = train_on(t, p);
    std::string why;
    CHECK_FALSE(model::flat_forest::from_xgboost_json(b.save_json(), "m", &why).has_value());
    CHECK(why.find("reg:gamma") != std::string::npos);
    CHECK_THROWS_AS(model::flat_forest::from_xgboost_json("[1, 2]", "m"), error);
    CHECK_THROWS_AS(model::flat_forest::from_xgboost_json("{\"learner\": {}}", "m"), error);
}

TEST_CASE("every kernel gives xgboost's bits: complete trees, SIMD lanes, partial blocks, missing values") {
    auto t = table_with_missing(4000, 25, 7);
    model::train_params p;
    p.n_estimators = 43;  // not a multiple of the sixteen trees the few-row kernel walks at once
    p.max_depth = 6;
    p.eta = 0.3;
    p.subsample = 0.7;  // uneven trees: leaves at many depths, padded in the complete layout
    auto b = train_on(t, p);
    auto f = model::flat_forest::from_xgboost_json(b.save_json(), "m");
    REQUIRE(f.has_value());
    CHECK(f->has_complete_layout());
    CHECK(f->has_binned_layout());
    using kernel = model::flat_forest::kernel;
    INFO("CPU has AVX2: " << model::flat_forest::cpu_supports(kernel::avx2)
                          << ", AVX-512: " << model::flat_forest::cpu_supports(kernel::avx512)
                          << ", AVX-512 byte permutes: " << model::flat_forest::cpu_supports(kernel::binned));

    // 1003 rows: full blocks plus a partial one whose tail (1003 is odd) is not a whole SIMD
    // group and goes through plain C++.
    auto x = awkward_rows(t, 1003);
    auto expected = b.predict_dense(x, 1003, 20);
    // Kernels the CPU lacks fall back to plain C++, so this loop is meaningful everywhere.
    for (auto k : {kernel::automatic, kernel::binned, kernel::avx512, kernel::avx2, kernel::portable, kernel::generic}) {
        INFO("kernel " << static_cast<int>(k));
        f->use_kernel(k);
        CHECK(bitwise_equal(f->predict(x, 1003, 1), expected));
        CHECK(bitwise_equal(f->predict(x, 1003, 2), expected));
        for (std::size_t n : {std::size_t{1}, std::size_t{3}, std::size_t{4}, std::size_t{7}, std::size_t{8}, std::size_t{9},
                              std::size_t{31}, std::size_t{32}, std::size_t{64}, std::size_t{65}, std::size_t{300}}) {
            auto head = f->predict(std::span<const float>(x).first(n * 20), n, 1);
            CHECK(bitwise_equal(head, std::vector<float>(expected.begin(), expected.begin() + static_cast<std::ptrdiff_t>(n))));
        }
    }
}

TEST_CASE("the binned kernel matches xgboost on depth-8 trees, thresholds hit exactly and the 8th level's wide tables") {
    auto t = table_with_missing(16000, 26, 11);  // enough rows that some feature gets 255 thresholds
    model::train_params p;
    p.n_estimators = 60;
    p.max_bin = 256;
    p.max_depth = 8;  // the deepest the binned layout takes: node numbers at the bottom reach 255
    p.eta = 0.3;
    auto b = train_on(t, p);
    auto f = model::flat_forest::from_xgboost_json(b.save_json(), "m");
    REQUIRE(f.has_value());
    // Every threshold itself, its neighbours on both sides, and the extremes: each is a bin edge.
    auto x = awkward_rows(t, 2000);
    const auto model_json = json::parse(b.save_json(), "m");
    std::vector<float> thresholds;
    for (const auto& tree : model_json.at_pointer("/learner/gradient_booster/model/trees").as_array())
        for (const auto& c : tree.at("split_conditions").as_array()) thresholds.push_back(static_cast<float>(c.to_number<double>()));
    for (std::size_t i = 0; i < x.size(); ++i) {
        const float edge = thresholds[(i * 7919) % thresholds.size()];
        switch (i % 5) {
        case 1: x[i] = edge; break;
        case 2: x[i] = std::nextafter(edge, -1e30f); break;
        case 4: x[i] = (i % 3 == 0) ? std::numeric_limits<float>::max() : -0.0f; break;
        default: break;
        }
    }
    // Features with 255 distinct thresholds use bin 0xFF as a value: blocks where they are
    // missing take the float kernel, the others stay binned. Both kinds of block are here.
    std::map<std::int64_t, std::set<double>> cuts;
    for (const auto& tree : model_json.at_pointer("/learner/gradient_booster/model/trees").as_array()) {
        const auto& left = tree.at("left_children").as_array();
        for (std::size_t i = 0; i < left.size(); ++i)
            if (left[i].to_number<std::int64_t>() != -1)
                cuts[tree.at("split_indices").as_array()[i].to_number<std::int64_t>()].insert(
                    tree.at("split_conditions").as_array()[i].to_number<double>());
    }
    std::size_t full_features = 0;
    for (const auto& [feature, c] : cuts) full_features += c.size() == 255 ? 1 : 0;
    std::size_t most = 0;
    for (const auto& [feature, c] : cuts) most = std::max(most, c.size());
    INFO("most thresholds on one feature: " << most);
    CHECK(full_features > 0);
    REQUIRE(f->has_binned_layout());
    for (std::size_t i = 0; i < 1000 * 20; ++i)
        if (x[i] != x[i]) x[i] = 1.5f;  // the first 1000 rows: no missing values at all
    auto expected = b.predict_dense(x, 2000, 20);
    using kernel = model::flat_forest::kernel;
    // The probe of a recorded check (model/fast_path_check.hpp): thresholds and their neighbours,
    // infinities, and missing values only in the last block, so the first blocks stay binned.
    const auto probe = model::fast_path_probe(*f, model::fast_path_probe_rows);
    const auto probe_expected = b.predict_dense(probe, model::fast_path_probe_rows, 20);
    const auto first_missing = std::find_if(probe.begin(), probe.end(), [](float v) { return v != v; });
    CHECK(static_cast<std::size_t>(first_missing - probe.begin()) / 20 >= model::fast_path_probe_rows - 256);
    CHECK(first_missing != probe.end());
    for (auto k : {kernel::binned, kernel::portable}) {
        f->use_kernel(k);
        CHECK(bitwise_equal(f->predict(x, 2000, 1), expected));
        CHECK(bitwise_equal(f->predict(x, 2000, 2), expected));
        CHECK(bitwise_equal(f->predict(probe, model::fast_path_probe_rows, 1), probe_expected));
    }
}

TEST_CASE("the model reader takes what xgboost writes, booleans for default_left too, and refuses trailing junk") {
    auto t = table_with_missing(400, 27, 5);
    model::train_params p;
    p.n_estimators = 4;
    p.max_depth = 3;
    auto b = train_on(t, p);
    const std::string text = b.save_json();
    const auto expected = b.predict_dense(t.features, t.rows, 20);
    auto predicts_like_xgboost = [&](const std::string& model_json) {
        auto f = model::flat_forest::from_xgboost_json(model_json, "m");
        REQUIRE(f.has_value());
        return bitwise_equal(f->predict(t.features, t.rows), expected);
    };
    CHECK(predicts_like_xgboost(text));
    CHECK(predicts_like_xgboost(text + "\n \t\n"));
    // default_left as JSON booleans (older xgboost versions): the same routing.
    std::string booleans = text;
    std::size_t replaced = 0;
    for (std::size_t at = booleans.find("\"default_left\":["); at != std::string::npos; at = booleans.find("\"default_left\":[", at + 1)) {
        const std::size_t end = booleans.find(']', at);
        std::string list = booleans.substr(at, end - at);
        std::string out;
        for (char c : list) out += c == '0' ? std::string("false") : c == '1' ? std::string("true") : std::string(1, c);
        booleans.replace(at, end - at, out);
        ++replaced;
    }
    CHECK(replaced == 4);
    CHECK(predicts_like_xgboost(booleans));
    CHECK_THROWS_AS(model::flat_forest::from_xgboost_json(text + " {}", "m"), error);
    CHECK_THROWS_AS(model::flat_forest::from_xgboost_json(text.substr(0, text.size() / 2), "m"), error);
    // A split condition that is not a number is an error naming the model, not a crash.
    std::string bad = text;
    const std::size_t cond = bad.find("\"split_conditions\":[");
    REQUIRE(cond != std::string::npos);
    bad.insert(cond + 20, "\"x\",");
    CHECK_THROWS_AS(model::flat_forest::from_xgboost_json(bad, "m"), error);
}
