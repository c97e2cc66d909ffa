// libs/tracking without a server: batch splitting, tracking URI mapping, the environment
// contract, the request sequence of log_run, what each tool logs, and the failure policy.
#include "amlops/tracking/tool_run.hpp"

#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <mutex>

using namespace amlops;
using Catch::Matchers::Contains;

namespace {

/// Answers from a script and records every request.
class fake_transport : public http::transport {
public:
    std::function<http::response(const http::request&)> answer;
    std::vector<http::request> seen;
    http::response send(const http::request& req) override {
        seen.push_back(req);
        return answer(req);
    }
};

http::response ok(const json::value& body) { return {200, "OK", {{"Content-Type", "application/json"}}, boost::json::serialize(body)}; }

env_lookup env_of(std::map<std::string, std::string> vars) {
    return [vars](const std::string& k) -> std::optional<std::string> {
        auto it = vars.find(k);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

std::string api_of(const http::request& r) {
    const auto at = r.url.find("/api/2.0/mlflow/");
    return r.url.substr(at + 16, r.url.find('?') == std::string::npos ? std::string::npos : r.url.find('?') - at - 16);
}

}  // namespace

TEST_CASE("split_batches respects every MLflow limit and keeps order") {
    tracking::run_data d;
    for (int i = 0; i < 2500; ++i) d.metrics.push_back({"m" + std::to_string(i), double(i), 1, 0});
    for (int i = 0; i < 250; ++i) d.params.push_back({"p" + std::to_string(i), "v"});
    for (int i = 0; i < 150; ++i) d.tags.push_back({"t" + std::to_string(i), "v"});
    const auto batches = tracking::split_batches(d);
    std::size_t m = 0, p = 0, t = 0;
    for (const auto& b : batches) {
        CHECK(b.metrics.size() <= 1000);
        CHECK(b.params.size() <= 100);
        CHECK(b.tags.size() <= 100);
        CHECK(b.metrics.size() + b.params.size() + b.tags.size() <= 1000);
        for (const auto& x : b.metrics) CHECK(x.key == "m" + std::to_string(m++));
        for (const auto& x : b.params) CHECK(x.key == "p" + std::to_string(p++));
        for (const auto& x : b.tags) CHECK(x.key == "t" + std::to_string(t++));
    }
    CHECK(m == 2500);
    CHECK(p == 250);
    CHECK(t == 150);
    CHECK(batches.size() == 3);
    CHECK(tracking::split_batches({}).empty());
}

TEST_CASE("tracking URIs: azureml:// becomes the https v2.0 base, http(s) stays, local stores are refused") {
    CHECK(tracking::rest_base_url("azureml://westeurope.api.azureml.ms/mlflow/v1.0/subscriptions/s/resourceGroups/rg/providers/"
                                  "Microsoft.MachineLearningServices/workspaces/ws") ==
          "https://westeurope.api.azureml.ms/mlflow/v2.0/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws");
    CHECK(tracking::is_azureml_workspace_url("https://pe.example/mlflow/v2.0/subscriptions/s/resourceGroups/rg/providers/"
                                             "Microsoft.MachineLearningServices/workspaces/ws"));
    CHECK_FALSE(tracking::is_azureml_workspace_url("https://mlflow.example.com"));
    CHECK(tracking::rest_base_url("https://mlflow.example.com/") == "https://mlflow.example.com");
    CHECK(tracking::rest_base_url("http://127.0.0.1:5000/x?a=b") == "http://127.0.0.1:5000/x");
    CHECK_THROWS_WITH(tracking::rest_base_url("file:///tmp/mlruns"), Contains("file:///tmp/mlruns"));
    CHECK_THROWS_AS(tracking::rest_base_url("databricks"), error);
}

TEST_CASE("settings from the environment: MLFLOW_RUN_ID first, else AZUREML_RUN_ID, unset URI means off") {
    CHECK_FALSE(tracking::settings::from_env(env_of({})).has_value());
    CHECK_FALSE(tracking::settings::from_env(env_of({{"MLFLOW_TRACKING_URI", ""}})).has_value());
    auto s = tracking::settings::from_env(env_of({{"MLFLOW_TRACKING_URI", "http://127.0.0.1:1"}, {"AZUREML_RUN_ID", "aml-run"}}));
    REQUIRE(s);
    CHECK(s->run_id == std::optional<std::string>("aml-run"));
    s = tracking::settings::from_env(env_of({{"MLFLOW_TRACKING_URI", "http://127.0.0.1:1"}, {"AZUREML_RUN_ID", "aml"}, {"MLFLOW_RUN_ID", "ml"}}));
    CHECK(s->run_id == std::optional<std::string>("ml"));
}

TEST_CASE("log_run without a run id: experiment by name (created when absent), new run, batches, FINISHED") {
    auto t = std::make_shared<fake_transport>();
    t->answer = [](const http::request& r) -> http::response {
        const auto api = api_of(r);
        if (api == "experiments/get-by-name")
            return {404, "Not Found", {}, R"({"error_code":"RESOURCE_DOES_NOT_EXIST","message":"no such experiment"})"};
        if (api == "experiments/create") return ok(json::object{{"experiment_id", "17"}});
        if (api == "runs/create") return ok(json::object{{"run", json::object{{"info", json::object{{"run_id", "r-1"}}}}}});
        return ok(json::object{});
    };
    tracking::settings s;
    s.tracking_uri = "http://127.0.0.1:9/base/";
    s.experiment_name = "taxi fare";
    tracking::run_data d;
    for (int i = 0; i < 1001; ++i) d.metrics.push_back({"m" + std::to_string(i), 0.25, 42, 0});
    tracking::log_options o;
    o.transport = t;
    o.now_ms = [] { return std::int64_t{1700000000000}; };
    CHECK(tracking::log_run(s, d, "aml-train", o) == "r-1");
    std::vector<std::string> apis;
    for (const auto& r : t->seen) apis.push_back(api_of(r));
    CHECK(apis == std::vector<std::string>{"experiments/get-by-name", "experiments/create", "runs/create", "runs/log-batch",
                                           "runs/log-batch", "runs/update"});
    CHECK_THAT(t->seen[0].url, Contains("http://127.0.0.1:9/base/api/2.0/mlflow/experiments/get-by-name?experiment_name=taxi%20fare"));
    const auto create = json::parse(t->seen[2].body, "runs/create").as_object();
    CHECK(create.at("experiment_id").as_string() == "17");
    CHECK(create.at("start_time").to_number<std::int64_t>() == 1700000000000);
    const auto batch = json::parse(t->seen[3].body, "log-batch").as_object();
    CHECK(batch.at("run_id").as_string() == "r-1");
    CHECK(batch.at("metrics").as_array().size() == 1000);
    const auto& m0 = batch.at("metrics").as_array()[0].as_object();
    CHECK(m0.at("key").as_string() == "m0");
    CHECK(m0.at("value").to_number<double>() == 0.25);
    CHECK(m0.at("timestamp").to_number<std::int64_t>() == 42);
    CHECK(m0.at("step").to_number<std::int64_t>() == 0);
    CHECK(json::parse(t->seen[5].body, "runs/update").as_object().at("status").as_string() == "FINISHED");
}

TEST_CASE("what each tool logs: compare decision, metrics and policy, score metrics, no nulls or non-numbers") {
    const auto cmp = json::parse(R"({"decision":"reject","policy":{"primary_metric":"rmse","max_rmse":null,"min_relative_improvement":0.01},
        "metrics":{"candidate":{"rmse":3.5,"n":10},"champion":{"rmse":3.0,"n":10},"delta":null},"reasons":["worse"]})", "t").as_object();
    const auto d = tracking::tool_run_data("aml-compare", cmp, 5);
    std::map<std::string, double> metrics;
    for (const auto& m : d.metrics) metrics[m.key] = m.value;
    CHECK(metrics == std::map<std::string, double>{{"approved", 0}, {"candidate.n", 10}, {"candidate.rmse", 3.5}, {"champion.n", 10}, {"champion.rmse", 3.0}});
    std::map<std::string, std::string> params;
    for (const auto& p : d.params) params[p.key] = p.value;
    CHECK(params == std::map<std::string, std::string>{{"policy.primary_metric", "rmse"}, {"policy.min_relative_improvement", "0.01"}});
    bool tagged = false;
    for (const auto& tg : d.tags) tagged |= tg.key == "amlops.decision" && tg.value == "reject";
    CHECK(tagged);

    const auto score = json::parse(R"({"rows":7,"metrics":{"rmse":1.5,"quantiles":{"p50":0.5}}})", "t").as_object();
    const auto s = tracking::tool_run_data("aml-score", score, 5);
    metrics.clear();
    for (const auto& m : s.metrics) metrics[m.key] = m.value;
    CHECK(metrics == std::map<std::string, double>{{"score.quantiles.p50", 0.5}, {"score.rmse", 1.5}, {"score.rows", 7}});
}

TEST_CASE("log_tool_result: off without MLFLOW_TRACKING_URI, a failure is a warning plus result.mlflow, or exit 1 when required") {
    std::vector<std::string> lines;
    std::mutex m;
    logger log("aml-score", log_level::info, log_format::text, [&](std::string_view l) {
        std::lock_guard lock(m);
        lines.emplace_back(l);
    });
    const json::value result = json::object{{"rows", 3}, {"metrics", json::object{{"rmse", 2.0}}}};
    auto failing = std::make_shared<fake_transport>();
    failing->answer = [](const http::request&) {
        return http::response{500, "Internal Server Error", {}, R"({"error_code":"INTERNAL_ERROR","message":"boom"})"};
    };
    {
        const auto env = env_of({});
        tracking::log_options o;
        o.transport = failing;
        CHECK(tracking::log_tool_result(env, log, "aml-score", result, {}, o) == result);
        CHECK(failing->seen.empty());
    }
    {
        const auto env = env_of({{"MLFLOW_TRACKING_URI", "http://127.0.0.1:9"}, {"MLFLOW_RUN_ID", "r"}});
        tracking::log_options o;
        o.transport = failing;
        const auto out = tracking::log_tool_result(env, log, "aml-score", result, {}, o);
        const auto& ml = out.at("mlflow").as_object();
        CHECK(ml.at("status").as_string() == "failed");
        CHECK_THAT(std::string(ml.at("error").as_string()), Contains("INTERNAL_ERROR: boom"));
        CHECK(out.at("metrics").at("rmse").to_number<double>() == 2.0);  // the result itself is intact
        bool warned = false;
        for (const auto& l : lines) warned |= l.find("MLflow logging failed") != std::string::npos;
        CHECK(warned);
    }
    {
        const auto env = env_of({{"MLFLOW_TRACKING_URI", "http://127.0.0.1:9"}, {"MLFLOW_RUN_ID", "r"}, {"AMLOPS_MLFLOW_REQUIRED", "1"}});
        tracking::log_options o;
        o.transport = failing;
        CHECK_THROWS_AS(tracking::log_tool_result(env, log, "aml-score", result, {}, o), error);
    }
}
