// Black-box tests of aml-deploy: usage errors, and end to end against a real `aml-predict serve`
// (started here with --port 0 --port-file) with models registered by aml-register: promotion to
// 70/30 recorded in lineage, and a failing smoke test that rolls back to the exact previous traffic.

#include "amlops/core/json.hpp"
#include "amlops/deploy/endpoint.hpp"
#include "../model/synthetic_taxi.hpp"
#include "serve_process.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

using namespace amlops;
using amlops::test::run_tool;
namespace fs = std::filesystem;

namespace {

json::object result_of(const test::run_result& r) {
    INFO(r.out << r.err);
    const json::value doc = json::parse(r.out, "stdout");
    return doc.as_object().at("result").as_object();
}

std::string status_of(const test::run_result& r) {
    INFO(r.out << r.err);
    return std::string(json::parse(r.out, "stdout").as_object().at("status").as_string());
}

/// A workspace with two registered versions of one trained model, and test data.
struct fixture {
    test::scratch_dir dir{"tool-deploy"};
    fs::path home = dir / "home";
    std::vector<std::string> env{"AMLOPS_HOME=" + home.string(), "AMLOPS_ACTOR=deploy-test"};
    std::string v1 = "azureml://registries/dev/models/taxi-fare/versions/1";
    std::string v2 = "azureml://registries/dev/models/taxi-fare/versions/2";
    fs::path test_csv = dir / "data/test.csv";

    fixture() {
        test::write_text(dir / "train/train.csv", test::synthetic_csv(1500, 1));
        test::write_text(test_csv, test::synthetic_csv(50, 2));
        test::write_text(dir / "gate/decision.json",
                         R"({"decision": "approve", "reasons": [], "primary_metric": "rmse", "metrics": {"candidate": {"rmse": 3.0}}})");
        // Two different models: registering identical files again would return version 1.
        for (const char* trees : {"20", "21"}) {
            const auto model = dir / ("model-" + std::string(trees));
            auto t = run_tool("aml-train", {"--train", (dir / "train").string(), "--output", model.string(), "--n-estimators",
                                            trees, "--max-depth", "4", "--nthread", "1"});
            INFO(t.err);
            REQUIRE(t.exit_code == 0);
            auto r = run_tool("aml-register", {"--model", model.string(), "--decision", (dir / "gate").string(), "--registry", "dev",
                                               "--name", "taxi-fare", "--description", trees + std::string(" trees")},
                              env);
            INFO(r.out << r.err);
            REQUIRE(r.exit_code == 0);
        }
    }

    test::run_result deploy(const std::string& endpoint, const std::string& model, std::vector<std::string> more = {}) const {
        std::vector<std::string> args{"--endpoint", endpoint, "--model", model, "--smoke-data", test_csv.string()};
        args.insert(args.end(), more.begin(), more.end());
        return run_tool("aml-deploy", args, env);
    }
};

fixture& shared() {
    static fixture f;
    return f;
}

bool have_server() { return fs::exists(test::tool_path("aml-predict")); }

deploy::traffic_map traffic_of(const json::value& v) {
    deploy::traffic_map t;
    for (const auto& [k, w] : v.as_object()) t[std::string(k)] = static_cast<int>(w.as_int64());
    return t;
}

}  // namespace

TEST_CASE("aml-deploy refuses bad flags and unreachable endpoints with clear errors") {
    test::scratch_dir dir("tool-deploy-usage");
    test::write_text(dir / "test.csv", "distance,cost\n1.5,7\n");
    const auto data = (dir / "test.csv").string();
    auto r = run_tool("aml-deploy", {"--endpoint", "local://127.0.0.1:5001", "--model", dir.path().string(), "--smoke-data", data,
                                     "--traffic", "0"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--traffic"));
    r = run_tool("aml-deploy", {"--endpoint", "https://example.org", "--model", dir.path().string(), "--smoke-data", data});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("unsupported scheme"));
    r = run_tool("aml-deploy", {"--endpoint", "local://127.0.0.1:1", "--model", dir.path().string(), "--smoke-data", data});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("127.0.0.1:1"));
    r = run_tool("aml-deploy", {"--endpoint", "local://127.0.0.1:1", "--model", (dir / "nope").string(), "--smoke-data", data});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("model folder does not exist"));
}

