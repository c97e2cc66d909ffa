// End to end: the real pipelines/taxi-fare-train-pipeline.yaml on small generated data, with the
// real tools and a scratch workspace (registry included).
#include "amlops/core/json.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <string>

namespace json = amlops::json;
namespace fs = std::filesystem;
using amlops::test::run_tool;
using amlops::test::scratch_dir;
using Catch::Matchers::Contains;

namespace {

const fs::path source_dir = AMLOPS_SOURCE_DIR;

std::map<std::string, std::string> statuses(const json::object& rec) {
    std::map<std::string, std::string> s;
    for (const auto& [name, j] : rec.at("jobs").as_object()) s[std::string(name)] = std::string(j.at("status").as_string());
    return s;
}

json::object read_json(const json::object& rec, const std::string& job, const std::string& output, const std::string& file) {
    const fs::path dir(std::string(rec.at("jobs").at(job).at("outputs").at(output).at("path").as_string()));
    return json::read_file(dir / file).as_object();
}

}  // namespace

TEST_CASE("the taxi-fare pipeline trains, gates, registers, reuses, and refuses a worse model") {
    scratch_dir dir("taxi-pipeline");
    const auto raw = dir / "raw";
    REQUIRE(run_tool("aml-datagen", {"--output", raw.string(), "--rows", "4000", "--seed", "7"}).exit_code == 0);
    // A lenient gate: this test is about the pipeline, not about how good a 4,000-row model is.
    amlops::test::write_text(dir / "gate.yaml", "primary_metric: rmse\nmin_relative_improvement: 0.0\nmax_rmse: 1000\n");
    const auto yaml = (source_dir / "pipelines/taxi-fare-train-pipeline.yaml").string();
    const std::vector<std::string> base{yaml,
                                        "--workspace", (dir / "ws").string(),
                                        "--set", "inputs.raw_data.path=" + raw.string(),
                                        "--set", "inputs.gate_policy.path=" + (dir / "gate.yaml").string(),
                                        "--set", "jobs.train.inputs.n_estimators=40"};
    auto run = [&](std::vector<std::string> extra = {}) {
        auto args = base;
        args.insert(args.end(), extra.begin(), extra.end());
        const auto r = run_tool("aml-pipeline", args);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        return json::parse(r.out, "stdout").as_object().at("result").as_object();
    };

    // First run: everything runs; no champion yet, so the absolute limits decide; registered.
    const auto first = run();
    CHECK(statuses(first) == std::map<std::string, std::string>{{"transform", "completed"}, {"train", "completed"},
                                                                {"fetch_champion", "completed"}, {"compare", "completed"},
                                                                {"register", "completed"}, {"score", "completed"}});
    CHECK(read_json(first, "compare", "decision", "decision.json").at("decision").as_string() == "approve");
    const auto registered = read_json(first, "register", "registration", "registered.json");
    CHECK(registered.at("registered").as_bool());
    CHECK_THAT(std::string(registered.at("uri").as_string()), Contains("azureml://registries/dev/models/taxi-fare/versions/1"));
    CHECK(first.at("jobs").at("train").at("metrics").is_object());
    CHECK(first.at("jobs").at("score").at("metrics").at("rmse").is_double());

    // Second run, nothing changed: every step is reused, nothing is registered again.
    const auto second = run();
    CHECK(second.at("summary").at("reused").as_int64() == 6);

    // A worse candidate (depth-1 stumps) is compared with the champion, rejected, not registered.
    const auto worse = run({"--set", "jobs.train.inputs.max_depth=1", "--set", "jobs.train.inputs.n_estimators=2"});
    const auto s = statuses(worse);
    CHECK(s.at("transform") == "reused");
    CHECK(s.at("train") == "completed");
    CHECK(s.at("compare") == "completed");
    CHECK(s.at("register") == "completed");
    const auto decision = read_json(worse, "compare", "decision", "decision.json");
    CHECK(decision.at("decision").as_string() == "reject");
    CHECK_FALSE(decision.at("champion").is_null());
    CHECK_FALSE(read_json(worse, "register", "registration", "registered.json").at("registered").as_bool());
    const auto versions = run_tool("aml-register", {"list", "--registry", "dev", "--name", "taxi-fare", "--home", (dir / "ws").string()});
    CHECK_THAT(versions.out, Contains("versions/1"));
    CHECK_THAT(versions.out, !Contains("versions/2"));

    // The single-step command job merges the raw files.
    const auto merge = run_tool("aml-pipeline", {(source_dir / "pipelines/single-step-merge-job.yaml").string(), "--workspace",
                                                 (dir / "ws").string(), "--set", "inputs.raw_data.path=" + raw.string()});
    REQUIRE(merge.exit_code == 0);
    const auto rec = json::parse(merge.out, "stdout").as_object().at("result").as_object();
    const fs::path merged(std::string(rec.at("jobs").at("main").at("outputs").at("merged_data").at("path").as_string()));
    CHECK(fs::file_size(merged / "train.csv") > 1000);
}
