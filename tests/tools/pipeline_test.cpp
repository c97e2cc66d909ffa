// Black-box tests of aml-pipeline: exit codes, the JSON result, error text naming file and key
// path, progress on stderr, PATH for component commands, and the list/show verbs.
#include "amlops/core/json.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

namespace json = amlops::json;
namespace fs = std::filesystem;
using amlops::test::run_tool;
using amlops::test::scratch_dir;
using amlops::test::write_text;
using Catch::Matchers::Contains;

namespace {

constexpr const char* component = R"yaml(name: greet
environment: azureml:local:1
inputs:
  who: {type: string, default: world}
  times: {type: integer, default: 1, min: 1, max: 3}
outputs:
  out: {type: uri_folder}
command: >-
  echo "hello ${{inputs.who}} x${{inputs.times}}" > ${{outputs.out}}/greeting.txt &&
  aml-pipeline --version > ${{outputs.out}}/version.txt
)yaml";

constexpr const char* pipeline = R"yaml($schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
inputs:
  who: taxi
jobs:
  greet:
    component: ./greet.yaml
    inputs:
      who: ${{parent.inputs.who}}
  again:
    component: ./greet.yaml
    inputs:
      who: again
      times: 2
)yaml";

struct project {
    scratch_dir dir{"tool-pipeline"};
    project() {
        write_text(dir / "greet.yaml", component);
        write_text(dir / "p.yaml", pipeline);
    }
    std::string ws() const { return (dir / "ws").string(); }
    std::string file() const { return (dir / "p.yaml").string(); }
};

json::object result_of(const amlops::test::run_result& r) {
    return json::parse(r.out, "stdout").as_object();
}

}  // namespace

TEST_CASE("aml-pipeline --help lists the verbs") {
    const auto r = run_tool("aml-pipeline", {"--help"});
    CHECK(r.exit_code == 0);
    for (const char* verb : {"run (default)", "validate", "list", "show"}) CHECK_THAT(r.out, Contains(verb));
}

TEST_CASE("aml-pipeline runs a pipeline, reports progress, and reuses every step the second time") {
    project p;
    auto r = run_tool("aml-pipeline", {p.file(), "--workspace", p.ws()});
    REQUIRE(r.exit_code == 0);
    auto doc = result_of(r);
    CHECK(doc.at("status").as_string() == "ok");
    const auto& rec = doc.at("result").as_object();
    CHECK(rec.at("status").as_string() == "completed");
    const fs::path out(std::string(rec.at("jobs").at("greet").at("outputs").at("out").at("path").as_string()));
    CHECK(amlops::test::read_text(out / "greeting.txt") == "hello taxi x1\n");
    // Component commands find the amlops tools next to aml-pipeline on PATH.
    CHECK_THAT(amlops::test::read_text(out / "version.txt"), Contains("aml-pipeline"));
    CHECK_THAT(r.err, Contains("[greet] started: echo \"hello taxi x1\""));
    CHECK_THAT(r.err, Contains("[greet] completed in"));
    CHECK_THAT(r.err, Contains("completed in"));

    r = run_tool("aml-pipeline", {"run", p.file(), "--workspace", p.ws()});
    REQUIRE(r.exit_code == 0);
    CHECK(result_of(r).at("result").at("summary").at("reused").as_int64() == 2);
    CHECK_THAT(r.err, Contains("[greet] reused (from run " + std::string(rec.at("run_id").as_string()) + ")"));
    CHECK_THAT(r.err, Contains("(2 reused)"));

    // list: newest first; show: the run record, "latest" by default.
    r = run_tool("aml-pipeline", {"list", "--workspace", p.ws()});
    REQUIRE(r.exit_code == 0);
    const auto runs = result_of(r).at("result").at("runs").as_array();
    REQUIRE(runs.size() == 2);
    const auto newest = std::string(runs[0].at("run_id").as_string());
    CHECK(runs[1].at("run_id").as_string() == rec.at("run_id").as_string());
    r = run_tool("aml-pipeline", {"show", "--workspace", p.ws()});
    REQUIRE(r.exit_code == 0);
    CHECK(result_of(r).at("result").at("run_id").as_string() == newest);
    r = run_tool("aml-pipeline", {"show", std::string(rec.at("run_id").as_string()), "--workspace", p.ws()});
    CHECK(result_of(r).at("result").at("jobs").at("again").at("status").as_string() == "completed");
    r = run_tool("aml-pipeline", {"show", "no-such-run", "--workspace", p.ws()});
    CHECK(r.exit_code == 2);
}

TEST_CASE("aml-pipeline uses $AMLOPS_HOME as the workspace by default") {
    project p;
    const auto r = run_tool("aml-pipeline", {p.file()}, {"AMLOPS_HOME=" + p.ws()});
    REQUIRE(r.exit_code == 0);
    CHECK(fs::exists(fs::path(p.ws()) / "runs" / std::string(result_of(r).at("result").at("run_id").as_string()) / "run.json"));
}

