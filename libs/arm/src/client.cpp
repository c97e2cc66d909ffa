#include "amlops/arm/client.hpp"

#include "amlops/http/pipeline.hpp"

#include <thread>

namespace amlops::arm {
namespace {

std::string str_field(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->as_string());
    return {};
}

/// Path of an absolute URL without its query: errors must not echo query strings (SAS tokens).
std::string path_only(const std::string& url) {
    const auto q = url.find('?');
    return q == std::string::npos ? url : url.substr(0, q);
}

error_kind kind_for_status(int status) {
    if (status == 404) return error_kind::not_found;
    if (status == 401 || status == 403) return error_kind::auth;
    return error_kind::service;
}

bool is_terminal(const std::string& status) {
    return status == "Succeeded" || status == "Failed" || status == "Canceled" || status == "Cancelled";
}

}  // namespace

json::value parse_body(const http::response& res, const std::string& what) {
    if (res.body.empty()) return nullptr;
    try {
        return json::parse(res.body, what);
    } catch (const amlops::error& e) {
        throw error(error_kind::service, std::string("malformed JSON in the response of ") + what + ": " + e.what())
            .with_http_status(res.status);
    }
}

arm_error make_arm_error(const http::response& res, const std::string& method, const std::string& what) {
    std::string code, message, target;
    std::vector<std::string> details;
    boost::system::error_code ec;
    const auto body = boost::json::parse(res.body, ec);
    const json::object* err = nullptr;
    if (!ec && body.is_object()) {
        if (const auto* e = body.as_object().if_contains("error"); e && e->is_object()) err = &e->as_object();
    }
    if (err) {
        code = str_field(*err, "code");
        message = str_field(*err, "message");
        target = str_field(*err, "target");
        if (const auto* d = err->if_contains("details"); d && d->is_array()) {
            for (const auto& item : d->as_array()) {
                if (!item.is_object()) continue;
                details.push_back(str_field(item.as_object(), "code") + ": " + str_field(item.as_object(), "message"));
            }
        }
    } else {
        message = res.body.substr(0, 200);
    }
    std::string text = method + " " + what + " failed with HTTP " + std::to_string(res.status);
    if (!code.empty()) text.append(" ").append(code);
    if (!message.empty()) text.append(": ").append(message);
    if (!target.empty()) text.append(" (target '").append(target).append("')");
    for (const auto& d : details) text.append("; ").append(d);
    arm_error out(kind_for_status(res.status), text, code, target, std::move(details));
    out.with_http_status(res.status);
    if (!code.empty()) out.with_service_code(code);
    if (auto rid = res.headers.get("x-ms-request-id")) out.with_request_id(*rid);
    return out;
}

client::client(std::shared_ptr<http::transport> transport, client_options options)
    : transport_(std::move(transport)), options_(std::move(options)) {
    if (!transport_) throw error(error_kind::internal, "arm::client needs a transport");
    if (!options_.sleep) options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    while (!options_.endpoint.empty() && options_.endpoint.back() == '/') options_.endpoint.pop_back();
}

std::string client::url_for(const std::string& path, const std::string& api_version) const {
    return options_.endpoint + path + "?api-version=" + http::percent_encode(api_version);
}

http::response client::send(const std::string& method, const std::string& url, const json::value* body) {
    http::request req;
    req.method = method;
    req.url = url;
    req.headers.set("Accept", "application/json");
    if (body) {
        req.headers.set("Content-Type", "application/json");
        req.body = boost::json::serialize(*body);
    }
    return transport_->send(req);
}

void client::pause(const http::response& res) {
    const auto hint = http::retry_policy::server_delay(res.headers, std::chrono::system_clock::now());
    options_.sleep(hint ? *hint : options_.poll_interval);
}

json::value client::get(const resource_id& id) {
    const auto path = id.str();
    auto res = send("GET", url_for(path, id.api_version()));
    if (!res.ok()) throw make_arm_error(res, "GET", path);
    return parse_body(res, "GET " + path);
}

