#include "amlops/metrics/regression.hpp"

#include "amlops/core/error.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace m = amlops::metrics;
using Catch::Matchers::Contains;

namespace {
// errors: 0.5, -0.5, 0, -1; mean(actual) = 2.875; SStot = 29.1875; SSres = 1.5.
const std::vector<double> actual{3, -0.5, 2, 7};
const std::vector<double> predicted{2.5, 0.0, 2, 8};

amlops::error_kind kind_of(auto&& f) {
    try {
        f();
    } catch (const amlops::error& e) {
        return e.kind();
    }
    FAIL("expected amlops::error");
    return amlops::error_kind::internal;
}
}  // namespace

TEST_CASE("rmse, mae, r2 and mape match hand-computed values") {
    CHECK(m::rmse(actual, predicted) == Approx(std::sqrt(0.375)).epsilon(1e-15));
    CHECK(m::mae(actual, predicted) == Approx(0.5).epsilon(1e-15));
    CHECK(m::r2(actual, predicted) == Approx(1.0 - 1.5 / 29.1875).epsilon(1e-15));
    // |0.5/3| + |0.5/0.5| + 0 + |1/7|, over 4 rows, in percent.
    CHECK(m::mape(actual, predicted) == Approx(100.0 * (1.0 / 6 + 1.0 + 1.0 / 7) / 4).epsilon(1e-15));
}

TEST_CASE("perfect predictions give zero error and r2 of one") {
    CHECK(m::rmse(actual, actual) == 0.0);
    CHECK(m::mae(actual, actual) == 0.0);
    CHECK(m::r2(actual, actual) == 1.0);
    CHECK(m::mape(actual, actual) == 0.0);
}

TEST_CASE("r2 is negative for predictions worse than the mean and 0 for a constant target") {
    const std::vector<double> a{1, 2, 3}, p{3, 2, 1};  // SSres 8, SStot 2
    CHECK(m::r2(a, p) == Approx(1.0 - 8.0 / 2.0));
    const std::vector<double> flat{5, 5, 5};
    CHECK(m::r2(flat, flat) == 0.0);
    CHECK(m::r2(flat, p) == 0.0);
}

TEST_CASE("mape skips rows whose actual value is zero") {
    CHECK(m::mape(std::vector<double>{0, 10}, std::vector<double>{1, 9}) == Approx(10.0));
    CHECK(m::mape(std::vector<double>{0, 0}, std::vector<double>{1, 9}) == 0.0);
}

TEST_CASE("quantile is type 7 (linear interpolation, numpy's default)") {
    const std::vector<double> v{4, 1, 3, 2};  // unsorted on purpose
    CHECK(m::quantile(v, 0.0) == 1.0);
    CHECK(m::quantile(v, 1.0) == 4.0);
    CHECK(m::quantile(v, 0.5) == Approx(2.5));
    CHECK(m::quantile(v, 0.9) == Approx(3.7));   // h = 3 * 0.9 = 2.7 -> 3 + 0.7 * (4 - 3)
    CHECK(m::quantile(v, 0.25) == Approx(1.75));  // h = 0.75
    CHECK(m::quantile(std::vector<double>{7}, 0.3) == 7.0);
    CHECK(v == std::vector<double>{4, 1, 3, 2});  // input untouched
}

TEST_CASE("summarize agrees with the single metrics and reports residual quantiles") {
    const auto s = m::summarize(actual, predicted);
    CHECK(s.n == 4);
    CHECK(s.rmse == Approx(m::rmse(actual, predicted)).epsilon(1e-15));
    CHECK(s.mae == Approx(m::mae(actual, predicted)).epsilon(1e-15));
    CHECK(s.r2 == Approx(m::r2(actual, predicted)).epsilon(1e-15));
    CHECK(s.mape == Approx(m::mape(actual, predicted)).epsilon(1e-15));
    // |residuals| sorted: 0, 0.5, 0.5, 1
    CHECK(s.residual_p50 == Approx(0.5));
    CHECK(s.residual_p90 == Approx(0.85));   // h = 2.7
    CHECK(s.residual_p99 == Approx(0.985));  // h = 2.97
}

TEST_CASE("sums are compensated: small errors are not lost next to a huge one") {
    // A naive double sum gives 1e16 + 1 == 1e16 on every step and drops all 1000 unit errors.
    std::vector<double> a(1001, 1.0), p(1001, 0.0);
    a[0] = 1e16;
    CHECK(m::mae(a, p) == (1e16 + 1000.0) / 1001.0);
    CHECK(m::summarize(a, p).mae == (1e16 + 1000.0) / 1001.0);
}

TEST_CASE("many rows: a million identical errors give exactly that error") {
    std::vector<double> a(1'000'000, 10.1), p(1'000'000, 10.0);
    const double e = 10.1 - 10.0;
    CHECK(m::mae(a, p) == Approx(e).epsilon(1e-14));
    CHECK(m::rmse(a, p) == Approx(e).epsilon(1e-14));
}

TEST_CASE("bad inputs throw bad_input with a reason") {
    const std::vector<double> two{1, 2}, three{1, 2, 3}, none;
    CHECK(kind_of([&] { m::rmse(two, three); }) == amlops::error_kind::bad_input);
    CHECK_THROWS_WITH(m::mae(two, three), Contains("2 actual values but 3 predictions"));
    CHECK_THROWS_WITH(m::r2(none, none), Contains("no rows"));
    CHECK(kind_of([&] { m::summarize(none, none); }) == amlops::error_kind::bad_input);
    const std::vector<double> with_nan{1, std::numeric_limits<double>::quiet_NaN()};
    CHECK_THROWS_WITH(m::rmse(two, with_nan), Contains("non-finite prediction at row 1"));
    CHECK_THROWS_WITH(m::mape(with_nan, two), Contains("non-finite actual value at row 1"));
    CHECK(kind_of([&] { m::quantile(none, 0.5); }) == amlops::error_kind::bad_input);
    CHECK_THROWS_WITH(m::quantile(two, 1.5), Contains("q must be in [0, 1]"));
    CHECK(kind_of([&] { m::quantile(two, -0.1); }) == amlops::error_kind::bad_input);
}

TEST_CASE("summarize's residual quantiles (by selection) equal the sorted quantiles exactly, ties and tiny sets included") {
    std::mt19937 rng(7);
    for (std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{10}, std::size_t{101}, std::size_t{5000}}) {
        std::vector<double> a(n), p(n), residual(n);
        for (std::size_t i = 0; i < n; ++i) {
            a[i] = static_cast<double>(rng() % 50);  // small integers: many equal residuals
            p[i] = static_cast<double>(rng() % 50) + ((i % 3 == 0) ? 0.25 : 0.0);
            residual[i] = std::fabs(a[i] - p[i]);
        }
        const auto s = m::summarize(a, p);
        INFO("n = " << n);
        CHECK(s.residual_p50 == m::quantile(residual, 0.50));
        CHECK(s.residual_p90 == m::quantile(residual, 0.90));
        CHECK(s.residual_p99 == m::quantile(residual, 0.99));
    }
}