TEST_CASE("validation errors exit 2 naming the file and the key path") {
    project p;
    auto r = run_tool("aml-pipeline", {p.file(), "--workspace", p.ws(), "--set", "jobs.again.inputs.times=7"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains(p.file() + ": field 'jobs.again.inputs.times': value 7 of input 'times' is above the maximum 3"));
    const auto err = result_of(r).at("error").as_object();
    CHECK(err.at("file").as_string() == p.file());
    CHECK(err.at("field").as_string() == "jobs.again.inputs.times");
    CHECK_FALSE(err.contains("line"));  // the value came from --set, not from a line of the file
    CHECK_FALSE(fs::exists(fs::path(p.ws()) / "runs"));

    write_text(p.dir / "bad.yaml", "type: pipeline\njobs:\n  a:\n   component: ./greet.yaml\n  inputs: [\n");
    r = run_tool("aml-pipeline", {"validate", (p.dir / "bad.yaml").string()});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains((p.dir / "bad.yaml").string() + ":"));
    CHECK_THAT(r.err, Contains("invalid YAML"));

    r = run_tool("aml-pipeline", {"validate", p.file(), "--set", "jobs.greet.inputs.who=${{parent.jobs.ghost.outputs.out}}"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("field 'jobs.greet.inputs.who': unknown job 'ghost'"));
}

TEST_CASE("keys without local meaning are warned about, and refused with --strict") {
    project p;
    write_text(p.dir / "s.yaml", std::string(pipeline) + "settings:\n  default_compute: azureml:cpu-cluster\n");
    auto r = run_tool("aml-pipeline", {"validate", (p.dir / "s.yaml").string()});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.err, Contains("warning: settings.default_compute=azureml:cpu-cluster ignored: no effect locally"));
    CHECK(result_of(r).at("result").at("ignored").at(0).at("key").as_string() == "settings.default_compute");
    r = run_tool("aml-pipeline", {"validate", (p.dir / "s.yaml").string(), "--strict"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Contains("field 'settings.default_compute'"));
}

TEST_CASE("dry runs (--dry-run, validate) print the resolved commands and run nothing") {
    project p;
    for (const std::vector<std::string>& args : {std::vector<std::string>{"run", p.file(), "--dry-run", "--set", "inputs.who=cli"},
                                                 std::vector<std::string>{"validate", p.file(), "--set", "inputs.who=cli"}}) {
        auto all = args;
        all.insert(all.end(), {"--workspace", p.ws()});
        const auto r = run_tool("aml-pipeline", all);
        REQUIRE(r.exit_code == 0);
        const auto rec = result_of(r).at("result").as_object();
        CHECK(rec.at("status").as_string() == "dry_run");
        CHECK_THAT(std::string(rec.at("jobs").at("greet").at("command").as_string()), Contains("echo \"hello cli x1\""));
        CHECK(rec.at("overrides").as_array().size() == 1);
        CHECK_THAT(r.err, Contains("[greet] would run: echo \"hello cli x1\""));
        CHECK_FALSE(fs::exists(p.ws()));
    }
}

TEST_CASE("a failing step exits 1 naming its log, a step that says no (exit 3) exits 3") {
    project p;
    write_text(p.dir / "f.yaml", R"yaml(type: pipeline
inputs:
  code: 1
jobs:
  check:
    command: echo "no good" >&2; exit ${{inputs.code}}
    environment: azureml:local:1
    inputs:
      code: ${{parent.inputs.code}}
)yaml");
    auto r = run_tool("aml-pipeline", {(p.dir / "f.yaml").string(), "--workspace", p.ws()});
    CHECK(r.exit_code == 1);
    auto err = result_of(r).at("error").as_object();
    CHECK_THAT(std::string(err.at("message").as_string()), Contains("check (failed, exit code 1)"));
    CHECK_THAT(std::string(err.at("file").as_string()), Contains("/check/stderr.log"));
    CHECK_THAT(r.err, Contains("[check] failed"));
    r = run_tool("aml-pipeline", {(p.dir / "f.yaml").string(), "--workspace", p.ws(), "--set", "inputs.code=3"});
    CHECK(r.exit_code == 3);
    CHECK(result_of(r).at("status").as_string() == "rejected");
    CHECK(result_of(r).at("tool").as_string() == "aml-pipeline run");  // the default verb, not typed
    CHECK_THAT(std::string(result_of(r).at("result").at("reasons").as_array().at(0).as_string()), Contains("check"));
    // The record is still written and shows the failure.
    r = run_tool("aml-pipeline", {"show", "latest", "--workspace", p.ws()});
    CHECK(result_of(r).at("result").at("jobs").at("check").at("exit_code").as_int64() == 3);
}
