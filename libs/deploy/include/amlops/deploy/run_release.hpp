#pragma once
// aml-deploy's whole job behind its flags: resolve the model (registry URI pinned to one version,
// or a folder), open the endpoint, run the blue/green release (release.hpp), write
// deployment_state.json, and record a promoted release in the registry. A smoke test that failed
// (the endpoint rolled back) marks the result rejected: exit 3.

#include "amlops/core/json.hpp"

#include <cstddef>
#include <optional>
#include <string>

namespace amlops::cli {
class context;
}

namespace amlops::deploy {

/// The flags of aml-deploy, as given (resolved against the environment by run_release()).
struct release_settings {
    std::string endpoint;    ///< local://HOST:PORT or azureml://.../onlineEndpoints/NAME
    std::string model;       ///< registry URI or model folder
    std::string workspace;   ///< empty: $AMLOPS_HOME, else ./.amlops
    std::string smoke_data;  ///< test table (file or folder); required
    std::string key_file, state_file, output, slot;
    std::string ca_file;     ///< empty: $AMLOPS_CA_FILE, else the transport's default trust
    // azureml:// endpoints only
    std::string environment, instance_type = "Standard_DS3_v2";
    int instance_count = 1, request_timeout_ms = 5000;
    bool delete_on_rollback = false;  ///< local endpoints always unload a rolled-back slot
    std::optional<double> max_rmse;
    int traffic = 30;
    std::size_t smoke_rows = 10;
};

/// Runs the release and returns deployment_state.json plus `recorded` (the registry has the
/// release). The state file is written (to state_file and/or output/deployment_state.json, both
/// declared as outputs of `ctx`) before the registry is touched, and again once recorded.
/// Throws amlops::error: usage without smoke data, else what resolving, the endpoint or the
/// registry threw.
json::value run_release(const release_settings& s, cli::context& ctx);

}  // namespace amlops::deploy
