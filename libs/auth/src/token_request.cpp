#include "token_request.hpp"

#include "amlops/core/json.hpp"
#include "amlops/core/version.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace amlops::auth {

std::string cloud_endpoints::arm_scope() const {
    std::string base = resource_manager;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/.default";
}

namespace {
std::string with_slash(std::string s) {
    if (s.empty() || s.back() != '/') s.push_back('/');
    return s;
}
}  // namespace

cloud_endpoints cloud_endpoints::from_env(const env_lookup& env) {
    cloud_endpoints c;
    if (auto v = env("AZURE_AUTHORITY_HOST"); v && !v->empty()) c.authority_host = with_slash(*v);
    if (auto v = env("AZURE_RESOURCE_MANAGER_ENDPOINT"); v && !v->empty()) c.resource_manager = with_slash(*v);
    return c;
}

credential_options credential_options::resolved() const {
    credential_options o = *this;
    if (!o.env) o.env = system_env();
    if (o.cloud_from_env) {
        o.cloud = cloud_endpoints::from_env(o.env);
        o.cloud_from_env = false;
    }
    o.cloud.authority_host = with_slash(o.cloud.authority_host);
    if (!o.now) o.now = [] { return std::chrono::system_clock::now(); };
    if (!o.run) o.run = run_process;
    if (!o.transport) {
        http::transport_options t;
        t.env = o.env;
        o.transport = http::make_transport(t);
    }
    if (!o.managed_identity_client_id)
        if (auto id = o.env("DEFAULT_IDENTITY_CLIENT_ID"); id && !id->empty()) o.managed_identity_client_id = id;
    return o;
}

namespace detail {

std::string token_url(const credential_options& o, const std::string& tenant) {
    const bool valid = !tenant.empty() && std::all_of(tenant.begin(), tenant.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
    });
    if (!valid) throw error(error_kind::config, "invalid tenant id '" + tenant + "'").on_field("AZURE_TENANT_ID");
    return o.cloud.authority_host + tenant + "/oauth2/v2.0/token";
}

std::shared_ptr<http::transport> token_pipeline(const credential_options& o, std::shared_ptr<http::transport> inner) {
    http::pipeline_options p;
    p.user_agent = "amlops/" + std::string(version());
    p.retry = o.retry;
    p.log = o.log;
    return http::make_pipeline(std::move(p), inner ? std::move(inner) : o.transport);
}

namespace {
std::optional<std::int64_t> as_seconds(const json::value* v) {
    if (!v) return std::nullopt;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
    if (v->is_double()) return static_cast<std::int64_t>(v->as_double());
    if (v->is_string()) {
        const auto& s = v->as_string();
        std::int64_t n = 0;
        const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec == std::errc{} && p == s.data() + s.size()) return n;
    }
    return std::nullopt;
}
}  // namespace

access_token parse_token_response(const http::response& res, const std::string& source,
                                  std::chrono::system_clock::time_point now) {
    json::value body;
    bool parsed = true;
    try {
        body = json::parse(res.body, source + " token response");
    } catch (const error&) {
        parsed = false;
    }
    const json::object* obj = parsed ? body.if_object() : nullptr;
    if (!res.ok()) {
        std::string msg = source + ": token request failed (HTTP " + std::to_string(res.status) + ")";
        std::string code;
        if (obj) {
            for (const char* k : {"error", "code"})
                if (const auto* v = obj->if_contains(k); v && v->is_string()) code = std::string(v->as_string());
            for (const char* k : {"error_description", "message"})
                if (const auto* v = obj->if_contains(k); v && v->is_string())
                    msg += ": " + redact(std::string(v->as_string()));
        }
        error e(error_kind::auth, code.empty() ? msg : msg + " [" + code + "]");
        e.with_http_status(res.status);
        if (auto rid = res.headers.get("x-ms-request-id")) e.with_request_id(*rid);
        throw e;
    }
    if (!obj) throw error(error_kind::auth, source + ": token response is not a JSON object").with_http_status(res.status);
    const auto* tok = obj->if_contains("access_token");
    if (!tok || !tok->is_string() || tok->as_string().empty())
        throw error(error_kind::auth, source + ": token response has no access_token").with_http_status(res.status);
    access_token out;
    out.token = std::string(tok->as_string());
    if (auto in = as_seconds(obj->if_contains("expires_in"))) out.expires_on = now + std::chrono::seconds(*in);
    else if (auto on = as_seconds(obj->if_contains("expires_on")))
        out.expires_on = std::chrono::system_clock::time_point(std::chrono::seconds(*on));
    else throw error(error_kind::auth, source + ": token response has no expires_in/expires_on");
    return out;
}

access_token request_entra_token(const credential_options& o, const std::string& source, const std::string& tenant,
                                 const std::vector<std::pair<std::string, std::string>>& form) {
    http::request req;
    req.method = "POST";
    req.url = token_url(o, tenant);
    req.headers.set("Content-Type", "application/x-www-form-urlencoded");
    req.headers.set("Accept", "application/json");
    req.body = http::form_encode(form);
    const auto now = o.now();
    return parse_token_response(token_pipeline(o)->send(req), source, now);
}

std::optional<std::string> env_value(const credential_options& o, const std::string& name) {
    auto v = o.env(name);
    if (v && v->empty()) return std::nullopt;
    return v;
}

}  // namespace detail
}  // namespace amlops::auth
