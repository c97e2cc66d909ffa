#include "amlops/deploy/azureml_endpoint.hpp"

#include "amlops/azureml_jobs/workspace.hpp"
#include "amlops/core/error.hpp"
#include "amlops/core/json.hpp"

#include <algorithm>
#include <cstdio>
#include <regex>

namespace amlops::deploy {

namespace {

const std::regex endpoint_re("^(azureml://subscriptions/[^/]+/resourcegroups/[^/]+/workspaces/[^/]+)/onlineendpoints/([^/]+)$", std::regex::icase);

std::string str(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->as_string());
    return {};
}

const json::object& props_of(const json::value& doc) {
    static const json::object empty;
    const auto* p = doc.is_object() ? doc.as_object().if_contains("properties") : nullptr;
    return p && p->is_object() ? p->as_object() : empty;
}

traffic_map traffic_from(const json::object& props, std::string_view key) {
    traffic_map t;
    if (const auto* v = props.if_contains(key); v && v->is_object())
        for (const auto& [name, w] : v->as_object())
            if (w.is_int64() || w.is_uint64()) t[std::string(name)] = static_cast<int>(w.to_number<std::int64_t>());
    return t;
}

/// The SDK's _strip_zeroes_from_traffic: entries at 0 are not sent.
json::object without_zeroes(const traffic_map& t) {
    json::object o;
    for (const auto& [name, w] : t)
        if (w != 0) o[name] = w;
    return o;
}

std::string iso_seconds(int seconds) { return "PT" + std::to_string(seconds) + "S"; }

std::string iso_millis(int ms) {
    if (ms % 1000 == 0) return iso_seconds(ms / 1000);
    char buf[32];
    std::snprintf(buf, sizeof buf, "PT%d.%03dS", ms / 1000, ms % 1000);
    return buf;
}

/// model name and version of an azureml://registries/<r>/models/<name>/versions/<v> URI or ARM id.
std::pair<std::string, std::string> model_parts(const std::string& model) {
    static const std::regex re("/models/([^/]+)/versions/([^/]+)$");
    std::smatch m;
    if (std::regex_search(model, m, re)) return {m[1].str(), m[2].str()};
    return {model, ""};
}

}  // namespace

bool is_azureml_endpoint(const std::string& uri) noexcept { return uri.rfind("azureml://", 0) == 0; }

struct azureml_endpoint::impl {
    std::unique_ptr<azureml_jobs::workspace_session> ws;
    arm::resource_id id;
    endpoint_options options;
    std::string location, key, scoring_uri;
    std::shared_ptr<http::transport> scoring;

    std::string ws_location() {
        if (location.empty()) {
            const auto doc = ws->arm().get(ws->id());
            location = str(doc.as_object(), "location");
            if (location.empty()) location = "westeurope";
        }
        return location;
    }

    json::value endpoint_doc() { return ws->arm().get(id); }

    std::string environment_id() const {
        const auto& e = options.deployment.environment;
        if (e.empty())
            throw error(error_kind::usage, "an Azure ML deployment needs an environment (--environment azureml:NAME:VERSION)").on_field("environment");
        if (e.rfind("azureml:/subscriptions/", 0) == 0) return e.substr(8);
        if (e.rfind("/subscriptions/", 0) == 0 || e.rfind("azureml://registries/", 0) == 0) return e;
        if (e.rfind("azureml:", 0) == 0) {
            const auto rest = e.substr(8);
            const auto colon = rest.rfind(':');
            if (colon != std::string::npos && colon > 0 && colon + 1 < rest.size())
                return ws->id().child("environments", rest.substr(0, colon)).child("versions", rest.substr(colon + 1)).str();
        }
        throw error(error_kind::usage, "environment '" + e + "' must be azureml:NAME:VERSION or an ARM id").on_field("environment");
    }

    json::object probe() const {
        return json::object{{"failureThreshold", 30}, {"successThreshold", 1}, {"timeout", "PT2S"},
                            {"period", iso_seconds(options.deployment.probe_period_seconds)},
                            {"initialDelay", iso_seconds(options.deployment.probe_initial_delay_seconds)}};
    }
};

