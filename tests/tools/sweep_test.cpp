// Black-box tests of aml-train --sweep: a small sweep end to end (model folder plus sweep.json,
// result naming the best trial), --params reading that sweep.json, and bad sweep files.

#include "amlops/core/json.hpp"
#include "../model/synthetic_taxi.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace amlops;
using amlops::test::run_tool;
namespace fs = std::filesystem;

TEST_CASE("aml-train --sweep cross-validates the trials and retrains the best on all rows") {
    test::scratch_dir dir("tool-sweep");
    test::write_text(dir / "train.csv", test::synthetic_csv(800, 21));
    test::write_text(dir / "test.csv", test::synthetic_csv(200, 22));
    test::write_text(dir / "space.yaml",
                     "search_space:\n"
                     "  max_depth: {type: randint, upper: 4}\n"
                     "  eta: {type: loguniform, min_value: -3, max_value: -1}\n"
                     "  early_stopping_rounds: {type: choice, values: [5]}\n"
                     "sampling_algorithm: {type: random, seed: 1}\n"
                     "objective: {primary_metric: rmse, goal: minimize}\n"
                     "limits: {max_total_trials: 4, max_concurrent_trials: 2}\n"
                     "early_termination: {type: median_stopping, evaluation_interval: 10, delay_evaluation: 20}\n"
                     "cross_validation: {folds: 3}\n");
    const fs::path out = dir / "model";
    auto r = run_tool("aml-train", {"--train", (dir / "train.csv").string(), "--test", (dir / "test.csv").string(), "--sweep",
                                    (dir / "space.yaml").string(), "--n-estimators", "100", "--threads", "2", "-o", out.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto doc = json::parse(r.out, "stdout").as_object();
    CHECK(doc.at("outputs").as_object().contains("sweep"));
    const auto& summary = doc.at("result").at("sweep").as_object();
    const auto best_trial = summary.at("best_trial").as_int64();
    CHECK((best_trial >= 1 && best_trial <= 4));
    CHECK(r.err.find("cv rmse") != std::string::npos);  // the table

    auto sweep = json::read_file(out / "sweep.json").as_object();
    const auto& trials = sweep.at("trials").as_array();
    REQUIRE(trials.size() == 4);
    for (const auto& t : trials) {
        CHECK(t.at("params").as_object().contains("eta"));
        CHECK(t.at("cv_mean").as_double() > 0);
        CHECK(t.at("seconds").as_double() >= 0);
    }
    const auto& best_params = sweep.at("best").at("params").as_object();
    CHECK(best_params.at("n_estimators") == trials[static_cast<std::size_t>(best_trial - 1)].at("rounds"));
    CHECK(best_params.at("validation_fraction").as_double() == 0);
    auto metrics = json::read_file(out / "metrics.json").as_object();
    CHECK(metrics.at("trees") == best_params.at("n_estimators"));
    CHECK(metrics.at("rows").at("train").as_int64() == 800);  // all training rows
    CHECK(json::read_file(out / "manifest.json").at("inputs").as_object().contains("sweep_file"));

    // --params sweep.json: the same parameters give the same model.
    auto again = run_tool("aml-train", {"--train", (dir / "train.csv").string(), "--params", (out / "sweep.json").string(), "--threads",
                                        "2", "-o", (dir / "again").string()});
    INFO(again.err);
    REQUIRE(again.exit_code == 0);
    CHECK(test::read_text(dir / "again" / "model.json") == test::read_text(out / "model.json"));
}

TEST_CASE("aml-train --sweep with a bad sweep file exits 2 naming the file and the field, before reading data") {
    test::scratch_dir dir("tool-sweep-bad");
    test::write_text(dir / "space.yaml", "search_space:\n  eta: {type: uniform, min_value: 0.1, max_value: 3}\n"
                                         "sampling_algorithm: random\nlimits: {max_total_trials: 3}\n");
    auto r = run_tool("aml-train", {"--train", (dir / "missing.csv").string(), "--sweep", (dir / "space.yaml").string(), "-o",
                                    (dir / "model").string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("space.yaml") != std::string::npos);
    CHECK(r.err.find("search_space.eta") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "model"));
}
