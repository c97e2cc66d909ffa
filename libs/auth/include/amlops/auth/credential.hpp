#pragma once
// Shared vocabulary of the credentials: the token interface (from amlops::http), the
// "this source is not configured here" error, cloud endpoints and injectable dependencies.

#include "amlops/core/environment.hpp"
#include "amlops/core/error.hpp"
#include "amlops/core/log.hpp"
#include "amlops/http/pipeline.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace amlops::auth {

using http::access_token;
using http::token_credential;

/// Thrown by a credential whose source is not configured in this environment (variables
/// missing, no MSI endpoint, `az` not installed). A chain moves on to the next source; any other
/// amlops::error means the source is configured but failed. Kind: auth.
class credential_unavailable : public amlops::error {
public:
    explicit credential_unavailable(const std::string& message) : amlops::error(error_kind::auth, message) {}
};

/// Endpoints of the cloud in use (public Azure by default; sovereign clouds or the emulator).
struct cloud_endpoints {
    /// Entra ID authority, with trailing '/'. $AZURE_AUTHORITY_HOST.
    std::string authority_host = "https://login.microsoftonline.com/";
    /// Azure Resource Manager endpoint, with trailing '/'. $AZURE_RESOURCE_MANAGER_ENDPOINT.
    std::string resource_manager = "https://management.azure.com/";

    /// "<resource_manager without trailing slash>/.default", the ARM token scope.
    std::string arm_scope() const;
    /// Reads AZURE_AUTHORITY_HOST and AZURE_RESOURCE_MANAGER_ENDPOINT (defaults when unset).
    static cloud_endpoints from_env(const env_lookup& env);
    /// A copy with the non-empty overrides applied (a tool's --arm-endpoint / --authority-host),
    /// both endpoints ending in '/' as the token and ARM URLs are built by appending to them.
    cloud_endpoints with_overrides(std::string_view resource_manager_override,
                                   std::string_view authority_host_override) const;
};

/// Result of running a process (for the Azure CLI credential).
struct process_output {
    int exit_code = -1;   ///< 127 when the program could not be started
    std::string out;
    std::string err;
};
/// Runs argv (no shell) and captures its output. Injectable so tests never run the real `az`.
using process_runner = std::function<process_output(const std::vector<std::string>& argv)>;
/// The default runner: posix_spawnp with stdout/stderr captured; throws error(io) only when the
/// pipes cannot be created.
process_output run_process(const std::vector<std::string>& argv);

/// Everything a credential may need from its surroundings; every member has a working default.
struct credential_options {
    env_lookup env;                               ///< default system_env()
    cloud_endpoints cloud;                        ///< default from_env(env) (see resolve())
    bool cloud_from_env = true;                   ///< resolve() fills `cloud` from env when true
    std::shared_ptr<http::transport> transport;   ///< default make_transport()
    http::retry_options retry;                    ///< retries for token requests
    amlops::logger* log = nullptr;                ///< HTTP and credential logs (no secrets)
    std::function<std::chrono::system_clock::time_point()> now;  ///< default system_clock::now
    process_runner run;                           ///< default run_process
    /// IMDS token URL; nullopt disables IMDS (tests). Never contacted unless no other managed
    /// identity endpoint is configured.
    std::optional<std::string> imds_endpoint = "http://169.254.169.254/metadata/identity/oauth2/token";
    /// Transport for IMDS (plain http to 169.254.169.254 must be allow-listed explicitly);
    /// default: `transport` when injected, else a transport allowing only that host.
    std::shared_ptr<http::transport> imds_transport;
    /// Managed identity client id; default $DEFAULT_IDENTITY_CLIENT_ID (Azure ML compute).
    std::optional<std::string> managed_identity_client_id;

    /// Fills every unset default. Credentials call it in their constructors.
    credential_options resolved() const;
};

}  // namespace amlops::auth