azureml_endpoint::azureml_endpoint(std::string uri, endpoint_options options) : uri_(std::move(uri)), impl_(std::make_unique<impl>()) {
    std::smatch m;
    if (!std::regex_match(uri_, m, endpoint_re))
        throw error(error_kind::usage, "endpoint '" + uri_ + "': expected azureml://subscriptions/SUB/resourceGroups/RG/workspaces/WS/onlineEndpoints/NAME")
            .on_field("endpoint");
    const std::string name = m[2].str();
    if (!is_valid_deployment_name(name))
        throw error(error_kind::usage, "endpoint name '" + name + "' must be 3-32 letters, digits or '-', starting with a letter").on_field("endpoint");
    const auto& d = options.deployment;
    if (d.request_timeout_ms < 1 || d.request_timeout_ms > 180'000)
        throw error(error_kind::usage, "the request timeout must be 1..180000 ms (Azure ML's limit)").on_field("request-timeout-ms");
    if (d.instance_count < 1) throw error(error_kind::usage, "the instance count must be at least 1").on_field("instance-count");
    azureml_jobs::connection_options co;
    co.ca_file = options.ca_file;
    impl_->ws = std::make_unique<azureml_jobs::workspace_session>(azureml_jobs::workspace_ref::parse(m[1].str(), "endpoint"), co);
    impl_->id = impl_->ws->id().child("onlineEndpoints", name);
    impl_->options = std::move(options);
    http::transport_options to;
    to.ca_file = impl_->options.ca_file;
    impl_->scoring = http::make_transport(to);
}

azureml_endpoint::~azureml_endpoint() = default;

std::string azureml_endpoint::scoring_uri() const {
    if (impl_->scoring_uri.empty()) impl_->scoring_uri = str(props_of(impl_->endpoint_doc()), "scoringUri");
    return impl_->scoring_uri;
}

void azureml_endpoint::wait_until_ready(std::chrono::milliseconds) {
    // ARM LROs are polled by the client until they end; a missing endpoint is created with key
    // auth (the original workflow's endpoint), an existing one is used as it is.
    auto doc = impl_->ws->arm().find(impl_->id);
    if (!doc)
        doc = impl_->ws->arm().put(impl_->id, json::object{{"location", impl_->ws_location()},
                                                           {"properties", json::object{{"authMode", "Key"}, {"description", "amlops online endpoint"}}}});
    const auto state = str(props_of(*doc), "provisioningState");
    if (state == "Failed" || state == "Canceled")
        throw error(error_kind::service, "online endpoint " + uri_ + " is in provisioning state " + state);
    if (str(props_of(*doc), "authMode") != "Key")
        throw error(error_kind::config, "online endpoint " + uri_ + " uses authMode " + str(props_of(*doc), "authMode") + "; aml-deploy needs Key");
}

endpoint_traffic azureml_endpoint::get_traffic() {
    const auto doc = impl_->endpoint_doc();
    endpoint_traffic t{traffic_from(props_of(doc), "traffic"), traffic_from(props_of(doc), "mirrorTraffic")};
    // The interface lists every deployment in `traffic`; Azure leaves zero entries out.
    for (const auto& d : deployments())
        if (find_slot(t.traffic, d.name) == t.traffic.end()) t.traffic[d.name] = 0;
    return t;
}

endpoint_traffic azureml_endpoint::set_traffic(const endpoint_traffic& t) {
    validate(t);
    auto doc = impl_->endpoint_doc();
    const auto& old = props_of(doc);
    // The whole endpoint goes back (PATCH cannot change traffic); read-only fields stay behind.
    json::object props{{"authMode", str(old, "authMode")}, {"traffic", without_zeroes(t.traffic)}, {"mirrorTraffic", without_zeroes(t.mirror)}};
    for (const char* k : {"description", "publicNetworkAccess", "compute"})
        if (const auto* v = old.if_contains(k); v && !v->is_null()) props[k] = *v;
    json::object body{{"location", str(doc.as_object(), "location").empty() ? impl_->ws_location() : str(doc.as_object(), "location")},
                      {"properties", props}};
    for (const char* k : {"identity", "tags", "kind", "sku"})
        if (const auto* v = doc.as_object().if_contains(k); v && !v->is_null()) body[k] = *v;
    impl_->ws->arm().put(impl_->id, body);
    return get_traffic();
}

std::vector<deployment_info> azureml_endpoint::deployments() {
    std::vector<deployment_info> out;
    for (const auto& d : impl_->ws->arm().list(impl_->id, "deployments")) {
        const auto model = str(props_of(d), "model");
        const auto [name, version] = model_parts(model);
        out.push_back({str(d.as_object(), "name"), model, name, version});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return fold_case(a.name) < fold_case(b.name); });
    return out;
}

