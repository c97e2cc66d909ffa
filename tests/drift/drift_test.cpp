// The training profile's bins, PSI and KS against values computed by hand, and the monitor's
// counting from several threads.
#include "amlops/core/error.hpp"
#include "amlops/drift/monitor.hpp"
#include "amlops/drift/profile.hpp"
#include "amlops/drift/stats.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

using namespace amlops;
using namespace amlops::drift;
using Catch::Matchers::Contains;

namespace {

std::vector<float> range(float from, float to) {
    std::vector<float> v;
    for (float x = from; x <= to; x += 1) v.push_back(x);
    return v;
}

float above(float x) { return std::nextafter(x, std::numeric_limits<float>::infinity()); }

}  // namespace

TEST_CASE("PSI matches hand-computed values, with 1e-4 standing in for an empty bin") {
    const std::vector<std::uint64_t> half{50, 50}, quarter{25, 75};
    // (0.25-0.5) ln(0.25/0.5) + (0.75-0.5) ln(0.75/0.5) = 0.173287 + 0.101366
    CHECK(psi(half, quarter) == Approx(0.274653).epsilon(1e-5));
    CHECK(psi(half, half) == 0.0);
    // e = (1, 1e-4), a = (0.5, 0.5): (0.5-1) ln(0.5) + (0.5-1e-4) ln(0.5/1e-4) = 0.346574 + 4.257745
    const std::vector<std::uint64_t> one_sided{10, 0}, even{5, 5};
    CHECK(psi(one_sided, even) == Approx(4.604319).epsilon(1e-5));
    CHECK(std::isnan(psi(half, std::vector<std::uint64_t>{0, 0})));
    CHECK(std::isnan(psi(half, std::vector<std::uint64_t>{1, 1, 1})));
}

TEST_CASE("KS is the largest CDF gap on the grid, with its error bound") {
    const std::vector<std::uint64_t> flat{1, 1, 1, 1}, top{0, 0, 2, 2};
    // F_flat = .25 .5 .75 1, F_top = 0 0 .5 1: largest gap .5.
    const auto off = ks(flat, top, false);
    CHECK(off.statistic == Approx(0.5));
    CHECK(off.error_bound == Approx(0.5));  // the top sample's share in bin 3 or 4
    CHECK(ks(flat, top, true).error_bound == 0.0);
    CHECK(ks(flat, flat, false).statistic == 0.0);
    CHECK(ks(flat, flat, false).error_bound == Approx(0.25));
}

TEST_CASE("a discrete feature gets one bin per training value and bins for values outside") {
    const std::vector<float> flag{0, 0, 0, 1};
    const auto p = build_profile({"store_forward"}, flag, 4);
    const auto& f = p.features.at(0);
    CHECK(f.discrete);
    CHECK(f.grid.edges == std::vector<float>{0, 1, above(1)});
    CHECK(f.counts == std::vector<std::uint64_t>{0, 3, 1, 0});
    CHECK(f.psi.edges == f.grid.edges);
    CHECK(f.grid.bin_of(-1) == 0);
    CHECK(f.grid.bin_of(2) == 3);

    // A constant column: its value, and the two outside bins that any change lands in.
    const auto c = build_profile({"k"}, std::vector<float>{7, 7, 7}, 3).features.at(0);
    CHECK(c.discrete);
    CHECK(c.counts == std::vector<std::uint64_t>{0, 3, 0});
}

TEST_CASE("a continuous feature gets percentile grid edges and decile PSI bins") {
    const auto values = range(1, 100);  // 100 distinct values: v[i] = i + 1
    const auto f = build_profile({"distance"}, values, values.size()).features.at(0);
    CHECK_FALSE(f.discrete);
    // Grid: the minimum, v[k] for k = 1..99 (= 2..100), the float above the maximum.
    REQUIRE(f.grid.edges.size() == 101);
    CHECK(f.grid.edges.front() == 1);
    CHECK(f.grid.edges[99] == 100);
    CHECK(f.grid.edges.back() == above(100));
    CHECK(f.counts.front() == 0);
    CHECK(f.counts.back() == 0);
    CHECK(f.counts[1] == 1);
    // PSI: v[10k] = 11, 21, ..., 91; ten values per bin.
    CHECK(f.psi.edges == std::vector<float>{11, 21, 31, 41, 51, 61, 71, 81, 91});
    CHECK(f.to_psi_bins(f.counts) == std::vector<std::uint64_t>(10, 10));
}

TEST_CASE("ties collapse duplicate quantile edges") {
    std::vector<float> values(50, 0.0f);
    for (float x = 1; x <= 50; x += 1) values.push_back(x);  // 51 distinct values: continuous
    const auto f = build_profile({"passengers"}, values, values.size()).features.at(0);
    CHECK_FALSE(f.discrete);
    // Deciles v[10], v[20], v[30], v[40] are all 0; then v[50..90] = 1, 11, 21, 31, 41.
    CHECK(f.psi.edges == std::vector<float>{0, 1, 11, 21, 31, 41});
    CHECK(f.to_psi_bins(f.counts) == std::vector<std::uint64_t>{0, 50, 10, 10, 10, 10, 10});
}

