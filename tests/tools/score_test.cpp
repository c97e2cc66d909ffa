// Black-box tests of aml-score: predictions and metrics, columns matched by name, unlabeled data,
// and the errors a user can cause (missing column, corrupt model).

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/json.hpp"
#include "amlops/features/schema.hpp"
#include "../model/synthetic_taxi.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

using namespace amlops;
using amlops::test::run_tool;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> schema_columns(bool with_cost) {
    std::vector<std::string> c;
    for (auto n : features::feature_names) c.emplace_back(n);
    if (with_cost) c.emplace_back(features::target_name);
    return c;
}

// One trained model shared by every test case of the process.
struct fixture {
    test::scratch_dir dir{"tool-score"};
    fs::path model = dir / "model";
    fixture() {
        test::write_text(dir / "train/train.csv", test::synthetic_csv(1500, 1));
        auto r = run_tool("aml-train", {"--train", (dir / "train").string(), "--output", model.string(),
                                        "--n-estimators", "30", "--max-depth", "4", "--nthread", "1"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
};

fixture& shared() {
    static fixture f;
    return f;
}

test::run_result score(const fs::path& data, const fs::path& out, const fs::path& model = shared().model) {
    return run_tool("aml-score", {"--model", model.string(), "--data", data.string(), "--output", out.string()});
}

std::size_t line_count(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

}  // namespace

TEST_CASE("aml-score writes predictions and metrics that beat a mean predictor") {
    auto& f = shared();
    test::write_text(f.dir / "test/test.csv", test::synthetic_csv(500, 2));
    auto r = score(f.dir / "test", f.dir / "scored");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::string predictions = read_file(f.dir / "scored/predictions.csv");
    CHECK(predictions.rfind("actual,predicted\n", 0) == 0);
    CHECK(line_count(predictions) == 501);
    auto m = json::read_file(f.dir / "scored/metrics.json").as_object();
    CHECK(m.at("n").to_number<std::int64_t>() == 500);
    CHECK(m.at("r2").as_double() > 0.95);  // a mean predictor has R^2 = 0
    for (const char* k : {"rmse", "mae", "mape", "residual_p50", "residual_p90", "residual_p99"}) CHECK(m.contains(k));
    CHECK(m.at("residual_p50").as_double() <= m.at("residual_p90").as_double());
    auto doc = json::parse(r.out, "stdout").as_object();
    CHECK(doc.at("result").at("metrics").at("n").to_number<std::int64_t>() == 500);
}

TEST_CASE("columns are matched by name: a reordered file gives identical predictions") {
    auto& f = shared();
    auto columns = schema_columns(true);
    test::write_text(f.dir / "ordered/test.csv", test::synthetic_csv(300, 5, columns));
    std::reverse(columns.begin(), columns.end());
    test::write_text(f.dir / "reversed/test.csv", test::synthetic_csv(300, 5, columns));
    REQUIRE(score(f.dir / "ordered", f.dir / "s1").exit_code == 0);
    REQUIRE(score(f.dir / "reversed", f.dir / "s2").exit_code == 0);
    CHECK(read_file(f.dir / "s1/predictions.csv") == read_file(f.dir / "s2/predictions.csv"));
}

TEST_CASE("a missing feature column exits 2 and names the column") {
    auto& f = shared();
    auto columns = schema_columns(true);
    columns.erase(std::find(columns.begin(), columns.end(), "pickup_hour"));
    test::write_text(f.dir / "missing/test.csv", test::synthetic_csv(20, 6, columns));
    auto r = score(f.dir / "missing", f.dir / "s3");
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("pickup_hour") != std::string::npos);
    CHECK(json::parse(r.out, "stdout").at("status") == "error");
    CHECK(!fs::exists(f.dir / "s3/predictions.csv"));
}

TEST_CASE("data without the cost column gets predictions only, and the result says so") {
    auto& f = shared();
    test::write_text(f.dir / "unlabeled/data.csv", test::synthetic_csv(40, 7, schema_columns(false)));
    auto r = score(f.dir / "unlabeled", f.dir / "s4");
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::string predictions = read_file(f.dir / "s4/predictions.csv");
    CHECK(predictions.rfind("predicted\n", 0) == 0);
    CHECK(line_count(predictions) == 41);
    CHECK(!fs::exists(f.dir / "s4/metrics.json"));
    auto result = json::parse(r.out, "stdout").at("result").as_object();
    CHECK(result.at("metrics").is_null());
    CHECK(std::string(result.at("note").as_string()).find("cost") != std::string::npos);
    CHECK(r.err.find("predictions only") != std::string::npos);
}

TEST_CASE("predictions do not depend on the chunk size") {
    auto& f = shared();
    test::write_text(f.dir / "chunks/test.csv", test::synthetic_csv(250, 8));
    REQUIRE(score(f.dir / "chunks", f.dir / "c1").exit_code == 0);
    auto r = run_tool("aml-score", {"--model", f.model.string(), "--data", (f.dir / "chunks").string(), "--output",
                                    (f.dir / "c2").string(), "--chunk-rows", "7"});
    REQUIRE(r.exit_code == 0);
    CHECK(read_file(f.dir / "c1/predictions.csv") == read_file(f.dir / "c2/predictions.csv"));
}

TEST_CASE("a corrupt model file exits 2 with a clear message") {
    auto& f = shared();
    fs::path broken = f.dir / "broken";
    fs::create_directories(broken);
    for (const auto& e : fs::directory_iterator(f.model)) fs::copy_file(e.path(), broken / e.path().filename());
    write_file_atomic(broken / "model.json", "{\"learner\": [1, 2");
    test::write_text(f.dir / "t/test.csv", test::synthetic_csv(10, 9));
    auto r = score(f.dir / "t", f.dir / "s5", broken);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("model.json") != std::string::npos);
    CHECK(r.err.find("not a valid xgboost model") != std::string::npos);

    auto none = score(f.dir / "t", f.dir / "s6", f.dir / "no-such-model");
    CHECK(none.exit_code == 2);
}
