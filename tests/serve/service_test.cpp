// The scoring service over a real server on loopback: every route and payload form, the error
// statuses, key auth, weighted routing, header targeting, mirroring, the admin API, hot reload
// under load and the persisted state file.
#include "amlops/serve/service.hpp"

#include "amlops/core/json.hpp"
#include "amlops/model/model.hpp"
#include "amlops/registry/registry.hpp"
#include "amlops/workspace/workspace.hpp"
#include "amlops/serve/admin_api.hpp"
#include "amlops/serve/model_source.hpp"
#include "http_client.hpp"
#include "amlops/server/http_server.hpp"
#include "serve_fixture.hpp"

#include <atomic>
#include <thread>

using namespace amlops;
using namespace amlops::serve;
namespace fs = std::filesystem;
using server::client_connection;

namespace {

model_loader folder_loader() {
    return [](const std::string& source) { return load_model_folder(source, source); };
}

// A service + server pair on an ephemeral loopback port.
struct endpoint {
    scoring_service service;
    server::http_server srv;

    explicit endpoint(service_options o = {}, unsigned threads = 2)
        : service(std::move(o), folder_loader()), srv(config(threads), service.handler()) {
        srv.start();
    }
    static server::server_config config(unsigned threads) {
        server::server_config c;
        c.threads = threads;
        c.max_body = 4096;
        return c;
    }
    server::client_response send(const std::string& method, const std::string& target, const std::string& body = {},
                                 std::vector<server::header> headers = {}) {
        return server::fetch("127.0.0.1", srv.port(), {method, target, body}, headers);
    }
};

// Predictions are floats printed in shortest round-trip form: compare them as floats.
std::vector<float> numbers(const json::value& v) {
    std::vector<float> out;
    for (const auto& x : v.as_array()) out.push_back(static_cast<float>(x.to_number<double>()));
    return out;
}

std::vector<float> direct_predictions(const fs::path& model, const std::string& rows) {
    auto m = model::loaded_model::load(model);
    auto arr = json::parse(rows, "rows").as_array();
    std::vector<float> values;
    for (const auto& r : arr) {
        for (const auto& x : r.as_array()) values.push_back(static_cast<float>(x.to_number<double>()));
    }
    auto p = m.predict_rows(values, arr.size());
    return std::vector<float>(p.begin(), p.end());
}

std::string score_body(const std::string& rows) {
    return R"({"input_data": {"columns": )" + test::columns_json() + R"(, "index": [], "data": )" + rows + "}}";
}

}  // namespace

TEST_CASE("scoring routes answer every payload form with the model's predictions") {
    const auto& m = test::trained_models::get();
    endpoint ep;
    ep.service.deploy("blue", m.blue.string());
    ep.service.set_traffic({{"blue", 100}}, std::nullopt);

    const auto rows = test::rows_json(3, 11);
    const auto expected = direct_predictions(m.blue, rows);
    auto t = test::synthetic_table(3, 11);
    std::string records = "[";
    for (std::size_t r = 0; r < 3; ++r) {
        records += r ? ",{" : "{";
        for (std::size_t c = 0; c < t.columns.size(); ++c) {
            records += (c ? ",\"" : "\"") + t.columns[c] + "\":" + std::to_string(t.features[r * t.columns.size() + c]);
        }
        records += "}";
    }
    records += "]";

    for (const auto& body : {score_body(rows), R"({"input_data": )" + rows + "}", R"({"data": )" + rows + "}",
                             R"({"dataframe_split": {"columns": )" + test::columns_json() + R"(, "data": )" + rows + "}}",
                             R"({"instances": )" + rows + "}", R"({"inputs": )" + rows + "}"}) {
        INFO(body);
        auto r = ep.send("POST", "/score", body);
        REQUIRE(r.status == 200);
        CHECK(numbers(json::parse(r.body, "response")) == expected);
        CHECK(r.header_value("azureml-model-deployment") == "blue");
        auto mlflow = ep.send("POST", "/invocations", body);
        REQUIRE(mlflow.status == 200);
        CHECK(numbers(json::parse(mlflow.body, "response").as_object().at("predictions")) == expected);
    }
    // Records carry to_string's 6 decimals: compare loosely.
    auto rec = ep.send("POST", "/score", R"({"dataframe_records": )" + records + "}");
    REQUIRE(rec.status == 200);
    CHECK(numbers(json::parse(rec.body, "response")).size() == 3);
}

