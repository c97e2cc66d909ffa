#include "amlops/deploy/local_endpoint.hpp"

#include "amlops/core/error.hpp"
#include "amlops/core/json.hpp"

#include "amlops/http/transport.hpp"

#include <charconv>
#include <thread>

namespace amlops::deploy {

namespace {

// The admin API and the scoring route are plain HTTP/1.1 on loopback; the shared transport
// (libs/http) refuses plain http anywhere else, keeps connections alive between the polls of
// wait_until_ready, and applies the per-request timeout.
struct http_reply {
    int status = 0;
    std::string body;
    std::string deployment;
    std::string request_id;
};

std::string base_url(const local_address& addr) {
    const bool v6 = addr.host.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + addr.host + "]" : addr.host) + ":" + std::to_string(addr.port);
}

http_reply exchange(http::transport& transport, const local_address& addr, const endpoint_options& opt, const std::string& method,
                    const std::string& target, const std::string& body, const std::string& deployment_header,
                    std::chrono::milliseconds timeout) {
    http::request req;
    req.method = method;
    req.url = base_url(addr) + target;
    req.headers.set("User-Agent", "aml-deploy");
    if (opt.key) req.headers.set("Authorization", "Bearer " + *opt.key);
    if (!deployment_header.empty()) req.headers.set("azureml-model-deployment", deployment_header);
    if (!body.empty() || method == "PUT" || method == "POST") {
        req.headers.set("Content-Type", "application/json");
        req.body = body;
    }
    req.timeout = timeout;
    try {
        auto res = transport.send(req);
        return {res.status, std::move(res.body), res.headers.get("azureml-model-deployment").value_or(""),
                res.headers.get("x-request-id").value_or("")};
    } catch (const http::transport_error& e) {
        throw error(error_kind::network, method + " " + req.url + " failed: " + e.what());
    }
}

/// The server's error message from {"error": {"message": ...}}, else the raw body (shortened).
std::string error_message(const http_reply& r) {
    try {
        const auto v = boost::json::parse(r.body);
        if (const auto* o = v.if_object())
            if (const auto* e = o->if_contains("error"); e && e->is_object())
                if (const auto* m = e->as_object().if_contains("message"); m && m->is_string()) return std::string(m->as_string());
    } catch (const std::exception&) {
        // not JSON: fall through to the raw text
    }
    return r.body.size() > 300 ? r.body.substr(0, 300) + "..." : r.body;
}

/// Throws the error a non-2xx admin response stands for.
[[noreturn]] void throw_for(const http_reply& r, const std::string& what) {
    error_kind kind = error_kind::service;
    if (r.status == 400 || r.status == 409 || r.status == 413) kind = error_kind::bad_input;
    else if (r.status == 404) kind = error_kind::not_found;
    else if (r.status == 401 || r.status == 403) kind = error_kind::auth;
    error e(kind, what + ": " + error_message(r));
    e.with_http_status(r.status);
    if (!r.request_id.empty()) e.with_request_id(r.request_id);
    throw e;
}

json::value parse_reply(const http_reply& r, const std::string& what) {
    try {
        return boost::json::parse(r.body);
    } catch (const std::exception&) {
        throw error(error_kind::service, what + ": the endpoint answered with invalid JSON").with_http_status(r.status);
    }
}

traffic_map to_traffic(const json::value* v, const std::string& what) {
    traffic_map out;
    if (v == nullptr || v->is_null()) return out;
    if (!v->is_object()) throw error(error_kind::service, what + " is not an object");
    for (const auto& [name, weight] : v->as_object()) {
        if (!weight.is_int64() && !weight.is_uint64())
            throw error(error_kind::service, what + " of '" + std::string(name) + "' is not an integer");
        out[std::string(name)] = static_cast<int>(weight.to_number<std::int64_t>());
    }
    return out;
}

endpoint_traffic to_endpoint_traffic(const json::value& v, const std::string& what) {
    if (!v.is_object()) throw error(error_kind::service, what + ": expected a JSON object");
    const auto& o = v.as_object();
    return {to_traffic(o.if_contains("traffic"), what + " traffic"), to_traffic(o.if_contains("mirror_traffic"), what + " mirror_traffic")};
}

std::string string_field(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

deployment_info to_deployment(const json::value& v) {
    if (!v.is_object()) throw error(error_kind::service, "deployment entry is not an object");
    const auto& o = v.as_object();
    return {string_field(o, "name"), string_field(o, "model"), string_field(o, "model_name"), string_field(o, "model_version")};
}

}  // namespace

local_address parse_local_uri(const std::string& uri) {
    constexpr std::string_view scheme = "local://";
    const auto bad = [&](const std::string& why) { return error(error_kind::usage, "endpoint '" + uri + "': " + why).on_field("endpoint"); };
    if (uri.rfind(scheme, 0) != 0) throw bad("expected local://HOST:PORT");
    std::string rest = uri.substr(scheme.size());
    if (!rest.empty() && rest.back() == '/') rest.pop_back();
    std::string host, port_text;
    if (!rest.empty() && rest.front() == '[') {  // [::1]:5001
        const auto close = rest.find(']');
        if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':') throw bad("expected [IPv6]:PORT");
        host = rest.substr(1, close - 1);
        port_text = rest.substr(close + 2);
    } else {
        const auto colon = rest.rfind(':');
        if (colon == std::string::npos) throw bad("missing :PORT");
        host = rest.substr(0, colon);
        port_text = rest.substr(colon + 1);
    }
    if (!http::is_loopback_host(host)) throw bad("a local endpoint must be on loopback (localhost, 127.0.0.1, [::1]), got '" + host + "'");
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
        throw bad("port must be 1..65535, got '" + port_text + "'");
    return {host, static_cast<std::uint16_t>(port)};
}