std::optional<json::value> client::find(const resource_id& id) {
    const auto path = id.str();
    auto res = send("GET", url_for(path, id.api_version()));
    if (res.status == 404) return std::nullopt;
    if (!res.ok()) throw make_arm_error(res, "GET", path);
    return parse_body(res, "GET " + path);
}

json::value client::put(const resource_id& id, const json::value& body) {
    const auto path = id.str();
    auto res = send("PUT", url_for(path, id.api_version()), &body);
    if (!res.ok()) throw make_arm_error(res, "PUT", path);
    return wait_for(res, "PUT", id, path);
}

json::value client::post(const resource_id& id, const std::string& action, const json::value& body) {
    // An empty action posts to the id itself (RegistryDataReferences_GetBlobReferenceSAS); a
    // null body sends none (Datastores_ListSecrets has no body parameter).
    const auto path = action.empty() ? id.str() : id.str() + "/" + action;
    auto res = send("POST", url_for(path, id.api_version()), body.is_null() ? nullptr : &body);
    if (!res.ok()) throw make_arm_error(res, "POST", path);
    return wait_for(res, "POST", id, path);
}

bool client::remove(const resource_id& id) {
    const auto path = id.str();
    auto res = send("DELETE", url_for(path, id.api_version()));
    if (res.status == 404 || res.status == 204) return res.status == 204;
    if (!res.ok()) throw make_arm_error(res, "DELETE", path);
    wait_for(res, "DELETE", id, path);
    return true;
}

json::value client::wait_for(const http::response& first, const std::string& method, const resource_id& id,
                             const std::string& what) {
    const auto async_op = first.headers.get("Azure-AsyncOperation");
    const auto location = first.headers.get("Location");
    // Azure-AsyncOperation makes any 200/201/202 long-running (ARM RPC: an update may answer
    // 200 with it, as online endpoint PUTs do; azure-core's ARM poller honours it whatever the
    // status); Location only with 201/202.
    const bool lro = (async_op && (first.status == 200 || first.status == 201 || first.status == 202)) ||
                     ((first.status == 201 || first.status == 202) && location);
    if (!lro) return poll_provisioning_state(parse_body(first, method + " " + what), method, id, what);

    http::response last = first;
    json::value result = nullptr;
    bool done = false;
    for (int poll = 0; poll < options_.max_polls && !done; ++poll) {
        pause(last);
        if (async_op) {
            // Azure-AsyncOperation wins when both are present (ARM RPC): its body carries status.
            last = send("GET", *async_op);
            if (!last.ok()) throw make_arm_error(last, "GET", "operation status of " + method + " " + what);
            const auto status_doc = parse_body(last, "operation status of " + what);
            const auto* obj = status_doc.if_object();
            const std::string status = obj ? str_field(*obj, "status") : std::string{};
            if (!is_terminal(status)) continue;
            if (status != "Succeeded") {
                std::string code = "Operation" + status, message = method + " " + what + " ended " + status;
                if (obj) {
                    if (const auto* e = obj->if_contains("error"); e && e->is_object()) {
                        if (auto c = str_field(e->as_object(), "code"); !c.empty()) code = c;
                        if (auto m = str_field(e->as_object(), "message"); !m.empty()) message = m;
                    }
                }
                arm_error err(error_kind::service,
                              method + " " + what + ": long-running operation " + status + ": " + code + ": " + message,
                              code, "", {});
                err.with_service_code(code).with_http_status(last.status);
                if (auto rid = last.headers.get("x-ms-request-id")) err.with_request_id(*rid);
                throw err;
            }
            done = true;
            // POST/DELETE results come from Location when the service gave one.
            if (method == "POST" && location) {
                auto final_res = send("GET", *location);
                if (!final_res.ok()) throw make_arm_error(final_res, "GET", "result of " + method + " " + what);
                result = parse_body(final_res, "result of " + what);
            }
        } else {
            last = send("GET", *location);
            if (last.status == 202) continue;
            if (!last.ok()) throw make_arm_error(last, "GET", "operation result of " + method + " " + what);
            done = true;
            result = parse_body(last, "result of " + what);
        }
    }
    if (!done)
        throw error(error_kind::service, method + " " + what + ": long-running operation did not finish after " +
                                             std::to_string(options_.max_polls) + " polls");
    if (method == "PUT") return get(id);  // the final state is the resource itself (ARM RPC)
    return result;
}

