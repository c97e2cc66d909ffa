// aml-pipeline submit|status|wait|logs|cancel against the emulator's Azure ML jobs: the shipped
// training pipeline completes with the same model as `aml-pipeline run`, an unchanged re-submit
// uploads nothing, code folders become code versions once, a gate step's exit 3 is exit 3, and
// cancel stops a running job. The request bodies the emulator stored are checked against the
// shapes Azure ML documents for pipeline jobs (jobs map, node inputs/outputs, settings), which
// Prism cannot check (free-form in the spec).
#include "emulator.hpp"
#include "emulator_clients.hpp"

#include "amlops/arm/resource_id.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace amlops;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

const std::string secret = "submit-Secret-Value-987";
const fs::path source_dir = AMLOPS_SOURCE_DIR;

struct workspace_fixture {
    emulator::emulator emu{[] {
        emulator::options o;
        o.client_secret = secret;
        return o;
    }()};
    arm::client arm_c = test::emulator_arm_client(emu, test::emulator_credential(emu, secret));
    arm::resource_id ws = arm::workspace_id("sub-1", "rg-ml", "ws-ml");
    std::string ws_uri = "azureml://subscriptions/sub-1/resourceGroups/rg-ml/workspaces/ws-ml";

    workspace_fixture() {
        arm_c.put(arm::resource_group_id("sub-1", "rg-ml"), json::object{{"location", "westeurope"}});
        arm_c.put(ws, json::object{{"location", "westeurope"}});
        arm_c.put(ws.child("computes", "cpu-cluster"),
                  json::object{{"location", "westeurope"}, {"properties", json::object{{"computeType", "AmlCompute"}}}});
        arm_c.put(ws.child("environments", "amlops-cpp").child("versions", "1"),
                  json::object{{"properties", json::object{{"image", "amlops.azurecr.io/amlops-cpp:1"}}}});
    }
    std::vector<std::string> env() const {
        return {"AZURE_TENANT_ID=emulator-tenant", "AZURE_CLIENT_ID=emulator-client", "AZURE_CLIENT_SECRET=" + secret,
                "AZURE_AUTHORITY_HOST=" + emu.base_url() + "/", "AZURE_RESOURCE_MANAGER_ENDPOINT=" + emu.base_url() + "/",
                "AMLOPS_AML_WORKSPACE=" + ws_uri, "OMP_WAIT_POLICY=PASSIVE"};
    }
    test::run_result tool(std::vector<std::string> args) const {
        args.insert(args.end(), {"--blob-endpoint", emu.workspace_blob_endpoint(), "--poll-seconds", "0.2"});
        return test::run_tool("aml-pipeline", args, env());
    }
    json::object job(const std::string& name) { return arm_c.get(ws.child("jobs", name)).as_object(); }
};

json::object result_of(const test::run_result& r) {
    INFO(r.out << r.err);
    return json::parse(r.out, "stdout").as_object().at("result").as_object();
}

std::string text(const json::value& v) { return std::string(v.as_string()); }

}  // namespace