local_endpoint::local_endpoint(std::string uri, local_address address, endpoint_options options)
    : uri_(std::move(uri)), address_(std::move(address)), options_(std::move(options)), transport_(http::make_transport()) {}

std::string local_endpoint::scoring_uri() const { return base_url(address_) + "/score"; }

void local_endpoint::wait_until_ready(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last;
    for (;;) {
        // A transport failure (nothing listening) fails at once; only "not ready yet" is retried.
        const auto r = exchange(*transport_, address_, options_, "GET", "/", {}, {}, options_.timeout);
        if (r.status == 200) return;
        if (r.status != 503) throw_for(r, "checking that " + uri_ + " is ready");
        last = "HTTP " + std::to_string(r.status);
        if (std::chrono::steady_clock::now() >= deadline)
            throw error(error_kind::network, uri_ + " is not ready after " + std::to_string(timeout.count() / 1000) + " s: " + last);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

endpoint_traffic local_endpoint::get_traffic() {
    const std::string what = "reading the traffic of " + uri_;
    const auto r = exchange(*transport_, address_, options_, "GET", "/admin/traffic", {}, {}, options_.timeout);
    if (r.status != 200) throw_for(r, what);
    return to_endpoint_traffic(parse_reply(r, what), what);
}

endpoint_traffic local_endpoint::set_traffic(const endpoint_traffic& t) {
    const std::string what = "setting the traffic of " + uri_ + " to " + to_string(t.traffic);
    const json::object body{{"traffic", to_json(t.traffic)}, {"mirror_traffic", to_json(t.mirror)}};
    const auto r = exchange(*transport_, address_, options_, "PUT", "/admin/traffic", boost::json::serialize(body), {}, options_.timeout);
    if (r.status != 200) throw_for(r, what);
    return to_endpoint_traffic(parse_reply(r, what), what);
}

std::vector<deployment_info> local_endpoint::deployments() {
    const std::string what = "listing the deployments of " + uri_;
    const auto r = exchange(*transport_, address_, options_, "GET", "/admin/deployments", {}, {}, options_.timeout);
    if (r.status != 200) throw_for(r, what);
    const auto v = parse_reply(r, what);
    std::vector<deployment_info> out;
    if (const auto* o = v.if_object())
        if (const auto* list = o->if_contains("deployments"); list && list->is_array())
            for (const auto& d : list->as_array()) out.push_back(to_deployment(d));
    return out;
}

deployment_info local_endpoint::load_deployment(const std::string& name, const std::string& model) {
    const std::string what = "loading " + model + " into deployment '" + name + "' of " + uri_;
    const json::object body{{"model", model}};
    const auto r = exchange(*transport_, address_, options_, "PUT", "/admin/deployments/" + name, boost::json::serialize(body), {},
                            options_.load_timeout);
    if (r.status != 200 && r.status != 201) throw_for(r, what);
    return to_deployment(parse_reply(r, what));
}

void local_endpoint::unload_deployment(const std::string& name) {
    const auto r = exchange(*transport_, address_, options_, "DELETE", "/admin/deployments/" + name, {}, {}, options_.timeout);
    if (r.status != 200) throw_for(r, "deleting deployment '" + name + "' of " + uri_);
}

score_response local_endpoint::score(const std::string& deployment, const std::string& json_body) {
    const auto r = exchange(*transport_, address_, options_, "POST", "/score", json_body, deployment, options_.timeout);
    return {r.status, r.body, r.deployment, r.request_id};
}

}  // namespace amlops::deploy
