#pragma once
// `aml-predict serve` as an Azure ML custom container (environment/README.md): what the
// platform hands the container, and the routes and port environment/amlops-cpp.yaml declares in
// its inference_config. Azure ML runs the image's command without flags, so everything the server
// needs comes from these variables:
//   AZUREML_MODEL_DIR   the mounted model version, /var/azureml-app/azureml-models/<name>/<version>;
//                       the MLflow folder is that folder itself or its only subfolder holding an
//                       MLmodel file (a model registered from a folder keeps the folder's name).
//   SCORING_TIMEOUT_MS  the scoring deadline, the variable Azure ML's own inference server reads;
//                       set it to the deployment's request_settings.request_timeout_ms (the
//                       platform answers 408 itself after that, so later work is wasted).
//   WORKER_COUNT        concurrent requests per instance (the inference server's worker count).
//   AMLOPS_DRIFT        "1"/"true" counts scored rows against the model's training profile for
//                       /metrics, as `--drift` does (docs/drift.md); "0"/"false"/unset: off. The
//                       deployment's environment_variables are the only way to pass it.
// No variable carries the port: the platform probes the port inference_config declares.

#include "amlops/core/environment.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

namespace amlops::serve::azureml {

/// The port and routes environment/amlops-cpp.yaml declares (inference_config).
inline constexpr std::uint16_t container_port = 5001;
inline constexpr std::string_view liveness_route = "/live";
inline constexpr std::string_view readiness_route = "/ready";
inline constexpr std::string_view scoring_route = "/score";

/// Managed online endpoints cap request_timeout_ms at 180 s: no client waits longer, so this is
/// the deadline when SCORING_TIMEOUT_MS is not set.
inline constexpr unsigned max_request_timeout_ms = 180'000;

/// What the platform's variables say, when AZUREML_MODEL_DIR is set.
struct container_settings {
    std::filesystem::path model_dir;   ///< the MLflow model folder to serve (resolved)
    unsigned request_timeout_ms = max_request_timeout_ms;
    unsigned threads = 0;              ///< from WORKER_COUNT; 0: not set
    bool drift = false;                ///< from AMLOPS_DRIFT
};

/// Reads the variables above. nullopt when AZUREML_MODEL_DIR is unset or empty (not running as an
/// Azure ML deployment). Throws error(config) naming the variable for a bad number or switch, and the
/// errors of resolve_model_dir().
std::optional<container_settings> container_settings_from_env(const env_lookup& env);

/// The MLflow model folder inside a mounted model version: `root` when it holds MLmodel, else its
/// only subfolder that does. Throws error(not_found) when there is none, error(config) listing
/// them when there are several.
std::filesystem::path resolve_model_dir(const std::filesystem::path& root);

/// SCORING_TIMEOUT_MS when set (validated: 1..max_request_timeout_ms), else nullopt. Throws
/// error(config) naming the variable.
std::optional<unsigned> scoring_timeout_from_env(const env_lookup& env);

}  // namespace amlops::serve::azureml
