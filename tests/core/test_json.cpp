#include "amlops/core/error.hpp"
#include "amlops/core/json.hpp"

#include <catch2/catch.hpp>

using namespace amlops;

TEST_CASE("pretty prints shortest round-trip doubles and keeps key order") {
    json::object o{{"b", 3.16}, {"a", 2.0}, {"n", 5}, {"list", json::array{1, 2}}};
    CHECK(json::pretty(o) == "{\n  \"b\": 3.16,\n  \"a\": 2.0,\n  \"n\": 5,\n  \"list\": [1, 2]\n}\n");
}

TEST_CASE("parse errors name the origin and the line") {
    try {
        json::parse("{\n\"a\": 1,\n\"b\": }", "policy.json");
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::bad_input);
        CHECK(e.context().file == "policy.json");
        CHECK(e.context().line == 3);
    }
}

TEST_CASE("require_number names the missing field") {
    json::object o{{"x", "text"}};
    CHECK_THROWS_WITH(json::require_number(o, "y", "f.json"), "missing required key");
    CHECK_THROWS_WITH(json::require_number(o, "x", "f.json"), "expected a number");
}
