#include "amlops/gate/bootstrap.hpp"

#include "amlops/gate/decision.hpp"
#include "gate_data.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cmath>

namespace g = amlops::gate;
using Catch::Matchers::Contains;
using gate_test::fares;
using gate_test::normals;
using gate_test::plus;

namespace {
g::policy with_bootstrap(g::metric m, std::uint64_t seed = 42) {
    g::policy p;
    p.primary_metric = m;
    p.bootstrap = g::bootstrap_policy{1000, 0.95, seed};
    return p;
}

std::vector<double> scaled(std::vector<double> v, double k) {
    for (auto& x : v) x *= k;
    return v;
}

double rms(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x * x;
    return std::sqrt(s / static_cast<double>(v.size()));
}
}  // namespace

TEST_CASE("uniform_index stays in range, covers it evenly and is pinned for a seed") {
    std::mt19937_64 rng(1);
    std::array<int, 3> counts{};
    for (int i = 0; i < 30000; ++i) {
        const auto k = g::uniform_index(rng, 3);
        REQUIRE(k < 3);
        ++counts[k];
    }
    for (int c : counts) CHECK(std::abs(c - 10000) < 500);

    // std::mt19937_64 is specified bit for bit by the standard and the mapping is ours, so these
    // values must be identical on every platform and standard library.
    std::mt19937_64 pinned(42);
    std::vector<std::uint64_t> first;
    for (int i = 0; i < 6; ++i) first.push_back(g::uniform_index(pinned, 1000));
    CHECK(first == std::vector<std::uint64_t>{755, 639, 752, 136, 903, 94});

    std::mt19937_64 one(5);
    CHECK(g::uniform_index(one, 1) == 0);
}

TEST_CASE("the same seed gives the same interval and the engine overload matches the seeded one") {
    const auto actual = fares(300, 1);
    const auto cand = plus(actual, normals(300, 2));
    const auto champ = plus(actual, scaled(normals(300, 3), 1.1));
    const g::bootstrap_policy settings{500, 0.9, 1234};
    const auto a = g::paired_bootstrap(g::metric::rmse, actual, cand, champ, settings);
    const auto b = g::paired_bootstrap(g::metric::rmse, actual, cand, champ, settings);
    CHECK(a.lower == b.lower);
    CHECK(a.upper == b.upper);
    CHECK(a.lower < a.observed);
    CHECK(a.observed < a.upper);
    std::mt19937_64 rng(1234);
    const auto c = g::paired_bootstrap(g::metric::rmse, actual, cand, champ, settings, rng);
    CHECK(c.lower == a.lower);
    CHECK(c.upper == a.upper);
    const auto other = g::paired_bootstrap(g::metric::rmse, actual, cand, champ, {500, 0.9, 99});
    CHECK((other.lower != a.lower || other.upper != a.upper));
    // A wider confidence level never gives a narrower interval for the same resamples.
    const auto wide = g::paired_bootstrap(g::metric::rmse, actual, cand, champ, {500, 0.99, 1234});
    CHECK(wide.lower <= a.lower);
    CHECK(wide.upper >= a.upper);
}

TEST_CASE("a clearly better model is approved by the bootstrap under every metric") {
    const auto actual = fares(500, 10);
    const auto errors = normals(500, 11);
    const auto cand = plus(actual, errors);
    const auto champ = plus(actual, scaled(normals(500, 12), 2.0));  // twice the error
    for (auto m : {g::metric::rmse, g::metric::mae, g::metric::r2}) {
        INFO(g::to_string(m));
        const auto d = g::decide(with_bootstrap(m), actual, cand, std::span<const double>(champ));
        REQUIRE(d.bootstrap);
        CHECK(d.bootstrap->favours_candidate());
        CHECK(d.approved);
        CHECK(d.checks.back().name == "bootstrap");
        CHECK_THAT(d.checks.back().reason, Contains("excludes 0 in the candidate's favour"));
        const auto doc = g::to_json(d);
        CHECK(doc.at("bootstrap").at("favours_candidate") == true);
        CHECK(doc.at("bootstrap").at("resamples").to_number<int>() == 1000);
    }
}

TEST_CASE("a noise-level improvement passes on point estimates but is rejected with the bootstrap") {
    const auto actual = fares(200, 20);
    const auto champ_err = normals(200, 21);
    // An independent error draw, rescaled so the candidate's rmse is exactly 1% lower: better on
    // paper, but far inside the sampling noise of 200 rows.
    auto cand_err = normals(200, 22);
    cand_err = scaled(cand_err, 0.99 * rms(champ_err) / rms(cand_err));
    const auto cand = plus(actual, cand_err);
    const auto champ = plus(actual, champ_err);

    g::policy point_only;
    point_only.primary_metric = g::metric::rmse;
    CHECK(g::decide(point_only, actual, cand, std::span<const double>(champ)).approved);

    const auto d = g::decide(with_bootstrap(g::metric::rmse), actual, cand, std::span<const double>(champ));
    CHECK_FALSE(d.approved);
    REQUIRE(d.bootstrap);
    CHECK(d.bootstrap->observed < 0);
    CHECK(d.bootstrap->lower < 0);
    CHECK(d.bootstrap->upper > 0);
    REQUIRE(d.reasons.size() == 1);
    CHECK_THAT(d.reasons[0], Contains("paired bootstrap (1000 resamples, seed 42): 95% interval"));
    CHECK_THAT(d.reasons[0], Contains("includes 0"));
}

TEST_CASE("a worse model's bootstrap interval lies on the champion's side") {
    const auto actual = fares(400, 30);
    const auto cand = plus(actual, scaled(normals(400, 31), 3.0));
    const auto champ = plus(actual, normals(400, 32));
    const auto d = g::decide(with_bootstrap(g::metric::r2), actual, cand, std::span<const double>(champ));
    CHECK_FALSE(d.approved);
    REQUIRE(d.bootstrap);
    CHECK(d.bootstrap->upper < 0);  // r2 difference: candidate lower
    CHECK(d.reasons.size() == 2);   // worse than champion, and the bootstrap agrees
    CHECK_THAT(d.reasons[1], Contains("entirely on the champion's side"));
}

TEST_CASE("each resample's difference equals the metrics recomputed on the drawn rows") {
    // One resample: the interval collapses to that resample's difference, which must match
    // amlops::metrics on the rows drawn by the same engine state.
    const auto actual = fares(50, 40);
    const auto cand = plus(actual, normals(50, 41));
    const auto champ = plus(actual, scaled(normals(50, 42), 1.5));
    for (auto m : {g::metric::rmse, g::metric::mae, g::metric::r2}) {
        INFO(g::to_string(m));
        std::mt19937_64 draw(77);
        std::vector<double> a, c, h;
        for (int i = 0; i < 50; ++i) {
            const auto k = g::uniform_index(draw, 50);
            a.push_back(actual[k]);
            c.push_back(cand[k]);
            h.push_back(champ[k]);
        }
        const double expected = g::compute(m, a, c) - g::compute(m, a, h);
        const auto b = g::paired_bootstrap(m, actual, cand, champ, {1, 0.5, 77});
        CHECK(b.lower == Approx(expected).epsilon(1e-12));
        CHECK(b.upper == Approx(expected).epsilon(1e-12));
    }
}