TEST_CASE("submit: the training pipeline completes on the emulator with the results of `run`, an unchanged re-submit uploads nothing") {
    workspace_fixture f;
    test::scratch_dir dir("submit-taxi");
    REQUIRE(test::run_tool("aml-datagen", {"--output", (dir / "raw").string(), "--rows", "3000", "--seed", "7"}).exit_code == 0);
    test::write_text(dir / "gate.yaml", "primary_metric: rmse\nmin_relative_improvement: 0.0\nmax_rmse: 1000\n");
    const auto yaml = (source_dir / "pipelines/taxi-fare-train-pipeline.yaml").string();
    const std::vector<std::string> sets{"--set", "inputs.raw_data.path=" + (dir / "raw").string(), "--set",
                                        "inputs.gate_policy.path=" + (dir / "gate.yaml").string(), "--set",
                                        "jobs.train.inputs.n_estimators=30", "--set", "jobs.train.inputs.nthread=1"};

    std::vector<std::string> local_args{"run", yaml, "--workspace", (dir / "local").string()};
    local_args.insert(local_args.end(), sets.begin(), sets.end());
    const auto local = test::run_tool("aml-pipeline", local_args);
    INFO(local.err);
    REQUIRE(local.exit_code == 0);
    const auto local_rec = result_of(local);

    std::vector<std::string> submit_args{"submit", yaml, "--wait"};
    submit_args.insert(submit_args.end(), sets.begin(), sets.end());
    const auto before = f.emu.snapshot().requests;
    const auto first = f.tool(submit_args);
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    const auto r1 = result_of(first);
    CHECK(r1.at("outcome").at("status") == "Completed");
    for (const auto& [step, s] : r1.at("outcome").at("steps").as_object()) CHECK(s.at("status") == "Completed");
    CHECK(r1.at("outcome").at("steps").as_object().size() == 6);
    CHECK(r1.at("uploads").at("data_inputs_uploaded").as_int64() == 3);
    CHECK(r1.at("uploads").at("files").as_int64() >= 4);
    CHECK(f.emu.snapshot().requests - before > 0);

    // Same model bytes and the same gate decision as the local run.
    const auto name = text(r1.at("name"));
    const fs::path local_model(text(local_rec.at("jobs").at("train").at("outputs").at("model_output").at("path")));
    const auto remote_model = f.emu.blob("emustorage/azureml-blobstore-ws-ml/azureml/" + name + "/model/model.json");
    REQUIRE(remote_model);
    CHECK(*remote_model == test::read_text(local_model / "model.json"));
    const fs::path local_decision(text(local_rec.at("jobs").at("compare").at("outputs").at("decision").at("path")));
    const auto remote_decision = f.emu.blob("emustorage/azureml-blobstore-ws-ml/azureml/" + name + "/decision/decision.json");
    REQUIRE(remote_decision);
    CHECK(json::parse(*remote_decision, "decision").at("decision") ==
          json::read_file(local_decision / "decision.json").at("decision"));

    // `download` brings the job's model back (List Blobs + Get Blob with the datastore's SAS),
    // the same files as the local run's model folder and each the bytes the job stored, so the
    // CI can register it on the runner.
    const auto model_dir = dir / "downloaded-model";
    const auto got = f.tool({"download", name, "--output-name", "model", "--output", model_dir.string()});
    INFO(got.err);
    REQUIRE(got.exit_code == 0);
    std::int64_t local_files = 0;
    for (const auto& e : fs::recursive_directory_iterator(local_model)) {
        if (!e.is_regular_file()) continue;
        ++local_files;
        const auto rel = fs::relative(e.path(), local_model).generic_string();
        const auto stored = f.emu.blob("emustorage/azureml-blobstore-ws-ml/azureml/" + name + "/model/" + rel);
        REQUIRE(stored);
        CHECK(test::read_text(model_dir / rel) == *stored);
    }
    CHECK(result_of(got).at("outputs").at("model").at("files").as_int64() == local_files);
    CHECK(test::read_text(model_dir / "model.json") == test::read_text(local_model / "model.json"));
    const auto every = f.tool({"download", name, "--all", "--output", (dir / "all").string()});
    INFO(every.err);
    REQUIRE(every.exit_code == 0);
    CHECK(fs::exists(dir / "all" / "decision" / "decision.json"));
    CHECK(fs::exists(dir / "all" / "model" / "MLmodel"));
    const auto unknown = f.tool({"download", name, "--output-name", "nope", "--output", (dir / "nope").string()});
    CHECK(unknown.exit_code == 2);  // not_found: a name the job does not have
    CHECK_THAT(unknown.err, Contains("nope"));
    CHECK_FALSE(fs::exists(dir / "nope"));
    CHECK(f.tool({"download", name, "--output", (dir / "x").string()}).exit_code == 2);

    // What was PUT has the documented shapes of the free-form parts.
    const auto job = f.job(name);
    const auto& p = job.at("properties").as_object();
    CHECK(p.at("jobType") == "Pipeline");
    CHECK(text(p.at("computeId")) == f.ws.child("computes", "cpu-cluster").str());
    CHECK(p.at("settings").at("continue_on_step_failure") == false);
    CHECK(p.at("settings").at("_source") == "YAML.JOB");
    CHECK(p.at("inputs").at("registry") == json::object{{"jobInputType", "literal"}, {"value", "dev"}});
    CHECK(p.at("inputs").at("raw_data").at("jobInputType") == "uri_folder");
    CHECK_THAT(text(p.at("inputs").at("raw_data").at("uri")), StartsWith("azureml://datastores/workspaceblobstore/paths/LocalUpload/"));
    CHECK(p.at("outputs").at("model").at("jobOutputType") == "mlflow_model");
    const auto& train = p.at("jobs").at("train").as_object();
    CHECK(train.at("type") == "command");
    CHECK(train.at("inputs").at("train_data") ==
          json::object{{"job_input_type", "literal"}, {"value", "${{parent.jobs.transform.outputs.train_data}}"}});
    CHECK(train.at("outputs").at("model_output").at("value") == "${{parent.outputs.model}}");
    const auto component = f.arm_c.get(arm::parse_resource_id(text(train.at("componentId")))).as_object();
    const auto& spec = component.at("properties").at("componentSpec").as_object();
    CHECK(spec.at("name") == "train_taxi_model");
    CHECK_THAT(text(spec.at("command")), Contains("aml-train"));
    CHECK(text(spec.at("environment")) == "azureml:" + f.ws.child("environments", "amlops-cpp").child("versions", "1").str());

    // status and logs of the finished job.
    const auto status = f.tool({"status", name});
    CHECK(result_of(status).at("status") == "Completed");
    const auto logs = f.tool({"logs", name});
    REQUIRE(logs.exit_code == 0);
    CHECK_THAT(text(result_of(logs).at("steps").at("fetch_champion").at("log")), Contains("champion for the candidate"));

    // Unchanged re-submit: nothing uploaded, every data input found by its hash.
    std::vector<std::string> again{"submit", yaml};
    again.insert(again.end(), sets.begin(), sets.end());
    const auto second = f.tool(again);
    INFO(second.err);
    REQUIRE(second.exit_code == 0);
    const auto r2 = result_of(second);
    CHECK(r2.at("uploads").at("files").as_int64() == 0);
    CHECK(r2.at("uploads").at("data_inputs_reused").as_int64() == 3);
    CHECK(f.tool({"wait", text(r2.at("name"))}).exit_code == 0);

    // The repo's command job runs on both, unchanged, too.
    const auto merge = f.tool({"submit", (source_dir / "pipelines/single-step-merge-job.yaml").string(), "--wait", "--set",
                               "inputs.raw_data.path=" + (dir / "raw").string()});
    INFO(merge.err);
    CHECK(merge.exit_code == 0);
    const auto merged = f.job(text(result_of(merge).at("name")));
    CHECK(text(merged.at("properties").at("computeId")) == f.ws.child("computes", "cpu-cluster").str());
}

