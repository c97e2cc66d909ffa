#include "token_request.hpp"

#include "amlops/core/json.hpp"
#include "amlops/core/version.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>

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

cloud_endpoints cloud_endpoints::with_overrides(std::string_view resource_manager_override,
                                                std::string_view authority_host_override) const {
    cloud_endpoints c = *this;
    if (!resource_manager_override.empty()) c.resource_manager = resource_manager_override;
    if (!authority_host_override.empty()) c.authority_host = authority_host_override;
    c.resource_manager = with_slash(std::move(c.resource_manager));
    c.authority_host = with_slash(std::move(c.authority_host));
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

/// `expires_on` of the 2017-09-01 managed identity API (App Service's legacy MSI_ENDPOINT): a
/// date string, "MM/DD/YYYY hh:mm:ss [AM|PM] +hh:mm" (azure-identity parses both the 12- and
/// the 24-hour form: python azure.identity._credentials.app_service, expires_on handling).
/// Seconds since the epoch, or nullopt when `v` is not such a string.
std::optional<std::int64_t> as_date_seconds(const json::value* v) {
    if (!v || !v->is_string()) return std::nullopt;
    const std::string s(v->as_string());
    int month = 0, day = 0, year = 0, hour = 0, minute = 0, second = 0, consumed = 0;
    if (std::sscanf(s.c_str(), "%d/%d/%d %d:%d:%d%n", &month, &day, &year, &hour, &minute, &second, &consumed) != 6)
        return std::nullopt;
    std::string rest = s.substr(static_cast<std::size_t>(consumed));
    auto skip_space = [&] { while (!rest.empty() && rest.front() == ' ') rest.erase(0, 1); };
    skip_space();
    if (rest.rfind("AM", 0) == 0 || rest.rfind("PM", 0) == 0) {
        if (hour < 1 || hour > 12) return std::nullopt;
        hour = (hour % 12) + (rest[0] == 'P' ? 12 : 0);
        rest.erase(0, 2);
        skip_space();
    }
    int offset_minutes = 0;
    if (!rest.empty()) {
        int oh = 0, om = 0;
        if ((rest[0] != '+' && rest[0] != '-') || std::sscanf(rest.c_str() + 1, "%d:%d", &oh, &om) != 2) return std::nullopt;
        offset_minutes = (rest[0] == '-' ? -1 : 1) * (oh * 60 + om);
    }
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    return static_cast<std::int64_t>(timegm(&tm)) - offset_minutes * 60;
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
    else if (auto date = as_date_seconds(obj->if_contains("expires_on")))
        out.expires_on = std::chrono::system_clock::time_point(std::chrono::seconds(*date));
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
