// The original workflow's slot-choice and traffic rules as tables.
#include "amlops/deploy/traffic.hpp"

#include "amlops/core/error.hpp"

#include <catch2/catch.hpp>

using namespace amlops::deploy;
using amlops::error;

TEST_CASE("choose_slot follows the original's rules case-insensitively") {
    struct row {
        traffic_map traffic;
        std::string expected;
    };
    const std::vector<row> table{
        {{}, "blue"},                                  // no traffic
        {{{"blue", 0}, {"green", 0}}, "blue"},         // all zero is no traffic
        {{{"blue", 100}}, "green"},                    // alternate absent
        {{{"green", 100}}, "blue"},                    // default absent
        {{{"blue", 70}, {"green", 30}}, "green"},      // lowest weight
        {{{"blue", 30}, {"green", 70}}, "blue"},
        {{{"Blue", 10}, {"GREEN", 90}}, "blue"},       // case-insensitive
        {{{"BLUE", 100}}, "green"},
        {{{"blue", 50}, {"green", 50}}, "green"},      // tie: alternate first
        {{{"blue", 0}, {"green", 100}}, "blue"},
        {{{"blue", 40}, {"green", 40}, {"red", 20}}, "red"},   // lowest of all slots
        {{{"blue", 40}, {"green", 20}, {"red", 20}, {"amber", 20}}, "green"},  // tie: alternate before others
        {{{"blue", 20}, {"green", 40}, {"red", 20}, {"amber", 20}}, "blue"},   // tie: default before others
        {{{"blue", 40}, {"green", 40}, {"red", 10}, {"amber", 10}}, "amber"},  // tie among others: name order
    };
    for (const auto& r : table) {
        INFO(to_string(r.traffic));
        CHECK(choose_slot(r.traffic) == r.expected);
    }
    CHECK(choose_slot({{"prod", 100}}, {"prod", "canary"}) == "canary");
}

TEST_CASE("initial traffic is 100% when the endpoint routed nothing and else 0%") {
    CHECK(initial_traffic({}, "blue") == traffic_map{{"blue", 100}});
    CHECK(initial_traffic({{"blue", 0}}, "green") == traffic_map{{"blue", 0}, {"green", 100}});
    CHECK(initial_traffic({{"blue", 100}}, "green") == traffic_map{{"blue", 100}, {"green", 0}});
    CHECK(initial_traffic({{"blue", 70}, {"GREEN", 30}}, "green") == traffic_map{{"blue", 70}, {"GREEN", 0}});
}

TEST_CASE("promote_traffic gives the new slot its share and the old slots the rest proportionally") {
    struct row {
        traffic_map previous;
        std::string slot;
        int share;
        traffic_map expected;
    };
    const std::vector<row> table{
        {{{"blue", 100}}, "green", 30, {{"blue", 70}, {"green", 30}}},
        {{{"blue", 100}, {"green", 0}}, "green", 30, {{"blue", 70}, {"green", 30}}},
        {{{"blue", 70}, {"green", 30}}, "green", 30, {{"blue", 70}, {"green", 30}}},  // the slot's own weight is not an old share
        {{{"blue", 30}, {"green", 70}}, "blue", 30, {{"blue", 30}, {"green", 70}}},
        {{{"blue", 50}, {"green", 30}, {"red", 20}}, "red", 30, {{"blue", 44}, {"green", 26}, {"red", 30}}},  // 43.75, 26.25
        {{{"blue", 1}, {"green", 3}}, "red", 30, {{"blue", 18}, {"green", 52}, {"red", 30}}},  // 17.5 -> 18, 52.5 -> 52 (half to even)
        // 23.33 x3 rounds to 69: the missing point goes to the largest entry, here the new slot (as in the original)
        {{{"a", 1}, {"b", 1}, {"c", 1}}, "d", 30, {{"a", 23}, {"b", 23}, {"c", 23}, {"d", 31}}},
        {{}, "blue", 30, {{"blue", 100}}},                                  // nothing to share with
        {{{"blue", 0}}, "green", 30, {{"blue", 0}, {"green", 100}}},
        {{{"blue", 100}}, "green", 100, {{"blue", 0}, {"green", 100}}},
        {{{"Blue", 60}, {"GREEN", 40}}, "green", 50, {{"Blue", 50}, {"GREEN", 50}}},  // keeps the endpoint's spelling
        {{{"blue", 90}, {"green", 10}}, "green", 10, {{"blue", 90}, {"green", 10}}},
    };
    for (const auto& r : table) {
        INFO(to_string(r.previous) << " slot " << r.slot << " share " << r.share);
        const auto got = promote_traffic(r.previous, r.slot, r.share);
        INFO("got " << to_string(got));
        CHECK(total(got) == 100);
        CHECK(got == r.expected);
    }
    CHECK_THROWS_AS(promote_traffic({{"blue", 100}}, "green", 0), error);
    CHECK_THROWS_AS(promote_traffic({{"blue", 100}}, "green", 101), error);
}

TEST_CASE("normalise adjusts the largest entry") {
    traffic_map t{{"blue", 53}, {"green", 18}, {"red", 30}};
    normalise(t);
    CHECK(t == traffic_map{{"blue", 52}, {"green", 18}, {"red", 30}});
    traffic_map tie{{"blue", 35}, {"green", 35}, {"red", 29}};
    normalise(tie, "blue");
    CHECK(tie == traffic_map{{"blue", 35}, {"green", 36}, {"red", 29}});
    traffic_map empty;
    normalise(empty);
    CHECK(empty.empty());
}

TEST_CASE("drain moves the slot's share to the largest other slot and drops its mirror") {
    const endpoint_traffic before{{{"blue", 70}, {"green", 30}}, {{"green", 10}}};
    const auto d = drain(before, "blue");
    CHECK(d.traffic == traffic_map{{"blue", 0}, {"green", 100}});
    CHECK(d.mirror == traffic_map{{"green", 10}});
    const auto g = drain(before, "GREEN");
    CHECK(g.traffic == traffic_map{{"blue", 100}, {"green", 0}});
    CHECK(g.mirror.empty());
    CHECK(drain(endpoint_traffic{{{"blue", 100}, {"green", 0}}, {}}, "green") == endpoint_traffic{{{"blue", 100}, {"green", 0}}, {}});
}

TEST_CASE("validate applies Azure's rules") {
    CHECK_NOTHROW(validate({{{"blue", 70}, {"green", 30}}, {}}));
    CHECK_NOTHROW(validate({{{"blue", 0}, {"green", 0}}, {}}));
    CHECK_NOTHROW(validate({{{"blue", 100}, {"green", 0}}, {{"green", 50}}}));
    const auto message = [](const endpoint_traffic& t) {
        try {
            validate(t);
        } catch (const error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK_THAT(message({{{"blue", 70}, {"green", 20}}, {}}), Catch::Contains("sum to 100, got 90"));
    CHECK_THAT(message({{{"blue", 100}, {"green", 0}}, {{"green", 51}}}), Catch::Contains("at most 50, got 51"));
    CHECK_THAT(message({{{"blue", 130}, {"green", -30}}, {}}), Catch::Contains("0..100"));
    CHECK_THAT(message({{{"blue", 100}}, {{"red", 10}}}), Catch::Contains("'red'"));
}