TEST_CASE("errors: 400 naming the problem, 404, 405, 413, and x-request-id on every response") {
    const auto& m = test::trained_models::get();
    endpoint ep;
    ep.service.deploy("blue", m.blue.string());
    ep.service.set_traffic({{"blue", 100}}, std::nullopt);

    auto missing = ep.send("POST", "/score", R"({"input_data": {"columns": ["trip_distance"], "data": [[1.0]]}})");
    CHECK(missing.status == 400);
    CHECK_THAT(missing.body, Catch::Contains("missing column"));
    auto malformed = ep.send("POST", "/score", "{not json");
    CHECK(malformed.status == 400);
    CHECK_THAT(malformed.body, Catch::Contains("malformed JSON"));
    auto ragged = ep.send("POST", "/score", R"({"data": [[1,2]]})");
    CHECK(ragged.status == 400);
    CHECK_THAT(ragged.body, Catch::Contains("row 0 has 2 values, expected 20"));
    CHECK(ep.send("GET", "/nope").status == 404);
    auto wrong_method = ep.send("GET", "/score");
    CHECK(wrong_method.status == 405);
    CHECK(wrong_method.header_value("allow") == "POST");
    CHECK(ep.send("POST", "/score", R"({"data": [)" + std::string(5000, ' ') + "]}").status == 413);
    auto targeted_unknown = ep.send("POST", "/score", R"({"data": []})", {{"azureml-model-deployment", "nosuch"}});
    CHECK(targeted_unknown.status == 404);

    auto echoed = ep.send("GET", "/", "", {{"x-request-id", "abc-123"}});
    CHECK(echoed.header_value("x-request-id") == "abc-123");
    auto generated = ep.send("GET", "/");
    CHECK(generated.header_value("x-request-id").size() >= 32);
    CHECK(generated.header_value("x-request-id") != ep.send("GET", "/").header_value("x-request-id"));
}

TEST_CASE("readiness: 503 before a model is loaded and while draining, 200 in between") {
    endpoint ep;
    CHECK(ep.send("GET", "/").status == 503);
    CHECK(ep.send("POST", "/score", R"({"data": []})").status == 503);
    ep.service.deploy("blue", test::trained_models::get().blue.string());
    ep.service.set_traffic({{"blue", 100}}, std::nullopt);
    auto ok = ep.send("GET", "/");
    CHECK(ok.status == 200);
    CHECK_THAT(ok.body, Catch::Contains("\"ready\""));
    ep.service.set_draining();
    CHECK(ep.send("GET", "/").status == 503);
}

TEST_CASE("key auth: scoring and admin need the bearer key, probes do not") {
    service_options o;
    o.api_key = "s3cret-key";
    endpoint ep(o);
    ep.service.deploy("blue", test::trained_models::get().blue.string());
    ep.service.set_traffic({{"blue", 100}}, std::nullopt);
    const auto body = R"({"input_data": )" + test::rows_json(1, 3) + "}";
    CHECK(ep.send("POST", "/score", body).status == 401);
    CHECK(ep.send("POST", "/score", body, {{"Authorization", "Bearer wrong"}}).status == 401);
    CHECK(ep.send("POST", "/score", body, {{"Authorization", "Bearer s3cret-key2"}}).status == 401);
    CHECK(ep.send("POST", "/score", body, {{"Authorization", "Bearer s3cret-key"}}).status == 200);
    CHECK(ep.send("GET", "/admin/traffic").status == 401);
    CHECK(ep.send("GET", "/admin/traffic", "", {{"Authorization", "Bearer s3cret-key"}}).status == 200);
    CHECK(ep.send("GET", "/").status == 200);
    CHECK(ep.send("GET", "/swagger.json").status == 200);
    CHECK(keys_equal("abc", "abc"));
    CHECK_FALSE(keys_equal("abd", "abc"));
    CHECK_FALSE(keys_equal("ab", "abc"));
    CHECK_FALSE(keys_equal("", "abc"));
}