TEST_CASE("submit: the integration compare pipeline the CI workflow submits completes on the emulator as it does locally") {
    workspace_fixture f;
    test::scratch_dir dir("submit-integration");
    REQUIRE(test::run_tool("aml-datagen", {"--output", (dir / "raw").string(), "--rows", "2000", "--seed", "11"}).exit_code == 0);
    const auto yaml = (source_dir / "pipelines/integration-compare-pipeline.yaml").string();
    const std::vector<std::string> sets{"--set", "inputs.raw_data.path=" + (dir / "raw").string(), "--set",
                                        "jobs.train.inputs.n_estimators=20", "--set", "jobs.train.inputs.nthread=1"};
    std::vector<std::string> local_args{"run", yaml, "--workspace", (dir / "local").string()};
    local_args.insert(local_args.end(), sets.begin(), sets.end());
    const auto local = test::run_tool("aml-pipeline", local_args);
    INFO(local.err);
    REQUIRE(local.exit_code == 0);
    const auto local_rec = result_of(local);

    std::vector<std::string> submit_args{"submit", yaml, "--wait"};
    submit_args.insert(submit_args.end(), sets.begin(), sets.end());
    const auto submitted = f.tool(submit_args);
    INFO(submitted.err);
    REQUIRE(submitted.exit_code == 0);
    const auto r = result_of(submitted);
    CHECK(r.at("outcome").at("status") == "Completed");
    for (const auto& [step, s] : r.at("outcome").at("steps").as_object()) CHECK(s.at("status") == "Completed");
    // The same gate decision as the local run of the same YAML.
    const auto name = text(r.at("name"));
    const auto remote_decision = f.emu.blob("emustorage/azureml-blobstore-ws-ml/azureml/" + name + "/decision/decision.json");
    REQUIRE(remote_decision);
    const fs::path local_decision(text(local_rec.at("jobs").at("compare").at("outputs").at("decision").at("path")));
    CHECK(json::parse(*remote_decision, "decision").at("decision") ==
          json::read_file(local_decision / "decision.json").at("decision"));
}

