#include "emulator_extra.hpp"
#include "emulator_util.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <regex>
#include <set>

namespace amlops::emulator::detail {
namespace {

using json::object;

/// MLflow's error envelope.
http::response mlflow_fail(int status, const std::string& code, const std::string& message) {
    return json_reply(status, object{{"error_code", code}, {"message", message}});
}

std::int64_t epoch_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// mfe.json 2025-09-01: endpointName / deploymentName patterns and enums.
const std::regex online_name_re("^[a-zA-Z0-9][a-zA-Z0-9\\-_]{0,254}$");
const std::vector<std::string> auth_modes{"AMLToken", "Key", "AADToken"};
const std::vector<std::string> compute_types{"Managed", "Kubernetes", "AzureMLCompute"};
// MLflow: metric/param/tag keys are alphanumerics, '_', '-', '.', ' ' and '/'; at most 250 chars.
const std::regex mlflow_key_re("^[A-Za-z0-9_\\-. /]{1,250}$");

bool is_integer(const json::value& v) { return v.is_int64() || v.is_uint64(); }

}  // namespace

std::optional<http::response> extra_routes::route(const http::request& req, const std::string& path,
                                                  std::map<std::string, std::string>& query) {
    if (path == "/msi/token") return managed_identity(req, query, false);
    if (path == "/identity/token") return managed_identity(req, query, true);
    if (path == "/metadata/identity/oauth2/token") return imds(req, query);
    const std::string marker = "/api/2.0/mlflow/";
    const auto at = path.find(marker);
    if (at == std::string::npos) return std::nullopt;
    const std::string prefix = path.substr(0, at);
    if (prefix.empty()) {
        // A plain `mlflow server`: anonymous by default; behind basic auth (mlflow server
        // --app-name basic-auth) or a token-checking proxy when the options say so. MLflow's
        // clients send MLFLOW_TRACKING_USERNAME/PASSWORD as HTTP Basic and MLFLOW_TRACKING_TOKEN
        // as a bearer token (MLflow docs, tracking server authentication environment variables).
        const auto h = req.headers.get("Authorization").value_or("");
        if (!ctx_.opt.mlflow_basic_user.empty()) {
            const std::string pair = ctx_.opt.mlflow_basic_user + ":" + ctx_.opt.mlflow_basic_password;
            std::string encoded(4 * ((pair.size() + 2) / 3) + 1, '\0');
            encoded.resize(static_cast<std::size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                                                    reinterpret_cast<const unsigned char*>(pair.data()),
                                                                    static_cast<int>(pair.size()))));
            if (h != "Basic " + encoded) return mlflow_fail(401, "UNAUTHENTICATED", "You are not authenticated. Please provide valid basic auth credentials.");
        }
        if (!ctx_.opt.mlflow_bearer_token.empty() && h != "Bearer " + ctx_.opt.mlflow_bearer_token)
            return mlflow_fail(401, "UNAUTHENTICATED", "a valid bearer token is required");
    } else {
        // Azure ML form: /mlflow/v1.0 or /mlflow/v2.0 (the azureml-mlflow plugin's base) +
        // /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}
        const std::string head = prefix.substr(0, 12);
        if (head != "/mlflow/v1.0" && head != "/mlflow/v2.0") return mlflow_fail(404, "ENDPOINT_NOT_FOUND", "no MLflow route under " + prefix);
        const std::string workspace = lower(prefix.substr(head.size()));
        static const std::regex ws_re("^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\\.machinelearningservices/workspaces/[^/]+$");
        if (!std::regex_match(workspace, ws_re)) return mlflow_fail(404, "ENDPOINT_NOT_FOUND", "not a workspace tracking URI: " + prefix);
        if (!ctx_.resources.count(workspace)) return arm_error(404, "ResourceNotFound", "workspace " + prefix.substr(head.size()) + " not found");
        // Azure ML's tracking service wants an Entra ID token; the root form is a plain
        // `mlflow server`, which accepts anonymous requests by default.
        const auto h = req.headers.get("Authorization");
        if (!h || h->rfind("Bearer ", 0) != 0 || !ctx_.tokens.count(h->substr(7)))
            return mlflow_fail(401, "UNAUTHENTICATED", "a valid bearer token is required");
    }
    return mlflow(req, path.substr(at + marker.size()), query);
}

