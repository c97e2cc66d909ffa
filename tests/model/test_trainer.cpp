#include "amlops/model/trainer.hpp"

#include "amlops/core/error.hpp"
#include "synthetic_taxi.hpp"

#include <catch2/catch.hpp>

#include <numeric>

using namespace amlops;

namespace {

// One thread: ctest runs tests in parallel, and OpenMP teams spin badly on a busy machine.
model::train_params small_params() {
    model::train_params p;
    p.n_estimators = 40;
    p.max_depth = 4;
    p.eta = 0.3;
    p.nthread = 1;
    return p;
}

}  // namespace

TEST_CASE("the validation mask holds out exactly round(n * fraction) rows, deterministically") {
    auto a = model::validation_mask(1000, 0.1, 42);
    CHECK(std::count(a.begin(), a.end(), true) == 100);
    CHECK(model::validation_mask(1000, 0.1, 42) == a);
    CHECK(model::validation_mask(1000, 0.1, 43) != a);
    CHECK(std::count(a.begin(), a.begin() + 500, true) > 20);  // spread over the table, not a block
    auto none = model::validation_mask(4, 0.1, 1);  // round(0.4) = 0
    CHECK(std::count(none.begin(), none.end(), true) == 0);
    auto zero = model::validation_mask(10, 0.0, 1);
    CHECK(std::count(zero.begin(), zero.end(), true) == 0);
}

TEST_CASE("a model of cost = 3*distance + noise beats a mean predictor by far") {
    auto table = test::synthetic_table(3000, 1);
    auto out = model::train_regressor(table, model::taxi_signature(), small_params());
    CHECK(out.train_rows == 2700);
    CHECK(out.validation_rows == 300);
    REQUIRE(out.validation.has_value());
    // A mean predictor has R^2 = 0 and RMSE = std(y) (~17 here); noise is 0.5.
    CHECK(out.validation->r2 > 0.99);
    CHECK(out.validation->rmse < 1.0);
    CHECK(out.train.rmse < out.validation->rmse * 1.5);
    CHECK(out.booster.boosted_rounds() == 40);
    CHECK(out.best_iteration == 39);
    CHECK_FALSE(out.stopped_early);
    CHECK(out.booster.feature_names().front() == "distance");
    // Predictions through predict_table match the metric rows count.
    CHECK(model::predict_table(out.booster, table).size() == 3000);
}

TEST_CASE("same data, parameters, seed and threads give a byte-identical model") {
    auto table = test::synthetic_table(1000, 2);
    auto p = small_params();
    p.n_estimators = 15;
    p.nthread = 2;  // multi-threaded histogram building must not change the bytes either
    p.subsample = 0.7;  // exercise the seeded sampling too
    p.colsample_bytree = 0.8;
    auto a = model::train_regressor(table, model::taxi_signature(), p).booster.save_json();
    auto b = model::train_regressor(table, model::taxi_signature(), p).booster.save_json();
    CHECK(a == b);
    p.seed = 43;
    CHECK(model::train_regressor(table, model::taxi_signature(), p).booster.save_json() != a);
}

TEST_CASE("early stopping keeps only the rounds up to the best one") {
    auto table = test::synthetic_table(1500, 3);
    auto p = small_params();
    p.n_estimators = 500;
    p.eta = 0.5;
    p.max_depth = 6;
    p.early_stopping_rounds = 5;
    p.validation_fraction = 0.2;
    std::vector<int> rounds;
    auto out = model::train_regressor(table, model::taxi_signature(), p,
                                      [&](const model::round_progress& r) {
                                          rounds.push_back(r.round);
                                          CHECK(r.eval.size() == 1);
                                      });
    CHECK(out.stopped_early);
    CHECK(out.rounds_run < 500);
    CHECK(out.rounds_run == out.best_iteration + 1 + 5);
    CHECK(static_cast<int>(rounds.size()) == out.rounds_run);
    CHECK(out.booster.boosted_rounds() == out.best_iteration + 1);
    CHECK(out.eval_metric == "rmse");
    REQUIRE(out.best_score.has_value());
    CHECK(out.booster.attr("best_iteration") == std::optional<std::string>(std::to_string(out.best_iteration)));
    // The validation RMSE of the kept model is the best score xgboost reported (float precision).
    CHECK(out.validation->rmse == Approx(*out.best_score).epsilon(1e-4));
}

TEST_CASE("training rejects unusable tables") {
    auto sig = model::taxi_signature();
    data::numeric_table empty;
    for (const auto& c : sig.inputs) empty.columns.push_back(c.name);
    CHECK_THROWS_AS(model::train_regressor(empty, sig, small_params()), error);

    auto t = test::synthetic_table(100, 4);
    t.target.clear();
    CHECK_THROWS_AS(model::train_regressor(t, sig, small_params()), error);

    auto swapped = test::synthetic_table(100, 4);
    std::swap(swapped.columns[0], swapped.columns[1]);
    try {
        model::train_regressor(swapped, sig, small_params());
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::bad_input);
        CHECK(e.context().field == std::optional<std::string>("distance"));
    }

    auto tiny = test::synthetic_table(4, 5);
    auto p = small_params();
    p.early_stopping_rounds = 3;  // 10% of 4 rows is no row
    CHECK_THROWS_AS(model::train_regressor(tiny, sig, p), error);
}