TEST_CASE("submit: code folders become code versions once, a gate step's exit 3 is exit 3, cancel stops a running job") {
    workspace_fixture f;
    test::scratch_dir dir("submit-small");
    test::write_text(dir / "src/data.txt", "from the code snapshot\n");
    test::write_text(dir / "small.yaml", R"(type: pipeline
display_name: small
settings:
  default_compute: azureml:cpu-cluster
inputs:
  code: 0
  pause: 0
jobs:
  gate:
    component:
      name: gate_step
      environment: azureml:amlops-cpp:1
      code: ./src
      inputs:
        code: {type: integer}
        pause: {type: integer}
      outputs:
        out: {type: uri_folder}
      command: sleep ${{inputs.pause}} && cat data.txt | tee ${{outputs.out}}/copy.txt && exit ${{inputs.code}}
    inputs:
      code: ${{parent.inputs.code}}
      pause: ${{parent.inputs.pause}}
)");
    const auto yaml = (dir / "small.yaml").string();
    const auto first = f.tool({"submit", yaml, "--wait", "--stream"});
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    const auto r1 = result_of(first);
    CHECK(r1.at("uploads").at("code_versions_created").as_int64() == 1);
    CHECK(r1.at("uploads").at("files").as_int64() == 1);
    CHECK_THAT(first.err, Contains("[gate] from the code snapshot"));  // --stream printed the step's log line
    CHECK_THAT(text(result_of(f.tool({"logs", text(r1.at("name"))})).at("steps").at("gate").at("log")), !Contains("error"));

    const auto rejected = f.tool({"submit", yaml, "--wait", "--set", "inputs.code=3"});
    INFO(rejected.err);
    CHECK(rejected.exit_code == 3);
    const auto r2 = result_of(rejected);
    CHECK(r2.at("uploads").at("code_versions_reused").as_int64() == 1);
    CHECK(r2.at("uploads").at("files").as_int64() == 0);
    CHECK(r2.at("outcome").at("steps").at("gate").at("exit_code").as_int64() == 3);

    const auto failing = f.tool({"submit", yaml, "--wait", "--set", "inputs.code=1"});
    CHECK(failing.exit_code == 1);

    const auto slow = f.tool({"submit", yaml, "--set", "inputs.pause=30"});
    REQUIRE(slow.exit_code == 0);
    const auto name = text(result_of(slow).at("name"));
    const auto cancel = f.tool({"cancel", name});
    INFO(cancel.out << cancel.err);
    CHECK(cancel.exit_code == 0);
    const auto waited = f.tool({"wait", name});
    CHECK(waited.exit_code == 1);
    CHECK_THAT(waited.out, Contains("Canceled"));

    // Bad input: a missing workspace URI, a YAML error, an unknown job.
    CHECK(test::run_tool("aml-pipeline", {"submit", yaml}).exit_code == 2);
    CHECK(f.tool({"submit", yaml, "--aml-workspace", "https://example"}).exit_code == 2);
    CHECK(f.tool({"status", "no-such-job"}).exit_code != 0);
}

TEST_CASE("submit: the training pipeline takes at most 25 requests, an unchanged re-submit uploads nothing (bench/submit.sh prints the numbers)") {
    workspace_fixture f;
    test::scratch_dir dir("submit-count");
    REQUIRE(test::run_tool("aml-datagen", {"--output", (dir / "raw").string(), "--rows", "500", "--seed", "3"}).exit_code == 0);
    const auto yaml = (source_dir / "pipelines/taxi-fare-train-pipeline.yaml").string();
    const std::vector<std::string> args{"submit", yaml, "--set", "inputs.raw_data.path=" + (dir / "raw").string(), "--log-level", "warn"};
    for (const char* label : {"first", "unchanged"}) {
        const auto before = f.emu.snapshot().requests;
        const auto start = std::chrono::steady_clock::now();
        const auto r = f.tool(args);
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        const auto requests = f.emu.snapshot().requests - before;
        const auto res = result_of(r);
        // Measurements for bench/submit.sh (a wall time is printed, never asserted).
        std::printf("submit-%s: requests %llu, files uploaded %lld, %lld ms\n", label, static_cast<unsigned long long>(requests),
                    static_cast<long long>(res.at("uploads").at("files").as_int64()), static_cast<long long>(ms));
        CHECK(requests <= 25);
        if (std::string(label) == "unchanged") CHECK(res.at("uploads").at("files").as_int64() == 0);
        else CHECK(res.at("uploads").at("files").as_int64() > 0);
    }
}
