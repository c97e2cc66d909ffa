#pragma once

#include "amlops/arm/client.hpp"
#include "amlops/auth/credential.hpp"
#include "amlops/core/environment.hpp"
#include "amlops/http/pipeline.hpp"
#include "amlops/http/transport.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace amlops::arm {

/// What an Azure-facing library needs to reach ARM and the data planes behind it. Every member
/// has a working default, so a caller (or a test) sets only what it injects.
struct connection_options {
    env_lookup env;                                      ///< default system_env()
    /// Raw transport shared by ARM, Entra ID and the data planes; default make_transport() with
    /// `ca_file` (the `--ca-file` option, handed down rather than set process-wide).
    std::shared_ptr<http::transport> transport;
    std::filesystem::path ca_file;
    std::shared_ptr<http::token_credential> credential;  ///< default: the cached default chain
    /// Override $AZURE_RESOURCE_MANAGER_ENDPOINT / $AZURE_AUTHORITY_HOST when not empty (a
    /// config.yaml that names a sovereign cloud or an emulator).
    std::string arm_endpoint;
    std::string authority_host;
    http::retry_options retry;                           ///< ARM, token and data-plane requests
    amlops::logger* log = nullptr;                       ///< HTTP logs (allow-list redacted)
    std::function<std::chrono::system_clock::time_point()> now;  ///< token expiry clock
    /// Names the tool in the User-Agent: "amlops/<version> (<tool>)"; empty for "amlops/<version>".
    std::string tool;
    /// ARM client settings; `endpoint` is always the resolved cloud's resource manager.
    client_options arm;
};

/// One signed-in connection: the ARM client plus pipelines for other token scopes, all over one
/// transport and one credential (so one token cache). Thread-safe like its transport.
class connection {
public:
    explicit connection(connection_options options = {});

    arm::client& arm() noexcept { return *arm_; }
    const std::shared_ptr<arm::client>& shared_arm() const noexcept { return arm_; }
    const auth::cloud_endpoints& cloud() const noexcept { return cloud_; }
    const std::shared_ptr<http::token_credential>& credential() const noexcept { return credential_; }
    const std::shared_ptr<http::transport>& transport() const noexcept { return transport_; }

    /// The standard pipeline with a bearer token for `scope`; an empty scope sends no token
    /// (requests whose authorization is in the URL, e.g. a blob SAS).
    std::shared_ptr<http::pipeline> pipeline(const std::string& scope) const;

private:
    http::pipeline_options pipeline_options_;
    auth::cloud_endpoints cloud_;
    std::shared_ptr<http::transport> transport_;
    std::shared_ptr<http::token_credential> credential_;
    std::shared_ptr<arm::client> arm_;
};

/// The Azure Storage token scope (blob reads and writes with an Entra ID token).
inline constexpr const char* storage_scope = "https://storage.azure.com/.default";

}  // namespace amlops::arm