/// ARM RPC (async operations): a PUT answered 200/201 without Azure-AsyncOperation/Location but
/// with a non-terminal `properties.provisioningState` is still running; the client polls the
/// resource (GET of the PUT URL) until the state is terminal.
json::value client::poll_provisioning_state(json::value body, const std::string& method, const resource_id& id,
                                            const std::string& what) {
    auto state_of = [](const json::value& doc) -> std::optional<std::string> {
        const auto* o = doc.if_object();
        const auto* p = o ? o->if_contains("properties") : nullptr;
        const auto* s = p && p->is_object() ? p->as_object().if_contains("provisioningState") : nullptr;
        if (!s || !s->is_string()) return std::nullopt;
        return std::string(s->as_string());
    };
    if (method != "PUT") return body;
    auto state = state_of(body);
    http::response last;
    for (int poll = 0; state && !is_terminal(*state); ++poll) {
        if (poll >= options_.max_polls)
            throw error(error_kind::service, method + " " + what + ": provisioningState still '" + *state + "' after " +
                                                 std::to_string(options_.max_polls) + " polls");
        pause(last);
        last = send("GET", url_for(id.str(), id.api_version()));
        if (!last.ok()) throw make_arm_error(last, "GET", "provisioning state of " + what);
        body = parse_body(last, "GET " + what);
        state = state_of(body);
    }
    if (state && *state != "Succeeded") {
        arm_error err(error_kind::service, method + " " + what + ": provisioningState " + *state, "Provisioning" + *state, "", {});
        err.with_service_code("Provisioning" + *state);
        throw err;
    }
    return body;
}

std::vector<json::value> client::list(const resource_id& parent, const std::string& collection) {
    return list_pages(parent, collection, {}, parent.api_version());
}

std::vector<json::value> client::list(const resource_id& parent, const std::string& collection,
                                      const std::vector<std::pair<std::string, std::string>>& query) {
    return list_pages(parent, collection, query, parent.api_version());
}

std::vector<json::value> client::list(const resource_id& parent, const std::string& collection,
                                      const std::string& api_version) {
    return list_pages(parent, collection, {}, api_version);
}

std::vector<json::value> client::list_pages(const resource_id& parent, const std::string& collection,
                                            const std::vector<std::pair<std::string, std::string>>& query,
                                            const std::string& api_version) {
    const auto path = parent.str() + "/" + collection;
    std::vector<json::value> items;
    std::string url = url_for(path, api_version);
    if (!query.empty()) url.append("&").append(http::form_encode(query));  // append(): GCC 12 -Wrestrict false positive on operator+
    for (int page = 0; page < options_.max_pages; ++page) {
        auto res = send("GET", url);
        if (!res.ok()) throw make_arm_error(res, "GET", path_only(url));
        const auto doc = parse_body(res, "GET " + path);
        const auto* obj = doc.if_object();
        if (!obj) throw error(error_kind::service, "GET " + path + ": expected a JSON object with 'value'");
        if (const auto* v = obj->if_contains("value"); v && v->is_array())
            for (const auto& item : v->as_array()) items.push_back(item);
        const auto next = str_field(*obj, "nextLink");
        if (next.empty()) return items;
        if (next == url) throw error(error_kind::service, "GET " + path + ": nextLink points at the same page");
        url = next;  // verbatim: it already carries api-version and the continuation token
    }
    throw error(error_kind::service, "GET " + path + ": more than " + std::to_string(options_.max_pages) + " pages");
}

}  // namespace amlops::arm
