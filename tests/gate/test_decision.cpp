#include "amlops/gate/decision.hpp"

#include "amlops/core/error.hpp"
#include "gate_data.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <span>

namespace g = amlops::gate;
using Catch::Matchers::Contains;
using gate_test::shifted;

namespace {
// 1..10: mean 5.5, SStot 82.5. A constant offset d gives rmse = mae = |d|, r2 = 1 - 10 d^2 / 82.5.
const std::vector<double> actual{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

g::policy on(g::metric m, double min_rel = 0) {
    g::policy p;
    p.primary_metric = m;
    p.min_relative_improvement = min_rel;
    return p;
}

g::decision run(const g::policy& p, double cand_offset, std::optional<double> champ_offset) {
    const auto cand = shifted(actual, cand_offset);
    if (!champ_offset) return g::decide(p, actual, cand, std::nullopt);
    const auto champ = shifted(actual, *champ_offset);
    return g::decide(p, actual, cand, std::span<const double>(champ));
}

std::string all_reasons(const g::decision& d) {
    std::string s;
    for (const auto& r : d.reasons) s += r + "\n";
    return s;
}
}  // namespace

TEST_CASE("a better candidate is approved under every metric") {
    for (auto m : {g::metric::rmse, g::metric::mae, g::metric::r2}) {
        INFO(g::to_string(m));
        const auto d = run(on(m), 1.0, 2.0);
        CHECK(d.approved);
        CHECK(d.reasons.size() == 1);
        CHECK_THAT(all_reasons(d), Contains("is better than champion " + std::string(g::to_string(m))));
    }
    const auto d = run(on(g::metric::rmse), 1.0, 2.0);
    CHECK(d.reasons.at(0) == "candidate rmse 1 is better than champion rmse 2 by 50% (required improvement 0%)");
}

TEST_CASE("a worse candidate is rejected under every metric, with the numbers in the reason") {
    for (auto m : {g::metric::rmse, g::metric::mae, g::metric::r2}) {
        INFO(g::to_string(m));
        const auto d = run(on(m), 2.0, 1.0);
        CHECK_FALSE(d.approved);
        REQUIRE(d.reasons.size() == 1);
        CHECK_THAT(d.reasons[0], Contains("is worse than champion"));
    }
    CHECK(run(on(g::metric::rmse), 2.0, 1.0).reasons[0] ==
          "candidate rmse 2 is worse than champion rmse 1 (required improvement 0%)");
    // r2: 1 - 40/82.5 = 0.515152 vs 1 - 10/82.5 = 0.878788 (higher is better).
    CHECK(run(on(g::metric::r2), 2.0, 1.0).reasons[0] ==
          "candidate r2 0.515152 is worse than champion r2 0.878788 (required improvement 0%)");
}

TEST_CASE("an equal candidate passes 'not worse' but not a required improvement") {
    for (auto m : {g::metric::rmse, g::metric::mae, g::metric::r2}) {
        INFO(g::to_string(m));
        const auto same = run(on(m), 1.5, 1.5);
        CHECK(same.approved);
        CHECK_THAT(same.reasons.at(0), Contains("equals champion"));
        CHECK_FALSE(run(on(m, 0.01), 1.5, 1.5).approved);
    }
    // The sign of the offset does not matter to the metrics: -1.5 ties with +1.5.
    CHECK(run(on(g::metric::rmse), -1.5, 1.5).approved);
}

TEST_CASE("min_relative_improvement is relative to the champion and direction-aware") {
    // rmse 1.9 vs 2.0: 5% better.
    CHECK(run(on(g::metric::rmse, 0.04), 1.9, 2.0).approved);
    const auto short_of = run(on(g::metric::rmse, 0.06), 1.9, 2.0);
    CHECK_FALSE(short_of.approved);
    CHECK(short_of.reasons.at(0) == "candidate rmse 1.9 is better than champion rmse 2 by only 5% (required improvement 6%)");
    // r2 0.878788 vs 0.515152: (0.878788 - 0.515152) / 0.515152 = 70.6% better.
    CHECK(run(on(g::metric::r2, 0.7), 1.0, 2.0).approved);
    const auto r2_short = run(on(g::metric::r2, 0.71), 1.0, 2.0);
    CHECK_FALSE(r2_short.approved);
    CHECK_THAT(r2_short.reasons.at(0), Contains("by only 70.5882%"));
}

TEST_CASE("relative improvement over a negative r2 champion still means 'higher'") {
    // offset 3: r2 = 1 - 90/82.5 = -0.0909; offset 2.5: 1 - 62.5/82.5 = 0.2424.
    CHECK(run(on(g::metric::r2, 0.5), 2.5, 3.0).approved);
    CHECK_FALSE(run(on(g::metric::r2, 0.5), 3.0, 2.5).approved);
}

TEST_CASE("absolute limits reject a candidate even when it beats the champion") {
    auto p = on(g::metric::rmse);
    p.max_rmse = 0.5;
    auto d = run(p, 1.0, 2.0);
    CHECK_FALSE(d.approved);
    REQUIRE(d.reasons.size() == 1);
    CHECK(d.reasons[0] == "candidate rmse 1 exceeds the limit max_rmse 0.5");

    p = on(g::metric::mae);
    p.max_mae = 1.0;  // equal to the limit passes
    p.min_r2 = 0.9;   // 0.878788 fails
    d = run(p, 1.0, 2.0);
    CHECK_FALSE(d.approved);
    REQUIRE(d.reasons.size() == 1);
    CHECK(d.reasons[0] == "candidate r2 0.878788 is below the limit min_r2 0.9");
    CHECK(d.checks.size() == 3);  // max_mae, min_r2, champion

    p.min_r2 = 0.8;
    d = run(p, 1.0, 2.0);
    CHECK(d.approved);
    CHECK(d.reasons.size() == 3);  // approved: every check's sentence
    CHECK_THAT(all_reasons(d), Contains("candidate mae 1 is within the limit max_mae 1"));
    CHECK_THAT(all_reasons(d), Contains("candidate r2 0.878788 meets the limit min_r2 0.8"));
}

TEST_CASE("without a champion the candidate is approved iff the absolute limits hold") {
    auto d = run(on(g::metric::rmse), 1.0, std::nullopt);
    CHECK(d.approved);
    CHECK_FALSE(d.champion);
    CHECK_THAT(d.reasons.at(0), Contains("no champion model"));

    auto p = on(g::metric::rmse);
    p.max_rmse = 0.9;
    p.bootstrap = g::bootstrap_policy{};  // nothing to compare: not run
    d = run(p, 1.0, std::nullopt);
    CHECK_FALSE(d.approved);
    CHECK_FALSE(d.bootstrap);
    CHECK(d.reasons == std::vector<std::string>{"candidate rmse 1 exceeds the limit max_rmse 0.9"});

    p.max_rmse = 1.1;
    CHECK(run(p, 1.0, std::nullopt).approved);
}

TEST_CASE("the decision document has the documented shape") {
    const auto doc = g::to_json(run(on(g::metric::rmse), 1.0, 2.0));
    CHECK(doc.at("decision") == "approve");
    CHECK(doc.at("primary_metric") == "rmse");
    CHECK(doc.at("reasons").as_array().size() == 1);
    CHECK(doc.at("policy").at("primary_metric") == "rmse");
    CHECK(doc.at("checks").as_array().at(0).at("name") == "champion");
    const auto& metrics = doc.at("metrics");
    CHECK(metrics.at("candidate").at("rmse").as_double() == Approx(1.0));
    CHECK(metrics.at("candidate").at("n").to_number<int>() == 10);
    CHECK(metrics.at("champion").at("rmse").as_double() == Approx(2.0));
    CHECK(metrics.at("delta").at("rmse").as_double() == Approx(-1.0));
    CHECK(metrics.at("delta").at("relative_improvement").as_double() == Approx(0.5));
    CHECK_FALSE(doc.contains("bootstrap"));

    const auto alone = g::to_json(run(on(g::metric::mae), 2.0, std::nullopt));
    CHECK(alone.at("decision") == "approve");
    CHECK(alone.at("metrics").at("champion").is_null());
    CHECK(alone.at("metrics").at("delta").is_null());

    const auto rejected = g::to_json(run(on(g::metric::mae), 2.0, 1.0));
    CHECK(rejected.at("decision") == "reject");
}

TEST_CASE("predictions on different rows or bad values are bad input, not a decision") {
    const auto cand = shifted(actual, 1.0);
    const std::vector<double> short_champ(5, 1.0);
    try {
        g::decide(on(g::metric::rmse), actual, cand, std::span<const double>(short_champ));
        FAIL("accepted predictions of different lengths");
    } catch (const amlops::error& e) {
        CHECK(e.kind() == amlops::error_kind::bad_input);
        CHECK_THAT(e.what(), Contains("same test rows"));
    }
    auto nan_cand = cand;
    nan_cand[3] = std::nan("");
    CHECK_THROWS_AS(g::decide(on(g::metric::rmse), actual, nan_cand, std::nullopt), amlops::error);
}
