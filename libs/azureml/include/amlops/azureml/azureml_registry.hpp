#pragma once
// Azure ML registries (and, for metadata, workspaces) behind amlops::registry::registry, so
// aml-register / aml-promote work unchanged when config.yaml says
//   registries:
//     dev: {backend: azureml, subscription: <id>, resource_group: <rg>, registry: <aml registry>}
//     ws:  {backend: azureml, subscription: <id>, resource_group: <rg>, workspace: <aml workspace>}
// Optional keys: arm_endpoint (default $AZURE_RESOURCE_MANAGER_ENDPOINT or public ARM) and
// authority_host (default $AZURE_AUTHORITY_HOST or login.microsoftonline.com) — tests point
// both at the emulator. Credentials come from the default chain (libs/auth). Workspace targets
// also take `datastore` (default workspaceblobstore) and `blob_endpoint` (overrides the
// datastore's account URL, e.g. a private endpoint or the emulator's blob store).
//
// Mapping: an amlops version is an Azure ML model version whose number is the version name.
// Artifacts go next to an `amlops-manifest.json`: in a registry to its pending-upload storage
// (startPendingUpload -> SAS); in a workspace to `amlops/<model>/<version>/` of the workspace
// datastore (Entra token for storage, since locked-down workspaces use identity-based
// datastores), and the version's modelUri is then the azureml://.../datastores/<d>/paths/<p> URI; amlops metadata (manifest hash, creator, promotion source, numeric
// properties) is kept in tags prefixed `amlops.`; aliases are `amlops.alias.<alias>` tags on the
// model container. Archive = the version's `isArchived`; prune = DELETE of versions (never an
// aliased or actively deployed one); deployment records = `amlops.deploy.<endpoint>.<deployment>`
// tags on the version; record_event keeps the latest event per action as a container tag
// (`amlops.event.<action>`); reading the audit log throws error(config): Azure ML has none.

#include "amlops/core/environment.hpp"
#include "amlops/core/log.hpp"
#include "amlops/http/pipeline.hpp"
#include "amlops/registry/registry.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace amlops::azureml {

/// Where the Azure ML registry or workspace is.
struct target {
    std::string subscription;
    std::string resource_group;
    std::string registry;   ///< Azure ML registry name (exactly one of registry / workspace)
    std::string workspace;  ///< Azure ML workspace name
    std::string datastore = "workspaceblobstore";  ///< workspace only: datastore artifacts go to
    std::string blob_endpoint;  ///< workspace only: account URL override (empty = from the datastore)
    std::string arm_endpoint;    ///< empty = from environment / public cloud
    std::string authority_host;  ///< empty = from environment / public cloud

    /// Reads the config.yaml settings of registry `name`. Throws error(config) naming the
    /// missing or conflicting key (`datastore` / `blob_endpoint` on a registry target included).
    static target from_settings(const std::string& name, const std::map<std::string, std::string>& settings);
};

/// Injectable surroundings; every member has a working default.
struct backend_options {
    env_lookup env;                                     ///< default system_env()
    /// Raw transport for ARM, Entra ID and blob storage; default make_transport(). TLS trust
    /// (`--ca-file`) is the transport's: libs/workspace builds it from the caller's options.
    std::shared_ptr<http::transport> transport;
    std::shared_ptr<http::token_credential> credential; ///< default: cached default chain
    http::retry_options retry;                          ///< for ARM, token and blob requests
    amlops::logger* log = nullptr;                      ///< HTTP logs (allow-list redacted)
    std::function<void(std::chrono::milliseconds)> poll_sleep;  ///< LRO waits; default real sleep
    std::function<std::chrono::system_clock::time_point()> now;  ///< token expiry clock; default system_clock::now
    std::size_t block_size = 0;                         ///< 0 = 4 MiB
};

/// Opens the Azure ML backend for amlops registry `name`. Does not contact Azure until used.
std::unique_ptr<registry::registry> open_azureml_registry(const std::string& name, const target& where,
                                                          backend_options options = {});

}  // namespace amlops::azureml
