#pragma once
// The embedded local backend: SQLite (WAL) metadata in <dir>/registry.db plus a content-addressed
// artifact store shared by every local registry of a workspace.

#include "amlops/registry/registry.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace amlops::registry {

/// Injectable behaviour of the local backend.
struct local_options {
    /// Current time as UTC ISO-8601 with milliseconds. Default: the system clock.
    std::function<std::string()> clock;
    /// How long a writer waits for another process's write transaction before failing.
    std::chrono::milliseconds busy_timeout{60000};
    /// Called inside the version-creating transaction just before COMMIT. Tests use it to
    /// kill a process at the worst moment (see AMLOPS_TEST_PAUSE_BEFORE_COMMIT_MS in workspace.hpp).
    std::function<void()> before_commit;
};

/// Opens (creating on first use) the local registry `name` with its database in `dir` and
/// artifacts in `artifact_root` (the workspace's `artifacts` folder). Throws error(io) when the
/// database cannot be opened or migrated.
std::unique_ptr<registry> open_local_registry(std::string name, const std::filesystem::path& dir,
                                              const std::filesystem::path& artifact_root, local_options options = {});

/// UTC now as "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string utc_now_millis();

}  // namespace amlops::registry