TEST_CASE("traffic 70-30 splits requests in proportion and the header targets one deployment") {
    const auto& m = test::trained_models::get();
    service_options o;
    o.routing_seed = 12345;
    endpoint ep(o);
    ep.service.deploy("blue", m.blue.string());
    ep.service.deploy("green", m.green.string());
    ep.service.set_traffic({{"blue", 70}, {"green", 30}}, std::nullopt);

    const auto body = R"({"data": )" + test::rows_json(1, 5) + "}";
    client_connection c("127.0.0.1", ep.srv.port());
    int green = 0;
    const int n = 2000;
    for (int i = 0; i < n; ++i) {
        auto r = c.send({"POST", "/score", body});
        REQUIRE(r.status == 200);
        green += r.header_value("azureml-model-deployment") == "green";
    }
    // Binomial(2000, 0.3): sd = 20.5; 5 sd either side.
    CHECK(green > 600 - 103);
    CHECK(green < 600 + 103);

    for (int i = 0; i < 20; ++i) {
        auto r = c.send({"POST", "/score", body}, {{"azureml-model-deployment", "GREEN"}});
        CHECK(r.header_value("azureml-model-deployment") == "green");
    }
    // Header-targeted requests reach a deployment even at 0% (the smoke-test path).
    ep.service.set_traffic({{"blue", 100}}, std::nullopt);
    CHECK(c.send({"POST", "/score", body}, {{"azureml-model-deployment", "green"}}).header_value("azureml-model-deployment") == "green");
}

TEST_CASE("mirror traffic copies requests to a deployment without changing the response") {
    const auto& m = test::trained_models::get();
    service_options o;
    o.routing_seed = 7;
    std::atomic<int> mirrored{0};
    o.mirror_runner = [&](std::function<void()> task) {
        task();  // run inline so the test can count deterministically
        ++mirrored;
    };
    endpoint ep(o);
    ep.service.deploy("blue", m.blue.string());
    ep.service.deploy("green", m.green.string());
    ep.service.set_traffic({{"blue", 100}}, traffic_map{{"green", 20}});
    const auto rows = test::rows_json(1, 9);
    const auto expected = direct_predictions(m.blue, rows);
    client_connection c("127.0.0.1", ep.srv.port());
    for (int i = 0; i < 1000; ++i) {
        auto r = c.send({"POST", "/score", R"({"data": )" + rows + "}"});
        REQUIRE(r.status == 200);
        REQUIRE(r.header_value("azureml-model-deployment") == "blue");
        REQUIRE(numbers(json::parse(r.body, "r")) == expected);
    }
    CHECK(mirrored > 200 - 65);  // Binomial(1000, 0.2): sd 12.6
    CHECK(mirrored < 200 + 65);
    auto metrics = c.send({"GET", "/metrics", ""}).body;
    CHECK_THAT(metrics, Catch::Contains("amlops_mirror_requests_total{deployment=\"green\"} " + std::to_string(mirrored.load())));
}

