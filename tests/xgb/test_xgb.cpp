#include "amlops/xgb/booster.hpp"
#include "amlops/xgb/dmatrix.hpp"
#include "amlops/xgb/log.hpp"

#include "amlops/core/error.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

using namespace amlops;
namespace fs = std::filesystem;

namespace {

// y = 3*x0 + small noise; x1 is pure noise. Deterministic for a given seed.
struct synthetic {
    std::vector<float> x;
    std::vector<double> y;
    std::size_t rows = 0, cols = 2;
};

synthetic make_data(std::size_t rows, unsigned seed) {
    synthetic d;
    d.rows = rows;
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> u(0.f, 10.f);
    std::normal_distribution<double> noise(0.0, 0.1);
    for (std::size_t i = 0; i < rows; ++i) {
        float x0 = u(gen), x1 = u(gen);
        d.x.push_back(x0);
        d.x.push_back(x1);
        d.y.push_back(3.0 * x0 + noise(gen));
    }
    return d;
}

xgb::booster train(const xgb::dmatrix& m, int rounds) {
    const xgb::dmatrix* cache[] = {&m};
    xgb::booster b(cache);
    b.set_param("nthread", "1");
    b.set_param("max_depth", "4");
    b.set_param("tree_method", "hist");
    b.set_param("seed", "1");
    for (int i = 0; i < rounds; ++i) b.update_one_iter(i, m);
    return b;
}

}  // namespace

TEST_CASE("dmatrix reports its shape and rejects inconsistent sizes") {
    auto d = make_data(100, 1);
    auto m = xgb::dmatrix::from_dense(d.x, d.rows, d.cols);
    CHECK(m.rows() == 100);
    CHECK(m.cols() == 2);
    CHECK_THROWS_AS(xgb::dmatrix::from_dense(d.x, 99, 2), error);
    CHECK_THROWS_AS(m.set_labels(std::vector<double>(3, 1.0)), error);
    CHECK_THROWS_AS(m.set_feature_names({"only_one"}), error);
}

TEST_CASE("dmatrix and booster are movable and free their handles once") {
    auto d = make_data(50, 2);
    auto a = xgb::dmatrix::from_dense(d.x, d.rows, d.cols);
    void* h = a.handle();
    xgb::dmatrix b = std::move(a);
    CHECK(b.handle() == h);
    CHECK(a.handle() == nullptr);  // NOLINT(bugprone-use-after-move): the moved-from state is the point
    a = std::move(b);
    CHECK(a.handle() == h);
    xgb::booster x;
    xgb::booster y = std::move(x);
    CHECK(x.handle() == nullptr);  // NOLINT(bugprone-use-after-move)
    CHECK(y.handle() != nullptr);
}

TEST_CASE("a booster learns y = 3*x0 and predicts in place") {
    auto d = make_data(2000, 3);
    auto m = xgb::dmatrix::from_dense(d.x, d.rows, d.cols);
    m.set_labels(d.y);
    auto b = train(m, 50);
    CHECK(b.boosted_rounds() == 50);
    CHECK(b.num_features() == 2);
    std::vector<float> probe{2.f, 5.f, 8.f, 0.f};
    auto p = b.predict_dense(probe, 2, 2);
    REQUIRE(p.size() == 2);
    CHECK(p[0] == Approx(6.0).margin(0.3));
    CHECK(p[1] == Approx(24.0).margin(0.3));
    // Fewer rounds: a different (worse) prediction, from the same booster.
    auto early = b.predict_dense(probe, 2, 2, {0, 2});
    CHECK(std::fabs(early[1] - 24.0f) > std::fabs(p[1] - 24.0f));
    CHECK_THROWS_AS(b.predict_dense(probe, 3, 2), error);
}

TEST_CASE("predicting a cached DMatrix equals in-place prediction on the same rows") {
    auto d = make_data(1000, 12);
    auto m = xgb::dmatrix::from_dense(d.x, d.rows, d.cols);
    m.set_labels(d.y);
    auto b = train(m, 15);
    auto cached = b.predict(m);
    CHECK(cached == b.predict_dense(d.x, d.rows, d.cols));
    CHECK(b.predict(m, {0, 3}) == b.predict_dense(d.x, d.rows, d.cols, {0, 3}));
}

TEST_CASE("missing values (NaN) are accepted in training and prediction") {
    auto d = make_data(500, 4);
    for (std::size_t i = 0; i < d.rows; i += 7) d.x[i * 2 + 1] = xgb::missing_value;
    auto m = xgb::dmatrix::from_dense(d.x, d.rows, d.cols);
    m.set_labels(d.y);
    auto b = train(m, 10);
    std::vector<float> probe{4.f, xgb::missing_value};
    auto p = b.predict_dense(probe, 1, 2);
    CHECK(std::isfinite(p[0]));
}

TEST_CASE("evaluation text is parsed into set, metric and value") {
    auto r = xgb::parse_eval_text("[3]\ttrain-rmse:1.25\tvalid-rmse:2.5");
    REQUIRE(r.size() == 2);
    CHECK(r[0].set == "train");
    CHECK(r[0].metric == "rmse");
    CHECK(r[0].value == 1.25);
    CHECK(r[1].set == "valid");
    CHECK(r[1].value == 2.5);
    CHECK_THROWS_AS(xgb::parse_eval_text("garbage"), error);
    CHECK_THROWS_AS(xgb::parse_eval_text("[0]\tvalid-rmse:abc"), error);

    auto d = make_data(300, 5);
    auto m = xgb::dmatrix::from_dense(d.x, d.rows, d.cols);
    m.set_labels(d.y);
    auto b = train(m, 3);
    xgb::eval_set sets[] = {{"train", &m}};
    auto e = b.eval(2, sets);
    REQUIRE(e.size() == 1);
    CHECK(e[0].metric == "rmse");
    CHECK(e[0].value > 0);
}

