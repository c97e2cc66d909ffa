// aml-deploy to an Azure ML managed online endpoint (azureml://...) on the emulator, whose
// deployments run on a real `aml-predict serve`: the endpoint is created with key auth, blue/green
// release with a real smoke test through the scoring URI, lineage records, a failing smoke test
// rolled back exactly, and --delete-on-rollback.
#include "emulator.hpp"
#include "emulator_clients.hpp"

#include "amlops/arm/resource_id.hpp"
#include "../model/synthetic_taxi.hpp"
#include "serve_process.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

using namespace amlops;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

const std::string secret = "deploy-Secret-Value-246";

json::object result_of(const test::run_result& r) {
    INFO(r.out << r.err);
    return json::parse(r.out, "stdout").as_object().at("result").as_object();
}

json::object traffic(std::initializer_list<std::pair<const char*, int>> t) {
    json::object o;
    for (const auto& [k, v] : t) o[k] = v;
    return o;
}

}  // namespace

TEST_CASE("aml-deploy azureml://: blue/green on a managed online endpoint with a real smoke test, exact rollback, --delete-on-rollback") {
    test::scratch_dir dir("deploy-azureml");
    const auto home = dir / "home";
    const std::vector<std::string> local_env{"AMLOPS_HOME=" + home.string(), "AMLOPS_ACTOR=deploy-test"};
    test::write_text(dir / "train/train.csv", test::synthetic_csv(1500, 1));
    const auto test_csv = dir / "data/test.csv";
    test::write_text(test_csv, test::synthetic_csv(50, 2));
    test::write_text(dir / "gate/decision.json", R"({"decision": "approve", "reasons": [], "primary_metric": "rmse", "metrics": {"candidate": {"rmse": 3.0}}})");
    for (const char* trees : {"20", "21"}) {
        const auto model = dir / ("model-" + std::string(trees));
        REQUIRE(test::run_tool("aml-train", {"--train", (dir / "train").string(), "--output", model.string(), "--n-estimators", trees,
                                             "--max-depth", "4", "--nthread", "1"})
                    .exit_code == 0);
        const auto r = test::run_tool("aml-register", {"--model", model.string(), "--decision", (dir / "gate").string(), "--registry", "dev",
                                                       "--name", "taxi-fare"},
                                      local_env);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
    const std::string v1 = "azureml://registries/dev/models/taxi-fare/versions/1", v2 = "azureml://registries/dev/models/taxi-fare/versions/2";

    // It refuses to start empty: a placeholder deployment; the emulator adds the endpoint's own.
    test::serve_process serve(dir.path(), {"--workspace", home.string(), "--deployment", "seed=" + v1}, local_env);
    emulator::options eo;
    eo.client_secret = secret;
    eo.scoring_server = serve.url();
    emulator::emulator emu(eo);
    auto arm_c = test::emulator_arm_client(emu, test::emulator_credential(emu, secret));
    const auto ws = arm::workspace_id("sub-1", "rg-ml", "ws-ml");
    arm_c.put(arm::resource_group_id("sub-1", "rg-ml"), json::object{{"location", "westeurope"}});
    arm_c.put(ws, json::object{{"location", "westeurope"}});
    arm_c.put(ws.child("environments", "amlops-cpp").child("versions", "1"),
              json::object{{"properties", json::object{{"image", "amlops.azurecr.io/amlops-cpp:1"}}}});
    std::vector<std::string> env = local_env;
    for (const auto& e : {"AZURE_TENANT_ID=emulator-tenant", "AZURE_CLIENT_ID=emulator-client"}) env.emplace_back(e);
    env.push_back("AZURE_CLIENT_SECRET=" + secret);
    env.push_back("AZURE_AUTHORITY_HOST=" + emu.base_url() + "/");
    env.push_back("AZURE_RESOURCE_MANAGER_ENDPOINT=" + emu.base_url() + "/");
    const std::string endpoint = "azureml://subscriptions/sub-1/resourceGroups/rg-ml/workspaces/ws-ml/onlineEndpoints/taxi-ep";
    auto deploy = [&](const std::string& ep, const std::string& model, std::vector<std::string> more) {
        std::vector<std::string> args{"--endpoint", ep, "--model", model, "--smoke-data", test_csv.string(), "--environment",
                                      "azureml:amlops-cpp:1", "--instance-type", "Standard_F2s_v2", "--request-timeout-ms", "3000"};
        args.insert(args.end(), more.begin(), more.end());
        return test::run_tool("aml-deploy", args, env);
    };

    // 1. A new endpoint: created with key auth; blue gets 100% after its smoke test.
    const auto first = deploy(endpoint, v1, {"--max-rmse", "1000", "--output", (dir / "out1").string()});
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    auto r = result_of(first);
    CHECK(r.at("new_deployment") == "blue");
    CHECK(r.at("current_traffic") == traffic({{"blue", 100}}));
    CHECK(r.at("smoke").at("passed") == true);
    CHECK(fs::exists(dir / "out1/deployment_state.json"));
    const auto ep_id = ws.child("onlineEndpoints", "taxi-ep");
    CHECK(arm_c.get(ep_id).at("properties").at("authMode") == "Key");
    const auto blue = arm_c.get(ep_id.child("deployments", "blue")).as_object();
    const auto& bp = blue.at("properties").as_object();
    CHECK(std::string(bp.at("model").as_string()) == v1);
    CHECK(bp.at("endpointComputeType") == "Managed");
    CHECK(bp.at("instanceType") == "Standard_F2s_v2");
    CHECK(std::string(bp.at("environmentId").as_string()) == ws.child("environments", "amlops-cpp").child("versions", "1").str());
    CHECK(bp.at("requestSettings").at("requestTimeout") == "PT3S");
    CHECK(bp.at("livenessProbe").at("period") == "PT10S");
    CHECK(blue.at("sku").at("capacity") == 1);

    // 2. v2 goes to green: 70/30 after a passing smoke test through the scoring URI, recorded in lineage.
    const auto second = deploy(endpoint, v2, {"--max-rmse", "1000"});
    INFO(second.err);
    REQUIRE(second.exit_code == 0);
    r = result_of(second);
    CHECK(r.at("new_deployment") == "green");
    CHECK(r.at("updated_traffic") == traffic({{"blue", 100}, {"green", 0}}));
    CHECK(r.at("current_traffic") == traffic({{"blue", 70}, {"green", 30}}));
    CHECK(r.at("recorded") == true);
    CHECK(arm_c.get(ep_id).at("properties").at("traffic") == traffic({{"blue", 70}, {"green", 30}}));
    const auto lineage = test::run_tool("aml-register", {"lineage", v2}, local_env);
    CHECK_THAT(lineage.err, Contains("deployment green on endpoint " + endpoint));

    // 3. A failing smoke test (impossible RMSE bound) on the lowest slot, green: its previous
    //    model and the exact previous traffic come back; exit 3.
    const auto failing = deploy(endpoint, v1, {"--max-rmse", "0.000001"});
    INFO(failing.err);
    CHECK(failing.exit_code == 3);
    r = result_of(failing);
    CHECK(r.at("status") == "rolled_back");
    CHECK(r.at("new_deployment") == "green");
    CHECK(r.at("smoke").at("http_status") == 200);
    CHECK(r.at("current_traffic") == traffic({{"blue", 70}, {"green", 30}}));
    CHECK(arm_c.get(ep_id).at("properties").at("traffic") == traffic({{"blue", 70}, {"green", 30}}));
    CHECK(std::string(arm_c.get(ep_id.child("deployments", "green")).at("properties").at("model").as_string()) == v2);

    // 4. A new slot that fails: --delete-on-rollback removes it; without it, it stays at 0%.
    const std::string endpoint2 = "azureml://subscriptions/sub-1/resourceGroups/rg-ml/workspaces/ws-ml/onlineEndpoints/taxi-ep2";
    const auto ep2 = ws.child("onlineEndpoints", "taxi-ep2");
    REQUIRE(deploy(endpoint2, v1, {}).exit_code == 0);
    CHECK(deploy(endpoint2, v2, {"--max-rmse", "0.000001", "--delete-on-rollback"}).exit_code == 3);
    CHECK_FALSE(arm_c.find(ep2.child("deployments", "green")).has_value());
    CHECK(arm_c.get(ep2).at("properties").at("traffic") == traffic({{"blue", 100}}));
    CHECK(deploy(endpoint2, v2, {"--max-rmse", "0.000001"}).exit_code == 3);
    CHECK(arm_c.find(ep2.child("deployments", "green")).has_value());
    CHECK(arm_c.get(ep2).at("properties").at("traffic") == traffic({{"blue", 100}}));

    // Bad input: no environment for an Azure deployment; a malformed endpoint URI.
    CHECK(test::run_tool("aml-deploy", {"--endpoint", endpoint + "x/y", "--model", v1, "--smoke-data", test_csv.string()}, env).exit_code == 2);
    const auto no_env = test::run_tool("aml-deploy", {"--endpoint", endpoint2, "--model", v2, "--smoke-data", test_csv.string(), "--slot", "red"}, env);
    CHECK(no_env.exit_code == 2);
    CHECK_THAT(no_env.err, Contains("environment"));
}