TEST_CASE("admin API: deployments, traffic rules, delete rules, state file") {
    const auto& m = test::trained_models::get();
    test::scratch_dir dir("serve-admin");
    service_options o;
    o.state_file = dir / "deployment_state.json";
    o.endpoint_name = "taxi-endpoint";
    endpoint ep(o);

    auto put = ep.send("PUT", "/admin/deployments/blue", R"({"model": ")" + m.blue.string() + R"("})");
    CHECK(put.status == 201);
    auto pj = json::parse(put.body, "put").as_object();
    CHECK(pj.at("name") == "blue");
    CHECK(pj.at("traffic").to_number<int>() == 0);
    CHECK(pj.at("input_columns").as_array().size() == 20);
    CHECK(ep.send("PUT", "/admin/deployments/blue", R"({"model": ")" + m.blue.string() + R"("})").status == 200);
    CHECK(ep.send("PUT", "/admin/deployments/green", R"({"model": ")" + m.green.string() + R"("})").status == 201);
    CHECK(ep.send("PUT", "/admin/deployments/x", R"({"model": ")" + m.green.string() + R"("})").status == 400);
    CHECK(ep.send("PUT", "/admin/deployments/red", R"({"model": "/no/such/folder"})").status == 404);
    CHECK(ep.send("PUT", "/admin/deployments/red", R"({"modelz": 1})").status == 400);

    CHECK(ep.send("PUT", "/admin/traffic", R"({"traffic": {"blue": 70, "green": 20}})").status == 400);
    CHECK_THAT(ep.send("PUT", "/admin/traffic", R"({"traffic": {"blue": 70, "green": 20}})").body, Catch::Contains("sum to 100"));
    CHECK(ep.send("PUT", "/admin/traffic", R"({"traffic": {"blue": 70, "red": 30}})").status == 404);
    auto mirror_too_big = ep.send("PUT", "/admin/traffic", R"({"traffic": {"blue": 100}, "mirror_traffic": {"green": 51}})");
    CHECK(mirror_too_big.status == 400);
    CHECK_THAT(mirror_too_big.body, Catch::Contains("at most 50"));
    CHECK(ep.send("PUT", "/admin/traffic", R"({"traffic": {"blue": 100}})").status == 200);
    auto set = ep.send("PUT", "/admin/traffic", R"({"traffic": {"blue": 70, "green": 30}, "mirror_traffic": {"green": 10}})");
    REQUIRE(set.status == 200);
    CHECK(json::parse(set.body, "t") == json::parse(R"({"traffic": {"blue": 70, "green": 30}, "mirror_traffic": {"green": 10}})", "x"));
    CHECK(json::parse(ep.send("GET", "/admin/traffic").body, "t") == json::parse(set.body, "t"));

    auto state = json::read_file(o.state_file).as_object();
    CHECK(state.at("endpoint_name") == "taxi-endpoint");
    CHECK(state.at("current_traffic") == json::parse(R"({"blue": 70, "green": 30})", "x"));
    CHECK(state.at("previous_traffic") == json::parse(R"({"blue": 100, "green": 0})", "x"));
    CHECK(state.at("new_deployment") == "green");
    CHECK(state.at("deployments").as_object().at("green").as_object().at("model").as_string() == m.green.string());

    CHECK(ep.send("DELETE", "/admin/deployments/green").status == 409);
    CHECK(ep.send("PUT", "/admin/traffic", R"({"traffic": {"blue": 100}, "mirror_traffic": {}})").status == 200);
    CHECK(ep.send("DELETE", "/admin/deployments/green").status == 200);
    CHECK(ep.send("DELETE", "/admin/deployments/green").status == 404);
    auto list = json::parse(ep.send("GET", "/admin/deployments").body, "l").as_object();
    CHECK(list.at("deployments").as_array().size() == 1);
    CHECK(ep.send("POST", "/admin/traffic").status == 405);

    // A new service restores the deployments and traffic from the state file.
    endpoint again(o);
    CHECK(again.service.restore_state());
    CHECK(again.service.traffic().first == traffic_map{{"blue", 100}});
}

TEST_CASE("admin API refuses non-loopback peers without a key") {
    scoring_service s({}, folder_loader());
    server::request req;
    req.method = "GET";
    req.target = "/admin/traffic";
    req.remote_address = "10.0.0.5";
    req.remote_is_loopback = false;
    CHECK(s.handle(req).status == 403);
    req.remote_is_loopback = true;
    CHECK(s.handle(req).status == 200);
}

TEST_CASE("loading and unloading deployments under concurrent load fails no request") {
    const auto& m = test::trained_models::get();
    endpoint ep({}, 2);
    ep.service.deploy("blue", m.blue.string());
    ep.service.set_traffic({{"blue", 100}}, std::nullopt);
    const auto body = R"({"data": )" + test::rows_json(2, 4) + "}";
    std::atomic<bool> stop{false};
    std::atomic<int> ok{0}, failed{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
        clients.emplace_back([&] {
            client_connection c("127.0.0.1", ep.srv.port());
            while (!stop) {
                auto r = c.send({"POST", "/score", body});
                (r.status == 200 ? ok : failed)++;
            }
        });
    }
    for (int i = 0; i < 5; ++i) {
        ep.service.deploy("green", m.green.string());
        ep.service.set_traffic({{"blue", 50}, {"green", 50}}, std::nullopt);
        ep.service.deploy("blue", m.green.string());  // replace the model under traffic
        ep.service.set_traffic({{"green", 100}}, std::nullopt);
        ep.service.deploy("blue", m.blue.string());
        ep.service.set_traffic({{"blue", 100}}, std::nullopt);
        ep.service.undeploy("green");
    }
    stop = true;
    for (auto& t : clients) t.join();
    CHECK(failed == 0);
    CHECK(ok > 0);
}