TEST_CASE("JSON save and load round-trip keeps predictions, names, attributes") {
    auto d = make_data(1000, 6);
    auto m = xgb::dmatrix::from_dense(d.x, d.rows, d.cols);
    m.set_labels(d.y);
    auto b = train(m, 20);
    b.set_feature_info({"x0", "x1"}, {"float", "float"});
    b.set_attr("best_iteration", "19");
    std::string json = b.save_json();
    CHECK(json.front() == '{');
    CHECK(json.find("\"x0\"") != std::string::npos);
    auto c = xgb::booster::load_buffer(json, "memory");
    CHECK(c.boosted_rounds() == 20);
    CHECK(c.feature_names() == std::vector<std::string>{"x0", "x1"});
    CHECK(c.attr("best_iteration") == std::optional<std::string>("19"));
    CHECK_FALSE(c.attr("nope").has_value());
    std::vector<float> probe{2.f, 3.f};
    CHECK(c.predict_dense(probe, 1, 2) == b.predict_dense(probe, 1, 2));
    CHECK(c.save_json() == json);
    // UBJSON loads too.
    auto u = xgb::booster::load_buffer(b.save_ubj(), "memory");
    CHECK(u.predict_dense(probe, 1, 2) == b.predict_dense(probe, 1, 2));
}

TEST_CASE("slice keeps the first rounds and the feature names") {
    auto d = make_data(500, 7);
    auto m = xgb::dmatrix::from_dense(d.x, d.rows, d.cols);
    m.set_labels(d.y);
    auto b = train(m, 10);
    b.set_feature_info({"x0", "x1"}, {"float", "float"});
    auto s = b.slice(0, 4);
    CHECK(s.boosted_rounds() == 4);
    CHECK(s.feature_names() == std::vector<std::string>{"x0", "x1"});
    std::vector<float> probe{2.f, 3.f};
    CHECK(s.predict_dense(probe, 1, 2) == b.predict_dense(probe, 1, 2, {0, 4}));
}

TEST_CASE("feature importance ranks the informative feature first") {
    auto d = make_data(2000, 8);
    auto m = xgb::dmatrix::from_dense(d.x, d.rows, d.cols);
    m.set_labels(d.y);
    auto b = train(m, 20);
    b.set_feature_info({"x0", "x1"}, {"float", "float"});
    auto scores = b.feature_scores("total_gain");
    REQUIRE(!scores.empty());
    double g0 = 0, g1 = 0;
    for (const auto& s : scores) (s.feature == "x0" ? g0 : g1) += s.score;
    CHECK(g0 > 100 * g1);
}

TEST_CASE("corrupt or missing model files give clear errors") {
    test::scratch_dir dir("xgb-corrupt");
    test::write_text(dir / "bad.json", "{\"learner\": tru");
    try {
        (void)xgb::booster::load_file(dir / "bad.json");
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::bad_input);
        CHECK(e.exit_code() == 2);
        CHECK(e.describe().find("bad.json") != std::string::npos);
        CHECK(std::string(e.what()).find("not a valid xgboost model") != std::string::npos);
    }
    test::write_text(dir / "junk.bin", "this is not a model at all");
    CHECK_THROWS_AS(xgb::booster::load_file(dir / "junk.bin"), error);
    try {
        (void)xgb::booster::load_file(dir / "absent.json");
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::not_found);
    }
}

TEST_CASE("failing C calls become internal errors carrying xgboost's message") {
    auto d = make_data(100, 9);
    auto m = xgb::dmatrix::from_dense(d.x, d.rows, d.cols);
    m.set_labels(d.y);
    const xgb::dmatrix* cache[] = {&m};
    xgb::booster b(cache);
    b.set_param("objective", "reg:no_such_objective");
    try {
        b.update_one_iter(0, m);
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::internal);
        CHECK(std::string(e.what()).find("xgboost training round 0 failed") != std::string::npos);
        CHECK(std::string(e.what()).find("no_such_objective") != std::string::npos);
        CHECK(std::string(e.what()).find("Stack trace") == std::string::npos);
    }
}

TEST_CASE("xgboost log lines can be routed to a handler") {
    std::vector<std::string> lines;
    xgb::set_log_handler([&](std::string_view l) { lines.emplace_back(l); });
    auto d = make_data(100, 10);
    auto m = xgb::dmatrix::from_dense(d.x, d.rows, d.cols);
    m.set_labels(d.y);
    const xgb::dmatrix* cache[] = {&m};
    xgb::booster b(cache);
    b.set_param("validate_parameters", "1");  // off by default in the C API
    b.set_param("not_a_real_parameter", "1");
    b.update_one_iter(0, m);
    xgb::set_log_handler({});
    bool mentioned = false;
    for (const auto& l : lines) mentioned = mentioned || l.find("not_a_real_parameter") != std::string::npos;
    CHECK(mentioned);
}

TEST_CASE("the linked library is xgboost 1.7") {
    CHECK(xgb::library_version().rfind("1.7.", 0) == 0);
}
