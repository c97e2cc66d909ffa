#pragma once
// The model a release deploys: a registry URI pinned to one version (an alias or `latest` is
// resolved once, so the endpoint serves exactly what is recorded), or a model folder; and the
// registry record written after a successful release, which `aml-register lineage` shows.

#include "amlops/core/environment.hpp"
#include "amlops/core/log.hpp"
#include "amlops/deploy/endpoint.hpp"
#include "amlops/deploy/release.hpp"
#include "amlops/workspace/backends.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace amlops::deploy {

/// A resolved model source.
struct resolved_model {
    model_identity identity;               ///< uri: the pinned version URI, or the absolute folder
    std::optional<std::string> registry;   ///< registry name, for a registry URI
    std::int64_t version = 0;              ///< registry version (0 for a folder)
    std::filesystem::path workspace_root;  ///< workspace the URI was resolved in
    /// How Azure ML names the version (what an azureml:// deployment's `model` takes): for a
    /// registry on the azureml backend, azureml://registries/<Azure ML registry>/models/N/versions/V
    /// or the workspace model version's ARM id; otherwise identity.uri.
    std::string service_uri;
};

/// Resolves `source`: a registry URI (azureml://...) in the workspace at `workspace_root` (empty:
/// $AMLOPS_HOME, else ./.amlops) to one version; otherwise an existing model folder (made
/// absolute, since the server may run elsewhere). Throws error(not_found) for an unknown
/// registry, model, version or folder, error(bad_input) for a malformed URI.
/// Registries are opened with `with` (TLS trust, transport, credential of the caller).
resolved_model resolve_model(const std::string& source, const std::filesystem::path& workspace_root, const env_lookup& env,
                             logger& log, const registry::backend_surroundings& with = {});

/// Records a promoted release in the model's registry (endpoint, slot, traffic share, the whole
/// traffic map, scoring URI); earlier records of the same endpoint and slot become inactive.
/// Returns false (nothing recorded) for a folder model.
bool record_release(const resolved_model& m, const endpoint& ep, const release_outcome& o, const env_lookup& env, logger& log,
                    const registry::backend_surroundings& with = {});

}  // namespace amlops::deploy
