// The smoke sample (first rows, target removed), its payload, and how a response is judged.
#include "amlops/deploy/smoke.hpp"

#include "amlops/core/error.hpp"
#include "test_support.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

using namespace amlops;
using namespace amlops::deploy;

namespace {

std::string csv_with_rows(int n) {
    std::string text = "distance,cost,vendor\n";
    for (int i = 0; i < n; ++i) text += std::to_string(i) + ".5," + std::to_string(10 + i) + "," + std::to_string(i % 2 + 1) + "\n";
    return text;
}

}  // namespace

TEST_CASE("the smoke sample is the first 10 rows without cost sent in the input_data form") {
    test::scratch_dir dir("deploy-smoke");
    test::write_text(dir / "test.csv", csv_with_rows(25));
    const auto s = load_smoke_sample(dir.path());  // a folder works like uri_folder
    CHECK(s.columns == std::vector<std::string>{"distance", "vendor"});
    REQUIRE(s.rows.size() == 10);
    CHECK(s.rows[3] == std::vector<double>{3.5, 2});
    CHECK(s.target.size() == 10);
    CHECK(s.target[9] == 19);
    const auto body = boost::json::parse(smoke_payload(s)).as_object();
    const auto& input = body.at("input_data").as_object();
    CHECK(input.at("columns").as_array().size() == 2);
    CHECK(input.at("data").as_array().size() == 10);
    CHECK_THAT(smoke_payload(s), Catch::Contains("[3.5,2]"));  // shortest numbers: integers stay integers
}

TEST_CASE("fewer rows than 10 are fine but no rows and bad cells are errors naming the place") {
    test::scratch_dir dir("deploy-smoke-bad");
    test::write_text(dir / "few.csv", csv_with_rows(3));
    CHECK(load_smoke_sample(dir / "few.csv").rows.size() == 3);
    test::write_text(dir / "empty.csv", "distance,cost\n");
    CHECK_THROWS_WITH(load_smoke_sample(dir / "empty.csv"), Catch::Contains("no data rows"));
    test::write_text(dir / "bad.csv", "distance,cost\n1.5,3\nabc,4\n");
    try {
        load_smoke_sample(dir / "bad.csv");
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::bad_input);
        CHECK(e.context().line == 3u);
        CHECK(e.context().field == "distance");
    }
    CHECK_THROWS_AS(load_smoke_sample(dir / "missing.csv"), error);
}

TEST_CASE("evaluate_smoke checks status and shape and finiteness and the RMSE bound") {
    smoke_sample s;
    s.columns = {"x"};
    s.rows = {{1}, {2}};
    s.target = {10, 20};
    CHECK(evaluate_smoke(s, 200, "[10, 20]", std::nullopt).passed);
    CHECK(evaluate_smoke(s, 200, R"({"predictions": [10, 20]})", std::nullopt).passed);
    const auto ok = evaluate_smoke(s, 200, "[11, 21]", 1.0);
    CHECK(ok.passed);
    CHECK(ok.rmse == Approx(1.0));
    const auto over = evaluate_smoke(s, 200, "[13, 23]", 2.0);
    CHECK_FALSE(over.passed);
    CHECK_THAT(over.reason, Catch::Contains("exceeds the bound"));
    CHECK_THAT(evaluate_smoke(s, 500, R"({"error":{}})", std::nullopt).reason, Catch::Contains("HTTP 500"));
    CHECK_THAT(evaluate_smoke(s, 200, "[1]", std::nullopt).reason, Catch::Contains("expected 2 predictions, got 1"));
    CHECK_THAT(evaluate_smoke(s, 200, "not json", std::nullopt).reason, Catch::Contains("not JSON"));
    CHECK_THAT(evaluate_smoke(s, 200, R"([1, "x"])", std::nullopt).reason, Catch::Contains("not a number"));
    s.target.clear();
    CHECK_FALSE(evaluate_smoke(s, 200, "[1, 2]", 5.0).passed);  // a bound without the target cannot pass
    CHECK(evaluate_smoke(s, 200, "[1, 2]", std::nullopt).passed);
}

TEST_CASE("evaluate_smoke takes a classifier's labels, all of one kind, and refuses an RMSE bound on them") {
    smoke_sample s;
    s.columns = {"x"};
    s.rows = {{1}, {2}};
    s.target = {10, 20};
    const auto labels = evaluate_smoke(s, 200, R"(["A", "C"])", std::nullopt);
    CHECK(labels.passed);
    CHECK(labels.labels == std::vector<std::string>{"A", "C"});
    CHECK(labels.predictions.empty());
    CHECK_FALSE(labels.rmse);
    CHECK(labels.to_json().at("predictions") == boost::json::array{"A", "C"});
    CHECK(evaluate_smoke(s, 200, R"({"predictions": ["B", "B"]})", std::nullopt).passed);
    CHECK_THAT(evaluate_smoke(s, 200, R"(["A", 3])", std::nullopt).reason, Catch::Contains("not a non-empty string"));
    CHECK_THAT(evaluate_smoke(s, 200, R"(["A", ""])", std::nullopt).reason, Catch::Contains("not a non-empty string"));
    const auto bounded = evaluate_smoke(s, 200, R"(["A", "C"])", 5.0);
    CHECK_FALSE(bounded.passed);
    CHECK_THAT(bounded.reason, Catch::Contains("class labels"));
}
