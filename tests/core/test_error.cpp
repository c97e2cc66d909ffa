#include "amlops/core/error.hpp"

#include <catch2/catch.hpp>

using namespace amlops;

TEST_CASE("error kinds map to the documented exit codes") {
    CHECK(exit_code_for(error_kind::usage) == 2);
    CHECK(exit_code_for(error_kind::bad_input) == 2);
    CHECK(exit_code_for(error_kind::config) == 2);
    CHECK(exit_code_for(error_kind::not_found) == 2);
    CHECK(exit_code_for(error_kind::io) == 1);
    CHECK(exit_code_for(error_kind::network) == 1);
    CHECK(exit_code_for(error_kind::internal) == 1);
    CHECK(exit_code_for(error_kind::rejected) == 3);
}

TEST_CASE("error describe() names file, line and field") {
    error e = error(error_kind::bad_input, "not a number").in_file("a.csv").at_line(7).on_field("cost");
    CHECK(e.describe() == "a.csv:7: field 'cost': not a number");
    CHECK(e.exit_code() == 2);
    CHECK(to_string(e.kind()) == "bad_input");
}
