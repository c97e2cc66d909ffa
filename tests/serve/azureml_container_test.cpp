// `aml-predict serve` as an Azure ML custom container: the platform's variables -> model folder,
// timeout and threads; the routes and port environment/amlops-cpp.yaml declares are the ones the
// service answers; the scoring deadline; and the tool's error for a model folder it cannot use.
#include "amlops/serve/azureml_container.hpp"

#include "amlops/core/error.hpp"
#include "amlops/core/json.hpp"
#include "amlops/serve/model_source.hpp"
#include "amlops/serve/service.hpp"
#include "amlops/server/http_server.hpp"
#include "serve_fixture.hpp"

#include <yaml-cpp/yaml.h>

#include <map>

using namespace amlops;
using namespace amlops::serve;
namespace fs = std::filesystem;

namespace {

env_lookup env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

// An MLflow-looking folder: resolve_model_dir only looks for the MLmodel file.
void fake_model(const fs::path& dir) { test::write_text(dir / "MLmodel", "flavors: {}\n"); }

server::request get(std::string target) {
    server::request r;
    r.method = "GET";
    r.target = std::move(target);
    r.remote_address = "127.0.0.1";
    r.remote_is_loopback = true;
    return r;
}

model_loader folder_loader() {
    return [](const std::string& source) { return load_model_folder(source, source); };
}

}  // namespace

TEST_CASE("no AZUREML_MODEL_DIR: not an Azure ML container") {
    CHECK_FALSE(azureml::container_settings_from_env(env_of({})).has_value());
    CHECK_FALSE(azureml::container_settings_from_env(env_of({{"AZUREML_MODEL_DIR", ""}})).has_value());
    CHECK_FALSE(azureml::scoring_timeout_from_env(env_of({})).has_value());
}

TEST_CASE("AZUREML_MODEL_DIR: the model folder itself, or its only subfolder with an MLmodel") {
    test::scratch_dir dir("azureml-model-dir");
    const auto direct = dir / "azureml-models/taxi/3";
    fake_model(direct);
    auto s = azureml::container_settings_from_env(env_of({{"AZUREML_MODEL_DIR", direct.string()}}));
    REQUIRE(s);
    CHECK(s->model_dir == direct);
    CHECK(s->request_timeout_ms == azureml::max_request_timeout_ms);
    CHECK(s->threads == 0);
    CHECK_FALSE(s->drift);
    for (const char* on : {"1", "true"})
        CHECK(azureml::container_settings_from_env(env_of({{"AZUREML_MODEL_DIR", direct.string()}, {"AMLOPS_DRIFT", on}}))->drift);
    CHECK_FALSE(azureml::container_settings_from_env(env_of({{"AZUREML_MODEL_DIR", direct.string()}, {"AMLOPS_DRIFT", "0"}}))->drift);
    const auto e = test::error_of([&] {
        azureml::container_settings_from_env(env_of({{"AZUREML_MODEL_DIR", direct.string()}, {"AMLOPS_DRIFT", "yes"}}));
    });
    CHECK(e.kind() == error_kind::config);
    CHECK(e.context().field == "AMLOPS_DRIFT");

    // A model registered from a folder is mounted with that folder one level down; other
    // entries (files, folders without MLmodel) do not count.
    const auto version = dir / "azureml-models/taxi/4";
    fake_model(version / "model_output");
    test::write_text(version / "README.txt", "notes\n");
    fs::create_directories(version / "empty");
    s = azureml::container_settings_from_env(env_of({{"AZUREML_MODEL_DIR", version.string()}}));
    REQUIRE(s);
    CHECK(s->model_dir == version / "model_output");
}

TEST_CASE("AZUREML_MODEL_DIR without exactly one model is a clear error naming the variable") {
    test::scratch_dir dir("azureml-model-dir-bad");
    auto e = test::error_of([&] { azureml::resolve_model_dir(dir / "absent"); });
    CHECK(e.kind() == error_kind::not_found);
    CHECK(e.context().field == "AZUREML_MODEL_DIR");

    fs::create_directories(dir / "empty/sub");
    e = test::error_of([&] { azureml::resolve_model_dir(dir / "empty"); });
    CHECK(e.kind() == error_kind::not_found);
    CHECK_THAT(e.what(), Catch::Contains("no MLflow model"));

    fake_model(dir / "two/a");
    fake_model(dir / "two/b");
    e = test::error_of([&] { azureml::resolve_model_dir(dir / "two"); });
    CHECK(e.kind() == error_kind::config);
    CHECK_THAT(e.what(), Catch::Contains("a, b"));
}