TEST_CASE("aml-deploy promotes green to 30% on a real server and lineage shows it") {
    if (!have_server()) {
        WARN("aml-predict is not built: end-to-end deploy test skipped");
        return;
    }
    auto& f = shared();
    test::serve_process server(f.dir.path(), {"--deployment", "blue=" + f.v1, "--workspace", f.home.string()}, f.env);
    const auto state = f.dir / "out/state.json";
    const auto r = f.deploy(server.uri(), f.v2, {"--state-file", state.string(), "--max-rmse", "1000"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto res = result_of(r);
    CHECK(res.at("new_deployment").as_string() == "green");
    CHECK(traffic_of(res.at("previous_traffic")) == deploy::traffic_map{{"blue", 100}});
    CHECK(traffic_of(res.at("updated_traffic")) == deploy::traffic_map{{"blue", 100}, {"green", 0}});
    CHECK(traffic_of(res.at("current_traffic")) == deploy::traffic_map{{"blue", 70}, {"green", 30}});
    CHECK(res.at("has_prior_deployment").as_bool());
    CHECK(res.at("model_version").as_string() == "2");
    CHECK(res.at("recorded").as_bool());
    CHECK(fs::exists(state));

    const auto ep = deploy::open_endpoint(server.uri());
    CHECK(ep->get_traffic().traffic == deploy::traffic_map{{"blue", 70}, {"green", 30}});

    const auto lineage = run_tool("aml-register", {"lineage", f.v2}, f.env);
    INFO(lineage.out << lineage.err);
    REQUIRE(lineage.exit_code == 0);
    CHECK_THAT(lineage.err, Catch::Contains("deployment green on endpoint " + server.uri()));
}

TEST_CASE("a failing smoke test on a real server rolls back to the exact previous traffic and exits 3") {
    if (!have_server()) {
        WARN("aml-predict is not built: end-to-end rollback test skipped");
        return;
    }
    auto& f = shared();
    test::serve_process server(f.dir.path(), {"--deployment", "blue=" + f.v1, "--deployment", "green=" + f.v1, "--traffic", "blue=83,green=17",
                                         "--workspace", f.home.string()},
                          f.env);
    const auto ep = deploy::open_endpoint(server.uri());
    ep->wait_until_ready(std::chrono::seconds(60));  // the port file appears before the models are loaded
    const auto before = ep->get_traffic();
    INFO("traffic " << deploy::to_string(before.traffic) << " on " << server.uri() << ": " << test::read_text(f.dir / "server.log"));
    REQUIRE(before.traffic == deploy::traffic_map{{"blue", 83}, {"green", 17}});

    // An impossible RMSE bound makes the smoke test fail on a healthy model.
    const auto r = f.deploy(server.uri(), f.v2, {"--max-rmse", "0.000001", "--output", (f.dir / "rollback").string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 3);
    CHECK(status_of(r) == "rejected");
    const auto res = result_of(r);
    CHECK(res.at("status").as_string() == "rolled_back");
    CHECK(res.at("new_deployment").as_string() == "green");
    CHECK(traffic_of(res.at("current_traffic")) == before.traffic);
    CHECK_FALSE(res.at("recorded").as_bool());
    CHECK(fs::exists(f.dir / "rollback/deployment_state.json"));
    CHECK(ep->get_traffic() == before);
    // green was replaced for the smoke test: its previous model is back.
    for (const auto& d : ep->deployments())
        if (d.name == "green") CHECK(d.model == f.v1);

    // An unknown version is a usage-level error (exit 2) and leaves the endpoint unchanged.
    const auto missing = f.deploy(server.uri(), "azureml://registries/dev/models/taxi-fare/versions/9");
    CHECK(missing.exit_code == 2);
    CHECK(ep->get_traffic() == before);
}