// ------------------------------------------------------------------------------ managed identity
http::response extra_routes::managed_identity(const http::request& req, std::map<std::string, std::string>& query,
                                              bool app_service) {
    auto fail = [](int status, const std::string& code, const std::string& desc) {
        return json_reply(status, object{{"error", code}, {"error_description", desc}});
    };
    if (req.method != "GET") return fail(405, "invalid_request", "managed identity tokens are requested with GET");
    const std::string version = app_service ? "2019-08-01" : "2017-09-01";
    if (query["api-version"] != version) return fail(400, "invalid_request", "api-version must be " + version);
    const auto header = req.headers.get(app_service ? "X-IDENTITY-HEADER" : "secret");
    const std::string& expected = app_service ? ctx_.opt.identity_header : ctx_.opt.msi_secret;
    if (expected.empty() || header != std::optional<std::string>(expected))
        return fail(401, "unauthorized_client", std::string(app_service ? "X-IDENTITY-HEADER" : "secret") + " header is missing or wrong");
    if (query["resource"].empty()) return fail(400, "invalid_resource", "resource is required");
    // One user-assigned identity is attached; asking for another one fails like on Azure.
    const std::string client_param = app_service ? "client_id" : "clientid";
    if (auto it = query.find(client_param); it != query.end() && it->second != ctx_.opt.managed_identity_client_id)
        return fail(400, "invalid_request", "Identity not found: " + client_param + " '" + it->second + "' is not assigned to this compute");
    const std::string tok = "emu-mi-token-" + ctx_.next_id();
    ctx_.tokens.insert(tok);
    // 2019-08-01 answers expires_on as a string of epoch seconds; the legacy 2017-09-01 API of
    // App Service answers a date string, "MM/DD/YYYY hh:mm:ss AM|PM +00:00" (Azure App Service
    // docs, managed identity REST protocol, 2017-09-01 response; azure-identity parses it).
    std::string expires_on = std::to_string(epoch_seconds() + 3600);
    if (!app_service && ctx_.opt.msi_expires_on_date) {
        const std::time_t t = static_cast<std::time_t>(epoch_seconds() + 3600);
        std::tm tm{};
        gmtime_r(&t, &tm);
        char buf[64];
        expires_on.assign(buf, std::strftime(buf, sizeof buf, "%m/%d/%Y %I:%M:%S %p +00:00", &tm));
    }
    object out{{"access_token", tok}, {"expires_on", expires_on}, {"resource", query["resource"]}, {"token_type", "Bearer"}};
    if (app_service) out["client_id"] = ctx_.opt.managed_identity_client_id;
    return json_reply(200, out);
}

// ------------------------------------------------------------------------------ IMDS
// Azure VM managed identity (Azure docs, "How to use managed identities for Azure resources on
// an Azure VM to acquire an access token": GET /metadata/identity/oauth2/token, api-version
// 2018-02-01, header Metadata: true; errors: 400 "Identity not found" when no identity is
// assigned or the requested one is not, 404 while IMDS updates, 429 throttling, 5xx transient).
// The answer carries expires_in and expires_on as strings of seconds.
http::response extra_routes::imds(const http::request& req, std::map<std::string, std::string>& query) {
    auto fail = [](int status, const std::string& code, const std::string& desc) {
        return json_reply(status, object{{"error", code}, {"error_description", desc}});
    };
    if (req.method != "GET") return fail(405, "invalid_request", "IMDS tokens are requested with GET");
    if (req.headers.get("Metadata") != std::optional<std::string>("true"))
        return fail(400, "invalid_request", "Required metadata header not specified");
    if (query["api-version"] != "2018-02-01") return fail(400, "invalid_request", "api-version must be 2018-02-01 here");
    if (imds_calls_ < ctx_.opt.imds_statuses.size()) {
        const int status = ctx_.opt.imds_statuses[imds_calls_++];
        return fail(status, status == 429 ? "too_many_requests" : "temporarily_unavailable", "injected IMDS status");
    }
    if (!ctx_.opt.imds_identity) return fail(400, "invalid_request", "Identity not found");
    if (query["resource"].empty()) return fail(400, "invalid_request", "resource is required");
    if (auto it = query.find("client_id"); it != query.end() && it->second != ctx_.opt.managed_identity_client_id)
        return fail(400, "invalid_request", "Identity not found");
    const std::string tok = "emu-imds-token-" + ctx_.next_id();
    ctx_.tokens.insert(tok);
    return json_reply(200, object{{"access_token", tok}, {"expires_in", "3599"}, {"expires_on", std::to_string(epoch_seconds() + 3599)},
                             {"resource", query["resource"]}, {"token_type", "Bearer"}});
}

