// MLflow tracking REST client (api/2.0/mlflow): experiments, runs, log-batch with MLflow's
// request limits, and the environment contract Azure ML compute sets up for a job.

#include "amlops/tracking/mlflow.hpp"

#include "amlops/auth/credentials.hpp"
#include "amlops/core/error.hpp"
#include "amlops/http/pipeline.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <regex>

namespace amlops::tracking {

std::vector<run_data> split_batches(const run_data& data, const batch_limits& limits) {
    if (limits.metrics == 0 || limits.params == 0 || limits.tags == 0 || limits.total == 0)
        throw error(error_kind::internal, "MLflow batch limits must be positive");
    std::vector<run_data> out;
    std::size_t m = 0, p = 0, t = 0;
    // Greedy: fill each batch with params first (the scarcest kind), then tags, then metrics.
    while (m < data.metrics.size() || p < data.params.size() || t < data.tags.size()) {
        run_data b;
        std::size_t room = limits.total;
        const std::size_t np = std::min({limits.params, room, data.params.size() - p});
        b.params.assign(data.params.begin() + static_cast<std::ptrdiff_t>(p), data.params.begin() + static_cast<std::ptrdiff_t>(p + np));
        p += np;
        room -= np;
        const std::size_t nt = std::min({limits.tags, room, data.tags.size() - t});
        b.tags.assign(data.tags.begin() + static_cast<std::ptrdiff_t>(t), data.tags.begin() + static_cast<std::ptrdiff_t>(t + nt));
        t += nt;
        room -= nt;
        const std::size_t nm = std::min({limits.metrics, room, data.metrics.size() - m});
        b.metrics.assign(data.metrics.begin() + static_cast<std::ptrdiff_t>(m), data.metrics.begin() + static_cast<std::ptrdiff_t>(m + nm));
        m += nm;
        out.push_back(std::move(b));
    }
    return out;
}

// azureml://<host>/mlflow/v1.0/subscriptions/{s}/resourceGroups/{rg}/providers/
// Microsoft.MachineLearningServices/workspaces/{w} is what a workspace reports as its
// mlflowTrackingUri; the azureml-mlflow plugin (azureml.mlflow, its tracking-URI to service-URL
// mapping) sends its REST calls to https://<host>/mlflow/v2.0/<the same workspace path>. An
// http(s):// URI is used as given, so an explicit .../mlflow/v1.0/... base is how v1.0 is asked for.
std::string rest_base_url(const std::string& tracking_uri) {
    std::string base;
    const std::string azureml = "azureml://";
    if (tracking_uri.rfind(azureml, 0) == 0) {
        std::string rest = tracking_uri.substr(azureml.size());
        if (auto q = rest.find('?'); q != std::string::npos) rest.resize(q);
        const auto slash = rest.find('/');
        const std::string host = rest.substr(0, slash);
        const std::string path = slash == std::string::npos ? std::string{} : rest.substr(slash);
        std::string lowered = path;
        std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        const auto subs = lowered.find("/subscriptions/");
        if (host.empty() || subs == std::string::npos)
            throw error(error_kind::config, "MLFLOW_TRACKING_URI '" + tracking_uri +
                                                "' is not an Azure ML workspace tracking URI (azureml://<host>/mlflow/v1.0/subscriptions/.../workspaces/<w>)");
        base = "https://" + host + "/mlflow/v2.0" + path.substr(subs);
    } else if (tracking_uri.rfind("https://", 0) == 0 || tracking_uri.rfind("http://", 0) == 0) base = tracking_uri;
    else
        throw error(error_kind::config, "MLFLOW_TRACKING_URI '" + tracking_uri +
                                            "' is not an azureml:// or http(s):// tracking server (local file stores are not supported)");
    // A query (some Azure ML URIs carry one) is not part of the REST base.
    if (auto q = base.find('?'); q != std::string::npos) base.resize(q);
    while (!base.empty() && base.back() == '/') base.pop_back();
    http::parse_url(base);  // throws error(bad_input) for a malformed host
    return base;
}

client::client(std::shared_ptr<http::transport> transport, std::string base_url)
    : transport_(std::move(transport)), base_(std::move(base_url)) {}

namespace {

json::array pairs_json(const std::vector<key_value>& kv) {
    json::array a;
    for (const auto& [k, v] : kv) a.push_back(json::object{{"key", k}, {"value", v}});
    return a;
}

/// Thrown for MLflow's error envelope, so experiment_id can tell "absent" from "failed".
error service_error(const std::string& api, const http::response& res) {
    std::string code, message;
    try {
        const auto doc = json::parse(res.body, "MLflow error");
        if (const auto* o = doc.if_object()) {
            if (const auto* c = o->if_contains("error_code"); c && c->is_string()) code = std::string(c->as_string());
            if (const auto* m = o->if_contains("message"); m && m->is_string()) message = std::string(m->as_string());
        }
    } catch (const std::exception&) {
        // Not MLflow's envelope (a proxy page, an ARM error): keep a short prefix of the body.
        message = res.body.substr(0, 200);
    }
    error e(res.status == 401 || res.status == 403 ? error_kind::auth : error_kind::service,
            "MLflow " + api + " failed: " + (code.empty() ? "" : code + ": ") + (message.empty() ? res.reason : message));
    e.with_http_status(res.status);
    if (!code.empty()) e.with_service_code(code);
    if (auto id = res.headers.get("x-ms-request-id")) e.with_request_id(*id);
    return e;
}

}  // namespace

json::object client::call(const std::string& method, const std::string& api, const std::string& query, const json::value* body) {
    http::request req;
    req.method = method;
    req.url = base_ + "/api/2.0/mlflow/" + api + (query.empty() ? "" : "?" + query);
    req.headers.set("Accept", "application/json");
    if (body) {
        req.headers.set("Content-Type", "application/json");
        req.body = boost::json::serialize(*body);
    }
    const auto res = transport_->send(req);
    if (!res.ok()) throw service_error(api, res);
    if (res.body.empty()) return {};
    auto doc = json::parse(res.body, "MLflow " + api + " response");
    if (!doc.is_object()) throw error(error_kind::service, "MLflow " + api + " answered a non-object JSON document");
    return std::move(doc.as_object());
}

std::string client::experiment_id(const std::string& name) {
    try {
        const auto doc = call("GET", "experiments/get-by-name", http::form_encode({{"experiment_name", name}}), nullptr);
        const auto& exp = json::require(doc, "experiment", "MLflow experiments/get-by-name").as_object();
        return json::require_string(exp, "experiment_id", "MLflow experiments/get-by-name");
    } catch (const error& e) {
        if (e.context().service_code != std::optional<std::string>("RESOURCE_DOES_NOT_EXIST")) throw;
    }
    const json::value body = json::object{{"name", name}};
    try {
        return json::require_string(call("POST", "experiments/create", "", &body), "experiment_id", "MLflow experiments/create");
    } catch (const error& e) {
        // Another job created it between our two calls.
        if (e.context().service_code != std::optional<std::string>("RESOURCE_ALREADY_EXISTS")) throw;
        const auto doc = call("GET", "experiments/get-by-name", http::form_encode({{"experiment_name", name}}), nullptr);
        return json::require_string(json::require(doc, "experiment", "MLflow").as_object(), "experiment_id", "MLflow");
    }
}

std::string client::create_run(const std::string& experiment_id, std::int64_t start_time_ms, const std::string& run_name,
                               const std::vector<key_value>& tags) {
    const json::value body = json::object{
        {"experiment_id", experiment_id}, {"start_time", start_time_ms}, {"run_name", run_name}, {"tags", pairs_json(tags)}};
    const auto doc = call("POST", "runs/create", "", &body);
    const auto& info = json::require(json::require(doc, "run", "MLflow runs/create").as_object(), "info", "MLflow runs/create").as_object();
    return json::require_string(info, "run_id", "MLflow runs/create");
}

std::size_t client::log_batch(const std::string& run_id, const run_data& data, const batch_limits& limits) {
    const auto batches = split_batches(data, limits);
    for (const auto& b : batches) {
        json::array metrics;
        for (const auto& m : b.metrics)
            metrics.push_back(json::object{{"key", m.key}, {"value", m.value}, {"timestamp", m.timestamp_ms}, {"step", m.step}});
        const json::value body = json::object{
            {"run_id", run_id}, {"metrics", std::move(metrics)}, {"params", pairs_json(b.params)}, {"tags", pairs_json(b.tags)}};
        call("POST", "runs/log-batch", "", &body);
    }
    return batches.size();
}

void client::finish_run(const std::string& run_id, std::int64_t end_time_ms, const std::string& status) {
    const json::value body = json::object{{"run_id", run_id}, {"status", status}, {"end_time", end_time_ms}};
    call("POST", "runs/update", "", &body);
}

json::object client::get_run(const std::string& run_id) {
    auto doc = call("GET", "runs/get", http::form_encode({{"run_id", run_id}}), nullptr);
    return json::require(doc, "run", "MLflow runs/get").as_object();
}

bool is_azureml_workspace_url(const std::string& base_url) {
    // By path, whatever the host (regional api.azureml.ms, a private endpoint) and version.
    static const std::regex workspace_path(
        "^https?://[^/]+/mlflow/v[0-9.]+/subscriptions/[^/]+/resourcegroups/[^/]+/providers/"
        "microsoft\\.machinelearningservices/workspaces/[^/?]+/?$",
        std::regex::icase);
    return std::regex_match(base_url, workspace_path);
}

std::optional<settings> settings::from_env(const env_lookup& env) {
    auto value = [&](const char* name) -> std::optional<std::string> {
        auto v = env(name);
        if (v && v->empty()) return std::nullopt;
        return v;
    };
    auto uri = value("MLFLOW_TRACKING_URI");
    if (!uri) return std::nullopt;
    settings s;
    s.tracking_uri = *uri;
    s.run_id = value("MLFLOW_RUN_ID");
    if (!s.run_id) s.run_id = value("AZUREML_RUN_ID");  // Azure ML compute: the job's run
    s.experiment_id = value("MLFLOW_EXPERIMENT_ID");
    s.experiment_name = value("MLFLOW_EXPERIMENT_NAME");
    s.token = value("MLFLOW_TRACKING_TOKEN");
    s.username = value("MLFLOW_TRACKING_USERNAME");
    s.password = value("MLFLOW_TRACKING_PASSWORD");
    return s;
}

namespace {

/// MLFLOW_TRACKING_TOKEN as a credential: Azure ML compute hands the job a ready token.
class static_token : public http::token_credential {
public:
    explicit static_token(std::string token) : token_(std::move(token)) {}
    http::access_token get_token(const std::string&) override {
        return {token_, std::chrono::system_clock::now() + std::chrono::hours(1)};
    }
    std::string name() const override { return "MLFLOW_TRACKING_TOKEN"; }

private:
    std::string token_;
};

/// HTTP Basic authorization on every request: MLflow's MLFLOW_TRACKING_USERNAME /
/// MLFLOW_TRACKING_PASSWORD contract for tracking servers behind basic auth (MLflow
/// documentation, "Logging to a Tracking Server" environment variables; mlflow server
/// --app-name basic-auth).
class basic_auth_transport : public http::transport {
public:
    basic_auth_transport(std::shared_ptr<http::transport> inner, const std::string& user, const std::string& password)
        : inner_(std::move(inner)) {
        const std::string pair = user + ":" + password;
        std::string out(4 * ((pair.size() + 2) / 3) + 1, '\0');
        const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(pair.data()),
                                      static_cast<int>(pair.size()));
        out.resize(static_cast<std::size_t>(n));
        header_ = "Basic " + out;
    }
    http::response send(const http::request& req) override {
        http::request authorized = req;
        authorized.headers.set("Authorization", header_);
        return inner_->send(authorized);
    }

private:
    std::shared_ptr<http::transport> inner_;
    std::string header_;
};

std::shared_ptr<http::transport> default_transport(const settings& s, const env_lookup& env, amlops::logger* log) {
    http::pipeline_options p;
    p.user_agent = "amlops";
    p.log = log;
    auth::credential_options co;
    co.env = env;
    co.log = log;
    // Azure ML tracking servers need an Entra ID token; a plain MLflow server (a local
    // `mlflow server`) usually needs none, and asking the Azure chain there would only fail.
    const bool azure_ml = is_azureml_workspace_url(rest_base_url(s.tracking_uri));
    const bool basic = s.username && s.password && !s.token;
    if (s.token) p.credential = std::make_shared<static_token>(*s.token);
    else if (azure_ml && !basic) p.credential = std::make_shared<auth::cached_credential>(auth::make_default_chain(co));
    p.scope = auth::cloud_endpoints::from_env(env).arm_scope();
    http::transport_options t;
    t.env = env;
    std::shared_ptr<http::transport> inner = http::make_transport(t);
    // Under the pipeline: the basic header goes out on every attempt, retries included.
    if (basic) inner = std::make_shared<basic_auth_transport>(std::move(inner), *s.username, *s.password);
    return http::make_pipeline(p, std::move(inner));
}

}  // namespace

