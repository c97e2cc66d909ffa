#include "emulator_online.hpp"
#include "emulator_util.hpp"

#include "amlops/core/environment.hpp"

#include <algorithm>

namespace amlops::emulator::detail {
namespace {

using json::object;

const object* traffic_of(const object& props, const char* key) {
    const auto* t = props.if_contains(key);
    return t && t->is_object() ? &t->as_object() : nullptr;
}

}  // namespace

online_routes::online_routes(online_context ctx) : ctx_(std::move(ctx)), http_(http::make_transport()) {}

http::response online_routes::admin(const std::string& method, const std::string& target, const std::string& body) {
    http::request r;
    r.method = method;
    r.url = ctx_.opt.scoring_server + target;
    if (!body.empty()) {
        r.headers.set("Content-Type", "application/json");
        r.body = body;
    }
    r.timeout = std::chrono::minutes(5);
    return http_->send(r);
}

std::optional<http::response> online_routes::arm(const http::request& req, const std::vector<std::string>& parts) {
    // parts: subscriptions s resourceGroups rg providers ns workspaces ws onlineEndpoints e [...]
    if (parts.size() < 10) return std::nullopt;
    const std::string endpoint_key = lower(join(parts, 10));
    if (parts.size() == 11 && parts[10] == "listKeys" && req.method == "POST") {
        if (!ctx_.resources.count(endpoint_key)) return arm_error(404, "ResourceNotFound", "online endpoint '" + parts[9] + "' not found");
        auto& k = keys_[endpoint_key];
        if (k.first.empty()) k = {"emu-primary-" + random_uuid(), "emu-secondary-" + random_uuid()};
        // EndpointAuthKeys
        return json_reply(200, object{{"primaryKey", k.first}, {"secondaryKey", k.second}});
    }
    if (parts.size() == 10 && req.method == "PUT") {
        // OnlineEndpoint.mirrorTraffic: "sum to utmost 50"; a deployment is either live or mirror.
        const auto body = json::parse(req.body, "request body");
        const auto* props = body.is_object() ? body.as_object().if_contains("properties") : nullptr;
        if (props && props->is_object()) {
            const auto* mirror = traffic_of(props->as_object(), "mirrorTraffic");
            const auto* live = traffic_of(props->as_object(), "traffic");
            std::int64_t sum = 0;
            if (mirror)
                for (const auto& [d, pct] : *mirror) {
                    if (!pct.is_int64() || pct.as_int64() < 0) return arm_error(400, "ValidationError", "mirror traffic values are integers", "properties.mirrorTraffic");
                    sum += pct.as_int64();
                    if (!ctx_.resources.count(endpoint_key + "/deployments/" + lower(std::string(d))))
                        return arm_error(400, "ValidationError", "mirror traffic names deployment '" + std::string(d) + "', which does not exist");
                    if (pct.as_int64() > 0 && live && live->contains(d) && live->at(d).is_int64() && live->at(d).as_int64() > 0)
                        return arm_error(400, "ValidationError", "deployment '" + std::string(d) + "' cannot take live and mirrored traffic");
                }
            if (sum > 50) return arm_error(400, "ValidationError", "mirror traffic must sum to at most 50", "properties.mirrorTraffic");
        }
        return std::nullopt;
    }
    if (parts.size() != 12 || parts[10] != "deployments") return std::nullopt;
    const std::string name = parts[11];
    if (req.method == "DELETE") {
        if (auto ep = ctx_.resources.find(endpoint_key); ep != ctx_.resources.end()) {
            const auto& props = ep->second["properties"].as_object();
            for (const char* key : {"traffic", "mirrorTraffic"})
                if (const auto* t = traffic_of(props, key))
                    for (const auto& [d, pct] : *t)
                        if (lower(std::string(d)) == lower(name) && pct.is_int64() && pct.as_int64() > 0)
                            return arm_error(400, "BadRequest", "deployment '" + name + "' still has traffic; set it to 0 before deleting");
        }
        if (!ctx_.opt.scoring_server.empty()) (void)admin("DELETE", "/admin/deployments/" + name, "");
        return std::nullopt;
    }
    if (req.method != "PUT" || ctx_.opt.scoring_server.empty()) return std::nullopt;
    const auto body = json::parse(req.body, "request body");
    const auto* props = body.is_object() ? body.as_object().if_contains("properties") : nullptr;
    const auto* model = props && props->is_object() ? props->as_object().if_contains("model") : nullptr;
    if (!model || !model->is_string() || model->as_string().empty())
        return arm_error(400, "ValidationError", "properties.model is required for this emulator's deployments", "properties.model");
    // The container starts with the model: a model that cannot be loaded fails the deployment.
    const auto res = admin("PUT", "/admin/deployments/" + name, boost::json::serialize(object{{"model", *model}}));
    if (!res.ok())
        return arm_error(400, "DeploymentFailed", "the deployment's model could not be loaded (HTTP " + std::to_string(res.status) + "): " + res.body);
    return std::nullopt;
}

std::optional<http::response> online_routes::score(const http::request& req, const std::string& path) {
    if (path.rfind("/score/", 0) != 0) return std::nullopt;
    const std::string endpoint = lower(path.substr(7));
    std::string endpoint_key;
    for (const auto& [k, v] : ctx_.resources)
        if (k.size() > endpoint.size() + 17 && k.compare(k.size() - endpoint.size() - 17, std::string::npos, "/onlineendpoints/" + endpoint) == 0)
            endpoint_key = k;
    if (endpoint_key.empty()) return arm_error(404, "NotFound", "no online endpoint '" + endpoint + "'");
    if (req.method != "POST") return arm_error(405, "MethodNotAllowed", req.method);
    // Key auth: Authorization: Bearer <primary or secondary key> (401 otherwise).
    const auto auth = req.headers.get("Authorization");
    const auto& k = keys_[endpoint_key];
    if (!auth || k.first.empty() || (*auth != "Bearer " + k.first && *auth != "Bearer " + k.second))
        return arm_error(401, "Unauthorized", "a valid endpoint key is required");
    std::string deployment;
    if (auto h = req.headers.get("azureml-model-deployment")) {
        deployment = *h;
        if (!ctx_.resources.count(endpoint_key + "/deployments/" + lower(deployment)))
            return arm_error(404, "NotFound", "no deployment '" + deployment + "' on this endpoint");
    } else {
        // Live traffic weights pick the deployment (404: no deployment with positive weight).
        const auto* t = traffic_of(ctx_.resources[endpoint_key]["properties"].as_object(), "traffic");
        std::int64_t total = 0;
        if (t)
            for (const auto& [d, pct] : *t) total += pct.is_int64() ? pct.as_int64() : 0;
        if (total <= 0) return arm_error(404, "NotFound", "no deployment has traffic");
        std::int64_t pick = static_cast<std::int64_t>(counter_++ % static_cast<std::uint64_t>(total));
        for (const auto& [d, pct] : *t) {
            pick -= pct.is_int64() ? pct.as_int64() : 0;
            if (pick < 0) {
                deployment = std::string(d);
                break;
            }
        }
    }
    if (ctx_.opt.scoring_server.empty()) return arm_error(502, "BadGateway", "the emulator has no scoring server");
    http::request f;
    f.method = "POST";
    f.url = ctx_.opt.scoring_server + "/score";
    f.headers.set("Content-Type", "application/json");
    f.headers.set("azureml-model-deployment", deployment);
    f.body = req.body;
    auto res = http_->send(f);
    http::fields headers{{"azureml-model-deployment", deployment}};
    if (!res.ok()) {
        headers.set("ms-azureml-model-error-statuscode", std::to_string(res.status));
        return http::response{424, "", headers, res.body};
    }
    headers.set("Content-Type", "application/json");
    return http::response{200, "", headers, res.body};
}

}  // namespace amlops::emulator::detail
