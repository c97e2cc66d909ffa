#pragma once
// Emulator routes beyond ARM models and blobs (internal to the emulator, tests only):
//   - managed identity token endpoints: Azure ML compute (GET /msi/token, api-version 2017-09-01,
//     header `secret`, `clientid`) and App Service style (GET /identity/token, 2019-08-01, header
//     X-IDENTITY-HEADER, `client_id`) and IMDS (GET /metadata/identity/oauth2/token, 2018-02-01,
//     header Metadata: true; 400 without an identity, injectable transient statuses); tokens
//     they mint are valid bearer tokens for ARM.
//   - online endpoints and deployments of a workspace (state only; PUT long-running like
//     registry versions, required properties / enums / name patterns of mfe.json 2025-09-01).
//   - the MLflow tracking REST API (api/2.0/mlflow: experiments get-by-name/create/get, runs
//     create/get/update/log-batch/search with MLflow's request limits), at the root and under the
//     Azure ML forms /mlflow/v1.0 and /mlflow/v2.0 + /subscriptions/.../workspaces/{ws} (the
//     workspace must exist, a valid bearer token is required; the root form is anonymous like a
//     plain `mlflow server` unless options ask for basic auth or a bearer token).
// The owning emulator calls these with its mutex held.

#include "emulator.hpp"

#include "amlops/http/message.hpp"

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace amlops::emulator::detail {

/// The parts of the emulator's state the extra routes share.
struct extra_context {
    std::function<std::string()> base;                        ///< emulator base URL
    std::set<std::string>& tokens;                            ///< valid bearer tokens
    std::map<std::string, json::object>& resources;           ///< lower-cased ARM id -> resource
    std::function<void(const std::string& key, json::object)> store;  ///< insert/replace a resource
    std::function<void(const std::string& key)> erase;        ///< remove a resource
    /// Starts a long-running operation that marks `key` Succeeded after a few polls; returns the
    /// Azure-AsyncOperation / Location / Retry-After headers.
    std::function<http::fields(const std::string& subscription, const std::string& key)> start_lro;
    /// The paged list of direct children of `prefix` (lower-cased id), as the models use.
    std::function<http::response(const std::string& prefix, std::map<std::string, std::string>& query, const std::string& path)> list;
    std::function<std::string()> next_id;                     ///< unique counter text
    const options& opt;
};

class extra_routes {
public:
    explicit extra_routes(extra_context ctx) : ctx_(std::move(ctx)) {}
    /// Managed identity and MLflow requests; nullopt when `path` is none of them.
    std::optional<http::response> route(const http::request& req, const std::string& path,
                                        std::map<std::string, std::string>& query);
    /// .../workspaces/{ws}/onlineEndpoints[/{name}[/deployments[/{name}]]] (parts split on '/',
    /// api-version and authorization already checked, the workspace exists).
    http::response online(const http::request& req, const std::string& path, const std::vector<std::string>& parts,
                          std::map<std::string, std::string>& query);

private:
    http::response managed_identity(const http::request& req, std::map<std::string, std::string>& query, bool app_service);
    http::response imds(const http::request& req, std::map<std::string, std::string>& query);
    http::response mlflow(const http::request& req, const std::string& api, std::map<std::string, std::string>& query);
    http::response log_batch(const json::object& body);

    extra_context ctx_;
    struct run {
        json::object info;
        std::vector<json::object> metrics;              // every logged value, in order
        std::map<std::string, std::string> params, tags;
    };
    std::map<std::string, run> runs_;
    std::map<std::string, std::string> experiments_{{"0", "Default"}};  // id -> name
    std::size_t imds_calls_ = 0;  // how many of options.imds_statuses were answered
};

}  // namespace amlops::emulator::detail