// ------------------------------------------------------------------------------ online endpoints
http::response extra_routes::online(const http::request& req, const std::string& path, const std::vector<std::string>& parts,
                                    std::map<std::string, std::string>& query) {
    // parts: subscriptions s resourceGroups rg providers ns workspaces ws onlineEndpoints [e [deployments [d]]]
    const std::string key = lower(path);
    const bool deployment = parts.size() >= 11;
    if (parts.size() == 9 || parts.size() == 11) {
        if (parts.size() == 11 && parts[10] != "deployments") return arm_error(404, "NotFound", "no route for " + path);
        if (req.method != "GET") return arm_error(405, "MethodNotAllowed", req.method);
        if (parts.size() == 11 && !ctx_.resources.count(lower(join(parts, 10))))
            return arm_error(404, "ResourceNotFound", "online endpoint '" + parts[9] + "' not found");
        return ctx_.list(key, query, path);
    }
    if (parts.size() != 10 && parts.size() != 12) return arm_error(404, "NotFound", "no route for " + path);
    const std::string& name = parts.back();
    if (!std::regex_match(name, online_name_re))
        return arm_error(400, "ValidationError", "name '" + name + "' must match ^[a-zA-Z0-9][a-zA-Z0-9\\-_]{0,254}$",
                        deployment ? "deploymentName" : "endpointName");
    const std::string endpoint_key = lower(join(parts, 10));
    if (deployment && !ctx_.resources.count(endpoint_key))
        return arm_error(404, "ResourceNotFound", "online endpoint '" + parts[9] + "' not found");
    if (req.method == "GET") {
        auto it = ctx_.resources.find(key);
        if (it == ctx_.resources.end()) return arm_error(404, "ResourceNotFound", "The Resource '" + name + "' was not found.");
        return json_reply(200, it->second);
    }
    if (req.method == "DELETE") {
        if (!ctx_.resources.count(key)) return json_reply(204, object{});
        if (!deployment) {
            std::vector<std::string> children;
            for (const auto& [k, v] : ctx_.resources)
                if (k.rfind(key + "/", 0) == 0) children.push_back(k);
            for (const auto& k : children) ctx_.erase(k);
        }
        ctx_.erase(key);
        return json_reply(200, object{});
    }
    if (req.method != "PUT") return arm_error(405, "MethodNotAllowed", req.method);
    const auto body = json::parse(req.body, "request body");
    const auto* o = body.if_object();
    if (!o) return arm_error(400, "InvalidRequestContent", "the body must be a JSON object");
    const auto* loc = o->if_contains("location");
    if (!loc || !loc->is_string() || loc->as_string().empty())
        return arm_error(400, "LocationRequired", "The location property is required for this definition.", "location");
    const auto* props_v = o->if_contains("properties");
    if (!props_v || !props_v->is_object()) return arm_error(400, "ValidationError", "The properties field is required.", "properties");
    object props = props_v->as_object();
    auto in_enum = [](const json::value* v, const std::vector<std::string>& allowed) {
        return v && v->is_string() && std::find(allowed.begin(), allowed.end(), std::string(v->as_string())) != allowed.end();
    };
    if (!deployment) {
        if (!in_enum(props.if_contains("authMode"), auth_modes))
            return arm_error(400, "ValidationError", "properties.authMode is required: one of AMLToken, Key, AADToken.", "properties.authMode");
        if (const auto* traffic = props.if_contains("traffic")) {
            if (!traffic->is_object()) return arm_error(400, "ValidationError", "properties.traffic must be a map", "properties.traffic");
            std::int64_t sum = 0;
            for (const auto& [d, pct] : traffic->as_object()) {
                if (!is_integer(pct) || pct.to_number<std::int64_t>() < 0 || pct.to_number<std::int64_t>() > 100)
                    return arm_error(400, "ValidationError", "traffic values are integers 0..100", "properties.traffic");
                if (!ctx_.resources.count(key + "/deployments/" + lower(std::string(d))))
                    return arm_error(400, "ValidationError", "traffic refers to deployment '" + std::string(d) + "', which does not exist",
                                    "properties.traffic");
                sum += pct.to_number<std::int64_t>();
            }
            if (!traffic->as_object().empty() && sum != 100)
                return arm_error(400, "ValidationError", "traffic must add up to 100 (got " + std::to_string(sum) + ")", "properties.traffic");
        }
        props["scoringUri"] = ctx_.base() + "/score/" + name;
    } else {
        if (!in_enum(props.if_contains("endpointComputeType"), compute_types))
            return arm_error(400, "ValidationError", "properties.endpointComputeType is required: one of Managed, Kubernetes, AzureMLCompute.",
                            "properties.endpointComputeType");
    }
    props["provisioningState"] = "Creating";
    object res = *o;
    res["id"] = path;
    res["name"] = name;
    res["type"] = deployment ? "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
                             : "Microsoft.MachineLearningServices/workspaces/onlineEndpoints";
    res["properties"] = props;
    const bool existed = ctx_.resources.count(key) > 0;
    ctx_.store(key, res);
    return json_reply(existed ? 200 : 201, res, ctx_.start_lro(parts[1], key));
}

