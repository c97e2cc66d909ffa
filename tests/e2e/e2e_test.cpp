// The taxi-fare workflow end to end through the built tools, as the pipeline and CI call them:
// datagen -> transform -> train -> score -> compare, on ~50k generated rows.

#include "amlops/core/json.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace amlops;
namespace fs = std::filesystem;

namespace {

json::object result_of(const test::run_result& r) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    auto doc = json::parse(r.out, "stdout");
    REQUIRE(doc.is_object());
    return doc.get_object();
}

double number_at(const json::value& v, std::initializer_list<std::string_view> path) {
    const json::value* cur = &v;
    for (auto key : path) {
        INFO("path element " << key);
        REQUIRE(cur->is_object());
        cur = &json::require(cur->get_object(), key, "json");
    }
    return json::to_double(*cur, "value");
}

// One prepared data set shared by the test cases (building it takes a few seconds).
struct workflow {
    test::scratch_dir dir{"e2e"};
    fs::path raw = dir / "raw", prepared = dir / "prepared";

    workflow() {
        auto gen = test::run_tool("aml-datagen", {"--output", raw.string(), "--rows", "50000", "--seed", "7"});
        INFO(gen.err);
        REQUIRE(gen.exit_code == 0);
        auto tr = test::run_tool("aml-transform", {raw.string(), "--output", prepared.string()});
        INFO(tr.err);
        REQUIRE(tr.exit_code == 0);
    }

    fs::path train(const std::string& name, const std::string& depth, const std::string& trees) {
        fs::path out = dir / name;
        auto r = test::run_tool("aml-train", {"--train", (prepared / "train.csv").string(), "--output", out.string(),
                                              "--max-depth", depth, "--n-estimators", trees, "--nthread", "2"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        return out;
    }
};

}  // namespace

TEST_CASE("trained model beats a mean predictor by a wide margin on held-out rows") {
    workflow w;
    fs::path model = w.train("model", "6", "100");
    auto r = test::run_tool("aml-score", {"--model", model.string(), "--data", (w.prepared / "test.csv").string(),
                                          "--output", (w.dir / "scored").string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto metrics = json::read_file(w.dir / "scored/metrics.json");
    double r2 = number_at(metrics, {"r2"});
    double rmse = number_at(metrics, {"rmse"});
    // A mean predictor has R^2 = 0; fares are mostly explained by distance and duration.
    CHECK(r2 > 0.8);
    CHECK(rmse > 0.0);
    CHECK(fs::exists(w.dir / "scored/predictions.csv"));
}

TEST_CASE("compare approves a deeper model over a depth-1 model and rejects the reverse") {
    workflow w;
    fs::path shallow = w.train("shallow", "1", "20");
    fs::path deep = w.train("deep", "6", "100");
    fs::path policy = w.dir / "policy.yaml";
    test::write_text(policy, "primary_metric: rmse\nmin_relative_improvement: 0.0\n");
    fs::path test_set = w.prepared / "test.csv";

    auto approve = test::run_tool("aml-compare", {"--candidate", deep.string(), "--champion", shallow.string(),
                                                  "--test", test_set.string(), "--policy", policy.string(),
                                                  "--output", (w.dir / "d1").string()});
    INFO(approve.err);
    CHECK(approve.exit_code == 0);
    auto d1 = json::read_file(w.dir / "d1/decision.json");
    CHECK(d1.at("decision") == "approve");

    auto reject = test::run_tool("aml-compare", {"--candidate", shallow.string(), "--champion", deep.string(),
                                                 "--test", test_set.string(), "--policy", policy.string(),
                                                 "--output", (w.dir / "d2").string()});
    INFO(reject.err);
    CHECK(reject.exit_code == 3);
    auto d2 = json::read_file(w.dir / "d2/decision.json");
    CHECK(d2.at("decision") == "reject");
    CHECK(!d2.at("reasons").as_array().empty());
    CHECK(result_of(reject).at("status") == "rejected");
}
