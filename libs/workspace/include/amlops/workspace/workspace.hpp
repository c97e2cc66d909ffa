#pragma once
// A local amlops workspace: a folder (default ./.amlops, or $AMLOPS_HOME) holding config.yaml,
// the local registries' databases and the shared artifact store:
//   <root>/config.yaml                      registry name -> backend
//   <root>/registries/<name>/registry.db    metadata of a local registry (SQLite, WAL)
//   <root>/artifacts/sha256/aa/...          content-addressed artifacts
//   <root>/tmp/                             scratch space for promotions
// config.yaml is created on first use with `dev` and `prod` on the `local` backend:
//   registries:
//     dev: {backend: local}
//     prod: {backend: local}
// Only the backend mapping differs between a laptop and Azure; commands and URIs stay the same.
// Registries are opened through the backend factories of a backend_catalog (backends.hpp), with
// the surroundings (environment, transport, credential, clock, TLS trust) the caller passes in.

#include "amlops/core/environment.hpp"
#include "amlops/core/log.hpp"
#include "amlops/registry/local_registry.hpp"
#include "amlops/registry/registry.hpp"
#include "amlops/registry/registry_set.hpp"
#include "amlops/workspace/backends.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace amlops::registry {

class workspace final : public registry_set {
public:
    /// Opens the workspace at `root`, creating the folder and config.yaml on first use.
    /// Throws error(config) naming config.yaml for a malformed file, error(io) if it cannot
    /// be created. Registries are opened by the factories of `backends` with `with`.
    explicit workspace(std::filesystem::path root, local_options options = {}, backend_surroundings with = {},
                       backend_catalog backends = standard_backends());

    /// $AMLOPS_HOME, else ./.amlops.
    static std::filesystem::path default_root(const env_lookup& env);

    /// Opens `root` (default_root(env) when empty) with options taken from the environment:
    /// AMLOPS_TEST_PAUSE_BEFORE_COMMIT_MS=N (test only) makes every version-creating transaction
    /// log a line and sleep N ms just before COMMIT, so tests can kill a process mid-register.
    /// `with.env` defaults to `env`.
    static workspace from_environment(const std::filesystem::path& root, const env_lookup& env, logger& log,
                                      backend_surroundings with = {});

    const std::filesystem::path& root() const noexcept { return root_; }
    /// Registry names from config.yaml, sorted.
    std::vector<std::string> registry_names() const override;
    /// The config.yaml entry of registry `name`, or nullptr.
    const registry_config* config_of(const std::string& name) const;
    /// Opens a registry by name. Throws error(not_found) listing the configured names,
    /// error(config) for a backend the catalog does not provide.
    std::unique_ptr<registry> open(const std::string& name) const override;
    /// Adds a registry to config.yaml (no-op if it exists with the same backend).
    void add_registry(const std::string& name, const registry_config& cfg);
    /// A fresh empty folder under <root>/tmp for staging files (caller removes it).
    std::filesystem::path make_temp_dir(const std::string& label) const override;

private:
    void load_config();
    void save_config() const;

    std::filesystem::path root_;
    local_options options_;
    backend_surroundings with_;
    backend_catalog backends_;
    std::map<std::string, registry_config> registries_;
};

/// Who is acting, for created_by and the audit log: $AMLOPS_ACTOR, $GITHUB_ACTOR, $USER, else
/// "unknown"; with "@<host>" appended for $USER.
std::string detect_actor(const env_lookup& env);

}  // namespace amlops::registry