// ------------------------------------------------------------------------------ MLflow
http::response extra_routes::mlflow(const http::request& req, const std::string& api, std::map<std::string, std::string>& query) {
    auto body_of = [&]() -> std::optional<object> {
        try {
            auto v = json::parse(req.body, "request body");
            if (v.is_object()) return v.as_object();
        } catch (const std::exception&) {
        }
        return std::nullopt;
    };
    auto string_field = [](const object& o, const char* k) -> std::optional<std::string> {
        const auto* v = o.if_contains(k);
        if (!v || !v->is_string() || v->as_string().empty()) return std::nullopt;
        return std::string(v->as_string());
    };
    auto run_json = [](const run& r) {
        json::array metrics, params, tags;
        // runs/get reports the latest value of each metric.
        std::map<std::string, object> latest;
        for (const auto& m : r.metrics) latest[std::string(m.at("key").as_string())] = m;
        for (auto& [k, m] : latest) metrics.push_back(m);
        for (const auto& [k, v] : r.params) params.push_back(object{{"key", k}, {"value", v}});
        for (const auto& [k, v] : r.tags) tags.push_back(object{{"key", k}, {"value", v}});
        return object{{"info", r.info}, {"data", object{{"metrics", metrics}, {"params", params}, {"tags", tags}}}};
    };

    if (api == "experiments/get-by-name" && req.method == "GET") {
        for (const auto& [id, name] : experiments_)
            if (name == query["experiment_name"])
                return json_reply(200, object{{"experiment", object{{"experiment_id", id}, {"name", name}, {"lifecycle_stage", "active"}}}});
        return mlflow_fail(404, "RESOURCE_DOES_NOT_EXIST", "Could not find experiment with name '" + query["experiment_name"] + "'");
    }
    if (api == "experiments/get" && req.method == "GET") {
        auto it = experiments_.find(query["experiment_id"]);
        if (it == experiments_.end()) return mlflow_fail(404, "RESOURCE_DOES_NOT_EXIST", "No experiment with id '" + query["experiment_id"] + "'");
        return json_reply(200, object{{"experiment", object{{"experiment_id", it->first}, {"name", it->second}, {"lifecycle_stage", "active"}}}});
    }
    if (api == "runs/get" && req.method == "GET") {
        auto it = runs_.find(query["run_id"]);
        if (it == runs_.end()) return mlflow_fail(404, "RESOURCE_DOES_NOT_EXIST", "Run '" + query["run_id"] + "' not found");
        return json_reply(200, object{{"run", run_json(it->second)}});
    }
    if (req.method != "POST") return mlflow_fail(404, "ENDPOINT_NOT_FOUND", req.method + " " + api);
    const auto body = body_of();
    if (!body) return mlflow_fail(400, "MALFORMED_REQUEST", "the request body must be a JSON object");
    if (api == "experiments/create") {
        const auto name = string_field(*body, "name");
        if (!name) return mlflow_fail(400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'name'");
        for (const auto& [id, n] : experiments_)
            if (n == *name) return mlflow_fail(400, "RESOURCE_ALREADY_EXISTS", "Experiment '" + *name + "' already exists.");
        const std::string id = ctx_.next_id();
        experiments_[id] = *name;
        return json_reply(200, object{{"experiment_id", id}});
    }
    if (api == "runs/create") {
        const auto exp = string_field(*body, "experiment_id");
        if (!exp || !experiments_.count(*exp)) return mlflow_fail(404, "RESOURCE_DOES_NOT_EXIST", "No experiment with id '" + exp.value_or("") + "'");
        const auto* start = body->if_contains("start_time");
        if (start && !is_integer(*start)) return mlflow_fail(400, "INVALID_PARAMETER_VALUE", "start_time must be an integer (ms)");
        const std::string id = "emurun" + ctx_.next_id();
        run r;
        r.info = object{{"run_id", id}, {"run_uuid", id}, {"experiment_id", *exp}, {"status", "RUNNING"},
                        {"start_time", start ? *start : json::value(0)}, {"lifecycle_stage", "active"},
                        {"run_name", string_field(*body, "run_name").value_or(id)}};
        if (const auto* tags = body->if_contains("tags"); tags && tags->is_array())
            for (const auto& t : tags->as_array())
                if (t.is_object()) r.tags[std::string(t.at("key").as_string())] = std::string(t.at("value").as_string());
        runs_[id] = r;
        return json_reply(200, object{{"run", run_json(runs_[id])}});
    }
    if (api == "runs/update") {
        const auto id = string_field(*body, "run_id");
        auto it = id ? runs_.find(*id) : runs_.end();
        if (it == runs_.end()) return mlflow_fail(404, "RESOURCE_DOES_NOT_EXIST", "Run '" + id.value_or("") + "' not found");
        const auto status = string_field(*body, "status");
        static const std::vector<std::string> statuses{"RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"};
        if (status && std::find(statuses.begin(), statuses.end(), *status) == statuses.end())
            return mlflow_fail(400, "INVALID_PARAMETER_VALUE", "Invalid run status '" + *status + "'");
        if (status) it->second.info["status"] = *status;
        if (const auto* end = body->if_contains("end_time")) it->second.info["end_time"] = *end;
        return json_reply(200, object{{"run_info", it->second.info}});
    }
    if (api == "runs/log-batch") return log_batch(*body);
    if (api == "runs/search") {
        // MLflow REST: runs/search {experiment_ids} -> {runs}; filters and paging are not emulated.
        std::set<std::string> wanted;
        if (const auto* ids = body->if_contains("experiment_ids"); ids && ids->is_array())
            for (const auto& id : ids->as_array())
                if (id.is_string()) wanted.insert(std::string(id.as_string()));
        json::array found;
        for (const auto& [id, r] : runs_)
            if (wanted.count(std::string(r.info.at("experiment_id").as_string()))) found.push_back(run_json(r));
        return json_reply(200, object{{"runs", found}});
    }
    return mlflow_fail(404, "ENDPOINT_NOT_FOUND", "POST " + api);
}

http::response extra_routes::log_batch(const object& body) {
    auto invalid = [](const std::string& m) { return mlflow_fail(400, "INVALID_PARAMETER_VALUE", m); };
    const auto* id = body.if_contains("run_id");
    if (!id || !id->is_string() || id->as_string().empty()) return invalid("Missing value for required parameter 'run_id'");
    auto it = runs_.find(std::string(id->as_string()));
    if (it == runs_.end()) return mlflow_fail(404, "RESOURCE_DOES_NOT_EXIST", "Run '" + std::string(id->as_string()) + "' not found");
    auto& r = it->second;
    if (r.info["status"] != "RUNNING") return invalid("The run " + std::string(id->as_string()) + " must be in the 'RUNNING' state");
    auto array_of = [&](const char* k) -> const json::array* {
        static const json::array none;
        const auto* v = body.if_contains(k);
        if (!v) return &none;
        return v->if_array();
    };
    const auto *metrics = array_of("metrics"), *params = array_of("params"), *tags = array_of("tags");
    if (!metrics || !params || !tags) return invalid("metrics, params and tags must be arrays");
    if (metrics->size() > 1000) return invalid("A batch logging request can contain at most 1000 metrics. Got " + std::to_string(metrics->size()) + " metrics.");
    if (params->size() > 100) return invalid("A batch logging request can contain at most 100 params. Got " + std::to_string(params->size()) + " params.");
    if (tags->size() > 100) return invalid("A batch logging request can contain at most 100 tags. Got " + std::to_string(tags->size()) + " tags.");
    if (metrics->size() + params->size() + tags->size() > 1000) return invalid("A batch logging request can contain at most 1000 metrics, params and tags in total.");
    // Validate everything before storing anything, so a refused batch leaves no partial state.
    for (const auto& m : *metrics) {
        const auto* o = m.if_object();
        if (!o) return invalid("every metric must be an object");
        const auto* k = o->if_contains("key");
        if (!k || !k->is_string() || !std::regex_match(std::string(k->as_string()), mlflow_key_re)) return invalid("Invalid metric name");
        const auto* v = o->if_contains("value");
        if (!v || !v->is_number() || !std::isfinite(v->to_number<double>())) return invalid("metric '" + std::string(k->as_string()) + "' needs a numeric value");
        const auto* ts = o->if_contains("timestamp");
        if (!ts || !is_integer(*ts)) return invalid("metric '" + std::string(k->as_string()) + "' needs an integer timestamp (ms)");
        if (const auto* step = o->if_contains("step"); step && !is_integer(*step)) return invalid("metric step must be an integer");
    }
    std::map<std::string, std::string> new_params;
    for (const auto& p : *params) {
        const auto* o = p.if_object();
        const auto* k = o ? o->if_contains("key") : nullptr;
        const auto* v = o ? o->if_contains("value") : nullptr;
        if (!k || !k->is_string() || !std::regex_match(std::string(k->as_string()), mlflow_key_re)) return invalid("Invalid param name");
        if (!v || !v->is_string()) return invalid("param '" + std::string(k->as_string()) + "' needs a string value");
        if (v->as_string().size() > 6000) return invalid("param '" + std::string(k->as_string()) + "' value exceeds 6000 characters");
        const std::string key(k->as_string()), value(v->as_string());
        if (auto old = r.params.find(key); old != r.params.end() && old->second != value)
            return invalid("Changing param values is not allowed. Param with key='" + key + "' was already logged with value='" + old->second +
                           "' for run ID='" + std::string(id->as_string()) + "'. Attempted logging new value '" + value + "'.");
        new_params[key] = value;
    }
    for (const auto& t : *tags) {
        const auto* o = t.if_object();
        const auto* k = o ? o->if_contains("key") : nullptr;
        const auto* v = o ? o->if_contains("value") : nullptr;
        if (!k || !k->is_string() || !std::regex_match(std::string(k->as_string()), mlflow_key_re) || !v || !v->is_string())
            return invalid("every tag needs a valid key and a string value");
    }
    for (const auto& m : *metrics) {
        object o = m.as_object();
        if (!o.contains("step")) o["step"] = 0;
        r.metrics.push_back(o);
    }
    for (auto& [k, v] : new_params) r.params[k] = v;
    for (const auto& t : *tags) r.tags[std::string(t.at("key").as_string())] = std::string(t.at("value").as_string());
    return json_reply(200, object{});
}

}  // namespace amlops::emulator::detail
