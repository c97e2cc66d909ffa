// The payload decoder: every accepted form gives the same matrix in model column order, and every
// way a payload can be wrong gives error(bad_input) naming the problem.
#include "amlops/serve/payload.hpp"

#include "amlops/core/error.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace amlops;
using namespace amlops::serve;

namespace {

const column_set cols({"a", "b", "c"});
const std::vector<float> expected = {1, 2, 3, 4, 5, 6};

std::string message_of(const std::string& body) {
    try {
        decode_payload(body, cols);
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::bad_input);
        return e.what();
    }
    FAIL("no error for " << body);
    return {};
}

}  // namespace

TEST_CASE("every payload form decodes to the same rows in model order") {
    const std::vector<std::pair<std::string, payload_form>> cases = {
        {R"({"input_data": {"columns": ["c","a","b"], "index": [0,1], "data": [[3,1,2],[6,4,5]]}})", payload_form::input_data_split},
        {R"({"input_data": {"data": [[1,2,3],[4,5,6]]}})", payload_form::input_data_split},
        {R"({"input_data": [[1,2,3],[4,5,6]]})", payload_form::input_data_list},
        {R"({"data": [[1,2,3],[4.0,5,6]]})", payload_form::data},
        {R"({"dataframe_split": {"columns": ["b","a","c","extra"], "data": [[2,1,3,"x"],[5,4,6,null]]}})", payload_form::dataframe_split},
        {R"({"dataframe_records": [{"a":1,"b":2,"c":3},{"c":6,"b":5,"a":4,"zzz":"ignored"}]})", payload_form::dataframe_records},
        {R"({"instances": [{"a":1,"b":2,"c":3},{"a":4,"b":5,"c":6}]})", payload_form::instances},
        {R"({"instances": [[1,2,3],[4,5,6]]})", payload_form::instances},
        {R"({"inputs": {"a": [1,4], "b": [2,5], "c": [3,6]}})", payload_form::inputs},
        {R"({"inputs": [[1,2,3],[4,5,6]], "params": {"k": 1}})", payload_form::inputs},
    };
    for (const auto& [body, form] : cases) {
        INFO(body);
        auto d = decode_payload(body, cols);
        CHECK(d.rows == 2);
        CHECK(d.values == expected);
        CHECK(d.form == form);
    }
}

TEST_CASE("key order, ignored keys and a reused buffer do not change the rows") {
    // The dense forms take a streaming path, everything else a DOM path: both must agree whatever
    // the key order or the extra keys around the payload.
    const std::vector<std::string> bodies = {
        R"({"params": {"nested": [1, {"x": [2]}], "s": "t"}, "input_data": {"index": [[0], {"i": 1}], "columns": ["c","a","b"], "data": [[3,1,2],[6,4,5]]}})",
        R"({"input_data": {"data": [[3,1,2],[6,4,5]], "index": [0,1], "columns": ["c","a","b"]}, "params": null})",
        R"({"dataframe_split": {"columns": ["b","zz","a","c"], "data": [[2,[9],1,3],[5,{"y":1},4,6]]}})",
        R"({"data": [[1,2,3],[4,5,6]], "params": [true, false, "x"]})",
    };
    decoded_rows reused;
    decode_payload(R"({"data": [[9,9,9],[9,9,9],[9,9,9]]})", cols, reused);
    for (const auto& body : bodies) {
        INFO(body);
        decode_payload(body, cols, reused);
        CHECK(reused.rows == 2);
        CHECK(reused.values == expected);
    }
}

TEST_CASE("null is a missing value and an empty row list is valid") {
    auto d = decode_payload(R"({"data": [[1,null,3]]})", cols);
    REQUIRE(d.rows == 1);
    CHECK(std::isnan(d.values[1]));
    CHECK(decode_payload(R"({"data": []})", cols).rows == 0);
    CHECK(decode_payload(R"({"inputs": {"a": 1, "b": 2, "c": 3}})", cols).rows == 1);
}

TEST_CASE("bad payloads are rejected with a message naming the problem") {
    CHECK_THAT(message_of("{\"data\": [[1,2,3]"), Catch::Contains("malformed JSON at byte"));
    CHECK_THAT(message_of("[1,2]"), Catch::Contains("must be a JSON object"));
    CHECK_THAT(message_of(R"({"rows": []})"), Catch::Contains("none of the keys input_data"));
    CHECK_THAT(message_of(R"({"data": [], "inputs": []})"), Catch::Contains("both"));
    CHECK_THAT(message_of(R"({"input_data": {"columns": ["a","b"], "data": [[1,2]]}})"), Catch::Contains("missing column 'c'"));
    CHECK_THAT(message_of(R"({"dataframe_records": [{"a":1,"b":2}]})"), Catch::Contains("row 0: missing column 'c'"));
    CHECK_THAT(message_of(R"({"data": [[1,2,3],[1,2]]})"), Catch::Contains("row 1 has 2 values, expected 3"));
    CHECK_THAT(message_of(R"({"data": [[1,"2",3]]})"), Catch::Contains("row 0, column 'b': expected a number or null, got a string"));
    CHECK_THAT(message_of(R"({"data": [[1,true,3]]})"), Catch::Contains("got a boolean"));
    CHECK_THAT(message_of(R"({"input_data": {"columns": ["a","a","b","c"], "data": [[1,1,2,3]]}})"), Catch::Contains("appears twice"));
    CHECK_THAT(message_of(R"({"inputs": {"a": [1,2], "b": [1], "c": [1,2]}})"), Catch::Contains("column 'b' in inputs has 1 values, expected 2"));
    CHECK_THAT(message_of(R"({"data": 5})"), Catch::Contains("data must be an array"));
    CHECK_THAT(message_of(R"({"input_data": {"columns": ["a"]}})"), Catch::Contains("has no \"data\""));
    CHECK_THAT(message_of(std::string(100, '[') + std::string(100, ']')), Catch::Contains("malformed JSON"));
}

TEST_CASE("a model with duplicate column names is refused") {
    CHECK_THROWS_AS(column_set({"a", "a"}), error);
}
