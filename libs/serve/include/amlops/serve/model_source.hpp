#pragma once
// Model sources for serving and one-shot prediction: an MLflow model folder or a registry URI
// (azureml://registries/<r>/models/<name>/versions/<v> | @alias | /labels/latest), resolved in a
// local amlops workspace and materialized (downloaded with hash checks) before loading.

#include "amlops/core/environment.hpp"
#include "amlops/core/log.hpp"
#include "amlops/serve/service.hpp"
#include "amlops/workspace/backends.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace amlops::serve {

/// True when `source` looks like a registry URI (starts with "azureml://").
bool is_registry_uri(const std::string& source) noexcept;

/// Loads a model folder: the model, its signature's column names and MLflow types. model_name is
/// the folder's name, model_version "". Throws like model::loaded_model::load.
std::shared_ptr<const loaded_source> load_model_folder(const std::filesystem::path& dir, const std::string& source);

/// Loads `source`: a registry URI through the workspace at `workspace_root` (empty: $AMLOPS_HOME,
/// else ./.amlops), else a folder. A URI's version is downloaded into a temporary folder of the
/// workspace, loaded, and the folder removed. Throws error(not_found) for an unknown registry,
/// model or version, error(bad_input) for a malformed URI or model. Registries are opened with
/// `with` (TLS trust, transport, credential of the caller).
std::shared_ptr<const loaded_source> load_model_source(const std::string& source,
                                                       const std::filesystem::path& workspace_root,
                                                       const env_lookup& env, logger& log,
                                                       const registry::backend_surroundings& with = {});

/// A model_loader bound to a workspace (see load_model_source).
model_loader make_model_loader(std::filesystem::path workspace_root, env_lookup env, logger& log,
                               registry::backend_surroundings with = {});

}  // namespace amlops::serve