TEST_CASE("SCORING_TIMEOUT_MS and WORKER_COUNT: the platform's timeout and concurrency, validated") {
    test::scratch_dir dir("azureml-vars");
    fake_model(dir.path());
    const auto model = dir.path().string();
    auto s = azureml::container_settings_from_env(
        env_of({{"AZUREML_MODEL_DIR", model}, {"SCORING_TIMEOUT_MS", "2500"}, {"WORKER_COUNT", "4"}}));
    REQUIRE(s);
    CHECK(s->request_timeout_ms == 2500);
    CHECK(s->threads == 4);
    CHECK(azureml::scoring_timeout_from_env(env_of({{"SCORING_TIMEOUT_MS", "180000"}})) == 180000u);

    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"SCORING_TIMEOUT_MS", "abc"}, {"SCORING_TIMEOUT_MS", "0"}, {"SCORING_TIMEOUT_MS", "180001"},
             {"SCORING_TIMEOUT_MS", "-5"}, {"WORKER_COUNT", "2x"}, {"WORKER_COUNT", "0"}}) {
        INFO(name << "=" << value);
        auto e = test::error_of([&] { azureml::container_settings_from_env(env_of({{"AZUREML_MODEL_DIR", model}, {name, value}})); });
        CHECK(e.kind() == error_kind::config);
        CHECK(e.context().field == name);
        CHECK_THAT(e.what(), Catch::Contains(value));
    }
}

TEST_CASE("the routes and port of environment/amlops-cpp.yaml are the ones the service answers") {
    const auto yaml = YAML::LoadFile(std::string(AMLOPS_SOURCE_DIR) + "/environment/amlops-cpp.yaml");
    const auto cfg = yaml["inference_config"];
    REQUIRE(cfg);
    const std::map<std::string, std::string_view> routes{{"liveness_route", azureml::liveness_route},
                                                         {"readiness_route", azureml::readiness_route},
                                                         {"scoring_route", azureml::scoring_route}};
    for (const auto& [key, path] : routes) {
        INFO(key);
        CHECK(cfg[key]["port"].as<int>() == azureml::container_port);
        CHECK(cfg[key]["path"].as<std::string>() == path);
    }

    const auto& m = test::trained_models::get();
    scoring_service service({}, folder_loader());
    // While the model loads: alive (no restart) but not ready (no traffic yet).
    service.set_loading(true);
    CHECK(service.handle(get(std::string(azureml::liveness_route))).status == 200);
    CHECK(service.handle(get(std::string(azureml::readiness_route))).status == 503);
    service.deploy("default", m.blue.string());
    service.set_traffic({{"default", 100}}, std::nullopt);
    service.set_loading(false);
    CHECK(service.handle(get(std::string(azureml::readiness_route))).status == 200);
    auto score = get(std::string(azureml::scoring_route));
    score.method = "POST";
    score.body = R"({"data": )" + test::rows_json(2, 5) + "}";
    auto res = service.handle(score);
    CHECK(res.status == 200);
    CHECK(json::parse(res.body, "response").as_array().size() == 2);
    // Draining: still alive, no longer ready.
    service.set_draining();
    CHECK(service.handle(get(std::string(azureml::liveness_route))).status == 200);
    CHECK(service.handle(get(std::string(azureml::readiness_route))).status == 503);
}

TEST_CASE("the scoring timeout answers 504 once scoring outlasts it, and leaves faster requests alone") {
    const auto& m = test::trained_models::get();
    // A clock that moves one second each time it is read: the request starts at t, the check
    // after decoding reads t+1 s, the check after predicting t+2 s.
    auto fake_now = std::make_shared<std::chrono::steady_clock::time_point>();
    auto ticking = [fake_now] { return *fake_now += std::chrono::seconds(1); };
    server::request score = get("/score");
    score.method = "POST";
    score.body = R"({"data": )" + test::rows_json(3, 8) + "}";

    service_options slow;
    slow.scoring_timeout = std::chrono::milliseconds(1500);
    slow.clock = ticking;
    scoring_service timed(slow, folder_loader());
    timed.deploy("default", m.blue.string());
    timed.set_traffic({{"default", 100}}, std::nullopt);
    auto res = timed.handle(score);
    CHECK(res.status == 504);
    CHECK_THAT(res.body, Catch::Contains("1500 ms"));

    service_options roomy = slow;
    roomy.scoring_timeout = std::chrono::milliseconds(10'000);
    scoring_service in_time(roomy, folder_loader());
    in_time.deploy("default", m.blue.string());
    in_time.set_traffic({{"default", 100}}, std::nullopt);
    res = in_time.handle(score);
    CHECK(res.status == 200);
    CHECK(json::parse(res.body, "response").as_array().size() == 3);
}

TEST_CASE("aml-predict serve with an unusable AZUREML_MODEL_DIR exits 2 naming the variable") {
    test::scratch_dir dir("azureml-serve-tool");
    fs::create_directories(dir / "models/taxi/1");
    auto r = test::run_tool("aml-predict", {"serve", "--host", "127.0.0.1", "--port", "0"},
                            {"AZUREML_MODEL_DIR=" + (dir / "models/taxi/1").string()});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err + r.out, Catch::Contains("AZUREML_MODEL_DIR"));

    r = test::run_tool("aml-predict", {"serve", "--host", "127.0.0.1", "--port", "0"},
                       {"AZUREML_MODEL_DIR=" + (dir / "models").string(), "SCORING_TIMEOUT_MS=soon"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err + r.out, Catch::Contains("SCORING_TIMEOUT_MS"));
}
