#pragma once
// Registry backends as named factories. config.yaml says which backend serves each registry
// name (`backend: local`, `backend: azureml`); the workspace looks the name up in a
// backend_catalog and calls the factory with everything the backend may need from its caller.
// Nothing is taken from process-wide state: the environment, the HTTP transport, the
// credential, the clock and the TLS trust (`--ca-file`) all arrive in backend_surroundings.
// Provisioning, job submission and endpoint deployment plug in the same way.

#include "amlops/core/environment.hpp"
#include "amlops/core/log.hpp"
#include "amlops/http/transport.hpp"
#include "amlops/registry/local_registry.hpp"
#include "amlops/registry/registry.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace amlops::http {
class token_credential;
}

namespace amlops::registry {

/// One registry entry of config.yaml.
struct registry_config {
    std::string backend = "local";
    std::map<std::string, std::string> settings;  ///< backend-specific keys (ignored by `local`)
};

/// What the caller hands every backend; each member has a working default.
struct backend_surroundings {
    env_lookup env;                                      ///< default system_env()
    /// PEM bundle of trusted CAs for every TLS connection a backend makes (the `--ca-file`
    /// option). Empty: the transport's default trust (libs/http reads it through `env`).
    std::filesystem::path ca_file;
    std::shared_ptr<http::transport> transport;          ///< default: a Beast transport trusting `ca_file`
    std::shared_ptr<http::token_credential> credential;  ///< default: the backend's own (Azure: default chain)
    std::function<std::chrono::system_clock::time_point()> now;  ///< default system_clock::now
    std::function<void(std::chrono::milliseconds)> sleep;        ///< waits between polls; default real sleep
    logger* log = nullptr;                               ///< HTTP logs (redacted); none when null
};

/// Default surroundings trusting `ca_file` (empty: the default trust), for `--ca-file`.
backend_surroundings with_ca_file(std::filesystem::path ca_file);

/// Everything a factory gets for one registry.
struct backend_request {
    std::string name;                   ///< amlops registry name (the `<name>` of azureml://registries/<name>/...)
    const registry_config& config;      ///< its config.yaml entry
    std::filesystem::path root;         ///< the workspace folder
    std::filesystem::path config_file;  ///< <root>/config.yaml, for error context
    const local_options& local;         ///< options of the local backend
    const backend_surroundings& with;
};

using backend_factory = std::function<std::unique_ptr<registry>(const backend_request&)>;

/// Backend name -> factory.
class backend_catalog {
public:
    /// Registers (or replaces) the factory of `backend`.
    void add(const std::string& backend, backend_factory factory);
    /// The factory of `backend`, nullptr when none is registered.
    const backend_factory* find(const std::string& backend) const;
    /// Registered backend names, sorted.
    std::vector<std::string> names() const;

private:
    std::map<std::string, backend_factory> factories_;
};

/// `local` (SQLite + content-addressed artifacts under the workspace) and `azureml` (Azure ML
/// registries and workspaces, libs/azureml).
backend_catalog standard_backends();

/// The transport a backend uses: `with.transport` when set, else a Beast transport that trusts
/// `with.ca_file` and reads the environment through `with.env`. Throws error(config) naming the
/// CA file when it does not exist or OpenSSL cannot load it.
std::shared_ptr<http::transport> transport_for(const backend_surroundings& with);

}  // namespace amlops::registry