TEST_CASE("swagger.json describes the signature and metrics count by route and status") {
    const auto& m = test::trained_models::get();
    endpoint ep;
    ep.service.deploy("blue", m.blue.string());
    ep.service.set_traffic({{"blue", 100}}, std::nullopt);
    auto sw = json::parse(ep.send("GET", "/swagger.json").body, "swagger").as_object();
    CHECK(sw.at("swagger") == "2.0");
    const auto& props = sw.at("definitions").at("InputRow").at("properties").as_object();
    CHECK(props.size() == 20);
    CHECK(props.contains(std::string(features::feature_names[0])));
    CHECK(sw.at("paths").as_object().contains("/score"));

    ep.send("POST", "/score", R"({"data": )" + test::rows_json(1, 1) + "}");
    ep.send("POST", "/score", "{bad");
    auto text = ep.send("GET", "/metrics");
    CHECK(text.content_type.rfind("text/plain", 0) == 0);
    CHECK_THAT(text.body, Catch::Contains("amlops_http_requests_total{route=\"/score\",status=\"200\"} 1"));
    CHECK_THAT(text.body, Catch::Contains("amlops_http_requests_total{route=\"/score\",status=\"400\"} 1"));
    CHECK_THAT(text.body, Catch::Contains("amlops_request_duration_seconds_bucket{le=\"+Inf\"} 2"));
    CHECK_THAT(text.body, Catch::Contains("amlops_requests_in_flight 0"));
    CHECK_THAT(text.body, Catch::Contains("amlops_model_info{deployment=\"blue\",model_name=\"blue-model\",model_version=\"\"} 1"));
}

TEST_CASE("a deployment loads from a registry URI and unknown versions are 404") {
    const auto& m = test::trained_models::get();
    test::scratch_dir dir("serve-registry");
    {
        registry::workspace ws(dir / "ws");
        ws.add_registry("dev", {});
        registry::new_version v;
        v.name = "taxi-fare";
        v.artifacts_dir = m.green;
        v.created_by = "test";
        REQUIRE(ws.open("dev")->create_version(v).version.version == 1);
    }
    static logger quiet("test", log_level::quiet);
    scoring_service s({}, make_model_loader(dir / "ws", [](const std::string&) { return std::optional<std::string>{}; }, quiet));
    server::http_server srv(endpoint::config(1), s.handler());
    srv.start();
    auto put = server::fetch("127.0.0.1", srv.port(), {"PUT", "/admin/deployments/green", R"({"model": "azureml://registries/dev/models/taxi-fare/versions/1"})"});
    REQUIRE(put.status == 201);
    auto d = json::parse(put.body, "put").as_object();
    CHECK(d.at("model_name").as_string() == "taxi-fare");
    CHECK(d.at("model_version").as_string() == "1");
    s.set_traffic({{"green", 100}}, std::nullopt);
    const auto rows = test::rows_json(2, 8);
    auto r = server::fetch("127.0.0.1", srv.port(), {"POST", "/score", R"({"data": )" + rows + "}"});
    REQUIRE(r.status == 200);
    CHECK(numbers(json::parse(r.body, "r")) == direct_predictions(m.green, rows));
    auto missing = server::fetch("127.0.0.1", srv.port(), {"PUT", "/admin/deployments/blue", R"({"model": "azureml://registries/dev/models/taxi-fare/versions/9"})"});
    CHECK(missing.status == 404);
    auto bad = server::fetch("127.0.0.1", srv.port(), {"PUT", "/admin/deployments/blue", R"({"model": "azureml://registries/dev/oops"})"});
    CHECK(bad.status == 400);
}