std::string log_run(const settings& s, const run_data& data, const std::string& run_name, const log_options& options) {
    const env_lookup env = options.env ? options.env : system_env();
    const auto now_ms = options.now_ms ? options.now_ms : [] {
        return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
    };
    client c(options.transport ? options.transport : default_transport(s, env, options.log), rest_base_url(s.tracking_uri));
    if (s.run_id) {
        c.log_batch(*s.run_id, data);
        return *s.run_id;
    }
    const std::string experiment = s.experiment_id ? *s.experiment_id : s.experiment_name ? c.experiment_id(*s.experiment_name) : "0";
    const std::string run_id = c.create_run(experiment, now_ms(), run_name, {});
    try {
        c.log_batch(run_id, data);
    } catch (const error& e) {
        // The run is ours: leave it FAILED, not RUNNING forever (MLflow's RunStatus; what
        // `mlflow.end_run(status="FAILED")` sends when a tracked block raises).
        try {
            c.finish_run(run_id, now_ms(), "FAILED");
        } catch (const error&) {
            // The original failure is the one to report.
        }
        error out(e.kind(), "MLflow run " + run_id + " ended FAILED: " + e.what());
        if (e.context().http_status) out.with_http_status(*e.context().http_status);
        if (e.context().service_code) out.with_service_code(*e.context().service_code);
        throw out;
    }
    c.finish_run(run_id, now_ms());
    return run_id;
}

}  // namespace amlops::tracking