deployment_info azureml_endpoint::load_deployment(const std::string& name, const std::string& model) {
    if (!is_valid_deployment_name(name)) throw error(error_kind::bad_input, "deployment name '" + name + "' is invalid").on_field("slot");
    if (model.rfind("azureml://", 0) != 0 && model.rfind("/subscriptions/", 0) != 0)
        throw error(error_kind::bad_input, "an Azure ML deployment needs a registered model (azureml://registries/.../versions/N), not the folder " + model)
            .on_field("model");
    const auto& d = impl_->options.deployment;
    json::object props{{"endpointComputeType", "Managed"},
                       {"model", model},
                       {"environmentId", impl_->environment_id()},
                       {"instanceType", d.instance_type},
                       {"scaleSettings", json::object{{"scaleType", "Default"}}},
                       {"requestSettings", json::object{{"requestTimeout", iso_millis(d.request_timeout_ms)},
                                                        {"maxConcurrentRequestsPerInstance", d.max_concurrent_requests}}},
                       {"livenessProbe", impl_->probe()},
                       {"readinessProbe", impl_->probe()},
                       {"appInsightsEnabled", false},
                       {"description", "amlops release of " + model}};
    const auto doc = impl_->ws->arm().put(impl_->id.child("deployments", name),
                                          json::object{{"location", impl_->ws_location()},
                                                       {"sku", json::object{{"name", "Default"}, {"capacity", d.instance_count}}},
                                                       {"properties", props}});
    const auto state = str(props_of(doc), "provisioningState");
    if (state == "Failed" || state == "Canceled")
        throw error(error_kind::service, "deployment '" + name + "' of " + uri_ + " ended in provisioning state " + state);
    const auto [mname, version] = model_parts(model);
    return {name, model, mname, version};
}

void azureml_endpoint::unload_deployment(const std::string& name) {
    if (!impl_->ws->arm().remove(impl_->id.child("deployments", name)))
        throw error(error_kind::not_found, "deployment '" + name + "' of " + uri_ + " does not exist");
}

score_response azureml_endpoint::score(const std::string& deployment, const std::string& json_body) {
    if (impl_->key.empty()) {
        // OnlineEndpoints_ListKeys takes no body.
        const auto path = impl_->id.str() + "/listKeys";
        const auto res = impl_->ws->arm().send("POST", impl_->ws->arm().url_for(path, impl_->id.api_version()));
        if (!res.ok()) throw arm::make_arm_error(res, "POST", path);
        const auto keys = arm::parse_body(res, "POST " + path);
        impl_->key = keys.is_object() ? str(keys.as_object(), "primaryKey") : std::string();
        if (impl_->key.empty()) throw error(error_kind::service, "listKeys of " + uri_ + " returned no primaryKey");
    }
    const auto uri = scoring_uri();
    if (uri.empty()) throw error(error_kind::service, "online endpoint " + uri_ + " has no scoringUri");
    http::request req;
    req.method = "POST";
    req.url = uri;
    req.headers.set("Content-Type", "application/json");
    req.headers.set("Authorization", "Bearer " + impl_->key);
    req.headers.set("azureml-model-deployment", deployment);
    req.body = json_body;
    req.timeout = impl_->options.timeout;
    try {
        auto res = impl_->scoring->send(req);
        return {res.status, std::move(res.body), res.headers.get("azureml-model-deployment").value_or(""),
                res.headers.get("x-request-id").value_or("")};
    } catch (const http::transport_error& e) {
        throw error(error_kind::network, "POST " + uri + " failed: " + e.what());
    }
}

}  // namespace amlops::deploy
