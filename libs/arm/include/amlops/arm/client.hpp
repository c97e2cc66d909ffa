#pragma once
// A client for Azure Resource Manager over an amlops::http transport (normally the standard
// pipeline: request id, retry, bearer token, logging). It adds what ARM specifies on top of HTTP:
// the api-version query parameter, the error envelope, long-running operations and paging.

#include "amlops/arm/resource_id.hpp"
#include "amlops/core/error.hpp"
#include "amlops/core/json.hpp"
#include "amlops/http/transport.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace amlops::arm {

/// An ARM error response: `{"error": {code, message, target, details[]}}`. The kind is
/// not_found for 404, auth for 401/403, service otherwise; the context carries the HTTP status,
/// the service code and `x-ms-request-id`.
class arm_error : public amlops::error {
public:
    arm_error(error_kind kind, const std::string& message, std::string code, std::string target,
              std::vector<std::string> details)
        : amlops::error(kind, message), code_(std::move(code)), target_(std::move(target)), details_(std::move(details)) {}
    /// Service error code, e.g. "InvalidApiVersionParameter" (empty when the body had none).
    const std::string& code() const noexcept { return code_; }
    /// The `target` of the error (often the offending property), possibly empty.
    const std::string& target() const noexcept { return target_; }
    /// "code: message" of each entry of `details`.
    const std::vector<std::string>& details() const noexcept { return details_; }

private:
    std::string code_, target_;
    std::vector<std::string> details_;
};

/// Builds the arm_error for a non-2xx response of `method` on `what` (a path, never a query).
/// Tolerates bodies that are not the envelope (the status and a body excerpt are used).
arm_error make_arm_error(const http::response& res, const std::string& method, const std::string& what);

/// Client settings.
struct client_options {
    /// ARM endpoint, e.g. "https://management.azure.com/" or the emulator's http://127.0.0.1:port/.
    std::string endpoint = "https://management.azure.com/";
    /// Wait between LRO polls when the service sends no Retry-After.
    std::chrono::milliseconds poll_interval{2000};
    /// Give up on a long-running operation after this many polls (error(service)).
    int max_polls = 600;
    /// Give up following nextLink after this many pages (a loop guard).
    int max_pages = 10'000;
    /// Waits between polls; default std::this_thread::sleep_for. Tests inject a no-op.
    std::function<void(std::chrono::milliseconds)> sleep;
};

/// Synchronous ARM client. Thread-safe if the transport is.
class client {
public:
    client(std::shared_ptr<http::transport> transport, client_options options = {});

    /// GET a resource. Throws arm_error (not_found for 404).
    json::value get(const resource_id& id);
    /// GET, nullopt for 404.
    std::optional<json::value> find(const resource_id& id);
    /// PUT a resource and wait for it: 200/201 without polling headers return the body, unless
    /// its `properties.provisioningState` is not terminal (Succeeded/Failed/Canceled): then the
    /// resource is polled by GET of `id` until it is (ARM RPC, "Creating or updating resources
    /// asynchronously": the resource itself carries the state when no header is sent); 201/202
    /// with `Azure-AsyncOperation` (preferred) or `Location` are polled to a terminal state, then
    /// the resource is read with a final GET of `id` (Azure-AsyncOperation on a 200 too). Throws arm_error for an error response or a
    /// Failed/Canceled operation (with the operation's error code and message).
    json::value put(const resource_id& id, const json::value& body);
    /// POST an action (`id`/`action`, e.g. "startPendingUpload"; an empty action posts to `id`
    /// itself; a null `body` sends no body); LROs are polled and the result
    /// is the final Location response body (or the 200 body). Returns null for an empty body.
    json::value post(const resource_id& id, const std::string& action, const json::value& body);
    /// DELETE a resource, waiting for an LRO. 404 counts as already deleted (returns false).
    bool remove(const resource_id& id);
    /// Every item of a collection below `parent` (e.g. parent = a registry id, collection =
    /// "models"), following `nextLink` verbatim until it is absent.
    std::vector<json::value> list(const resource_id& parent, const std::string& collection);
    /// The same with extra query parameters on the first page (e.g. {"listViewType", "All"});
    /// later pages follow nextLink verbatim.
    std::vector<json::value> list(const resource_id& parent, const std::string& collection,
                                  const std::vector<std::pair<std::string, std::string>>& query);
    /// The same below a provider collection whose api-version differs from the parent's (e.g.
    /// parent = a resource group, collection = "providers/Microsoft.Network/privateEndpoints").
    std::vector<json::value> list(const resource_id& parent, const std::string& collection,
                                  const std::string& api_version);

    /// Absolute URL of `path` with `?api-version=`.
    std::string url_for(const std::string& path, const std::string& api_version) const;
    /// Sends one request (JSON body when non-null) and returns the response, whatever its status.
    http::response send(const std::string& method, const std::string& url, const json::value* body = nullptr);

private:
    json::value wait_for(const http::response& first, const std::string& method, const resource_id& id,
                         const std::string& what);
    void pause(const http::response& res);
    json::value poll_provisioning_state(json::value body, const std::string& method, const resource_id& id,
                                        const std::string& what);
    std::vector<json::value> list_pages(const resource_id& parent, const std::string& collection,
                                        const std::vector<std::pair<std::string, std::string>>& query,
                                        const std::string& api_version);

    std::shared_ptr<http::transport> transport_;
    client_options options_;
};

/// Parses a JSON response body (null for an empty body). Throws error(service) naming `what`.
json::value parse_body(const http::response& res, const std::string& what);

}  // namespace amlops::arm
