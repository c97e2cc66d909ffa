#pragma once
// What the release flow needs from an online endpoint, modelled on the Azure ML online-endpoint
// operations: read and set traffic, create/replace and delete a deployment, and score through
// one deployment with the `azureml-model-deployment` header. `local://host:port` (aml-predict
// serve's admin API) implements it now; an Azure ML endpoint can follow behind the same interface.

#include "amlops/deploy/traffic.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace amlops::deploy {

/// One deployment of an endpoint.
struct deployment_info {
    std::string name;
    std::string model;          ///< model source as loaded: registry URI or folder
    std::string model_name;     ///< registry model name (or folder name)
    std::string model_version;  ///< registry version, "" for a folder
};

/// Response of a scoring request.
struct score_response {
    int status = 0;            ///< HTTP status
    std::string body;          ///< response body
    std::string deployment;    ///< deployment that answered (response header), if reported
    std::string request_id;    ///< x-request-id of the response, if any
};

class endpoint {
public:
    virtual ~endpoint() = default;

    /// The endpoint's name as users write it (e.g. "local://127.0.0.1:5001").
    virtual std::string name() const = 0;
    /// Scoring URI, for records and logs.
    virtual std::string scoring_uri() const = 0;

    /// Waits until the endpoint reports ready (a server that is still loading its deployments
    /// would answer the admin API with a partial state). Throws error(network) naming the
    /// endpoint when nothing answers or it is not ready within `timeout`. Default: ready at once.
    virtual void wait_until_ready(std::chrono::milliseconds timeout) { (void)timeout; }

    /// Current live and mirror traffic; every deployment appears in `traffic` (0 included).
    virtual endpoint_traffic get_traffic() = 0;
    /// Replaces live and mirror traffic atomically. Throws error(bad_input) when the endpoint
    /// refuses the split (Azure's rules), error(not_found) for an unknown deployment.
    virtual endpoint_traffic set_traffic(const endpoint_traffic& t) = 0;
    /// The deployments, sorted by name.
    virtual std::vector<deployment_info> deployments() = 0;
    /// Creates deployment `name` serving `model` (registry URI or folder), or replaces the model
    /// of an existing one; returns once it serves. Traffic is not changed (a new deployment
    /// starts at 0%). Throws error(not_found) for an unknown model, error(bad_input) for a bad
    /// name or model.
    virtual deployment_info load_deployment(const std::string& name, const std::string& model) = 0;
    /// Deletes a deployment that has no live or mirror traffic. Throws error(not_found) for an
    /// unknown deployment.
    virtual void unload_deployment(const std::string& name) = 0;
    /// POSTs `json_body` to the scoring route with `azureml-model-deployment: <deployment>`.
    /// Non-2xx statuses are returned, not thrown; transport failures throw error(network).
    virtual score_response score(const std::string& deployment, const std::string& json_body) = 0;
};

/// What an Azure ML online deployment PUT asks for (azureml:// endpoints only).
struct online_deployment_settings {
    std::string environment;                      ///< azureml:NAME:VERSION or an environment ARM id (required)
    std::string instance_type = "Standard_DS3_v2";
    int instance_count = 1;
    int request_timeout_ms = 5000;                ///< Azure ML: default 5000, at most 180000
    int max_concurrent_requests = 1;              ///< per instance
    int probe_period_seconds = 10;                ///< liveness/readiness probe period
    int probe_initial_delay_seconds = 10;
};

/// How to reach an endpoint.
struct endpoint_options {
    std::optional<std::string> key;               ///< sent as `Authorization: Bearer <key>`; never logged
    std::chrono::milliseconds timeout{30'000};    ///< per request (loading a model may take longer)
    std::chrono::milliseconds load_timeout{300'000};
    std::filesystem::path ca_file;                ///< PEM bundle for TLS (azureml:// endpoints)
    online_deployment_settings deployment;        ///< azureml:// endpoints
};

/// Azure deployment naming: 3-32 characters of letters, digits and '-', starting with a letter.
bool is_valid_deployment_name(std::string_view name) noexcept;

/// Reads a key file (trailing newline and blanks stripped). Throws error(not_found) if absent,
/// error(bad_input) if empty.
std::string read_key_file(const std::filesystem::path& path);

/// Opens an endpoint by URI: `local://HOST:PORT` (aml-predict serve on this machine; HOST must be
/// a loopback address or `localhost`), or an Azure ML managed online endpoint
/// `azureml://subscriptions/S/resourceGroups/RG/workspaces/W/onlineEndpoints/NAME`. Throws error(usage) for another scheme or a malformed URI.
std::unique_ptr<endpoint> open_endpoint(const std::string& uri, const endpoint_options& options = {});

}  // namespace amlops::deploy