TEST_CASE("the profile survives profile.json and an invalid one is refused naming the field") {
    std::vector<float> rows;
    for (int i = 0; i < 300; ++i) {
        rows.push_back(static_cast<float>(i % 2));
        rows.push_back(static_cast<float>(i) * 0.37f);
    }
    const auto p = build_profile({"vendor", "distance"}, rows, 300);
    const auto back = profile_from_json(json::value(to_json(p)), "profile.json");
    REQUIRE(back.features.size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
        CHECK(back.features[i].grid.edges == p.features[i].grid.edges);
        CHECK(back.features[i].counts == p.features[i].counts);
        CHECK(back.features[i].psi_bin == p.features[i].psi_bin);
    }
    auto doc = to_json(p);
    doc["features"].as_array()[1].as_object()["grid_counts"].as_array()[3] = 999;
    try {
        profile_from_json(json::value(doc), "m/profile.json");
        FAIL("accepted counts that do not add up");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::bad_input);
        CHECK(e.context().file == "m/profile.json");
        CHECK(e.context().field == "features[1].grid_counts");
    }
}

TEST_CASE("the monitor reports no drift for the training rows and hand-computed drift for shifted ones") {
    const auto train = range(1, 100);
    auto p = std::make_shared<const profile>(build_profile({"x"}, train, train.size()));
    monitor same(p, {"other", "x"});  // columns matched by name
    std::vector<float> rows;
    for (float v : train) {
        rows.push_back(-5);
        rows.push_back(v);
    }
    same.observe(rows, train.size());
    const auto r0 = same.report({0.1, 0.1});
    REQUIRE(r0.features.size() == 1);
    CHECK(r0.features[0].psi == 0.0);
    CHECK(r0.features[0].ks == 0.0);
    CHECK(r0.drifting().empty());

    // 51..150: PSI bins (deciles of 1..100) hold 0,0,0,0,0,10,10,10,10,60 of 100.
    // 5 * (1e-4 - 0.1) ln(1e-4 / 0.1) + (0.6 - 0.1) ln(6) = 3.450425 + 0.895880
    monitor shifted(p, {"x"});
    const auto moved = range(51, 150);
    shifted.observe(moved, moved.size());
    const auto r1 = shifted.report({0.25, std::nullopt});
    CHECK(r1.features[0].psi == Approx(4.346305).epsilon(1e-5));
    CHECK(r1.features[0].ks == Approx(0.5));  // F_train(51) = .5, F_new(51) = 0
    CHECK(r1.features[0].out_of_range == 50);
    REQUIRE(r1.drifting().size() == 1);
    CHECK_THAT(r1.features[0].reasons.at(0), Contains("PSI 4.346 > 0.25"));
    const auto doc = to_json(r1);
    CHECK(doc.at("status").as_string() == "drift");
    CHECK(doc.at("drifting").as_array().at(0).at("feature").as_string() == "x");
}

TEST_CASE("a feature whose scored values are all missing is drift, though PSI and KS are undefined") {
    const auto train = range(1, 100);
    auto p = std::make_shared<const profile>(build_profile({"x"}, train, train.size()));
    monitor m(p, {"x"});
    const std::vector<float> gone(10, std::numeric_limits<float>::quiet_NaN());
    m.observe(gone, gone.size());
    const auto unchecked = m.report({std::nullopt, std::nullopt});
    CHECK(std::isnan(unchecked.features.at(0).psi));
    CHECK(unchecked.drifting().empty());  // no limits, no verdict
    const auto r = m.report({std::nullopt, 0.2});
    REQUIRE(r.drifting().size() == 1);
    CHECK_THAT(r.features[0].reasons.at(0), Contains("all 10 scored values are missing"));
    CHECK(to_json(r).at("status").as_string() == "drift");
}

TEST_CASE("the monitor counts rows from many threads, one at a time or in blocks") {
    const auto train = range(1, 100);
    auto p = std::make_shared<const profile>(build_profile({"x"}, train, train.size()));
    monitor m(p, {"x"});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (float v : train) m.observe(std::span<const float>(&v, 1), 1);  // one row per call
            m.observe(train, train.size());                                    // one block
        });
    }
    for (auto& t : threads) t.join();
    const auto r = m.report();
    CHECK(r.rows == 800);
    CHECK(r.features[0].n == 800);
    CHECK(r.features[0].psi == 0.0);
    CHECK(r.features[0].ks == 0.0);
    // NaN is missing, not binned.
    const float nan = std::numeric_limits<float>::quiet_NaN();
    m.observe(std::span<const float>(&nan, 1), 1);
    CHECK(m.report().features[0].missing == 1);
}

TEST_CASE("bin_of is upper_bound on the edges, at the edges and between them") {
    for (std::size_t n : {1u, 2u, 3u, 7u, 64u, 101u}) {
        bin_edges b;
        for (std::size_t i = 0; i < n; ++i) b.edges.push_back(static_cast<float>(i) * 1.5f);
        for (float v = -2; v < static_cast<float>(n) * 1.5f + 2; v += 0.25f) {
            INFO("n " << n << " v " << v);
            CHECK(b.bin_of(v) == static_cast<std::size_t>(std::upper_bound(b.edges.begin(), b.edges.end(), v) - b.edges.begin()));
        }
    }
    CHECK(bin_edges{}.bin_of(3) == 0);
}
