#pragma once
// Process environment and provenance, behind an interface so tests can inject values.

#include <functional>
#include <optional>
#include <string>

namespace amlops {

/// Looks up an environment variable. Default: ::getenv. Tests pass their own map.
using env_lookup = std::function<std::optional<std::string>(const std::string& name)>;
env_lookup system_env();

/// Commit SHA of the code being run: $GITHUB_SHA, else `git rev-parse HEAD` in the current
/// directory, else nullopt.
std::optional<std::string> detect_commit_sha(const env_lookup& env);
/// Branch: $GITHUB_REF_NAME, else `git rev-parse --abbrev-ref HEAD`, else nullopt.
std::optional<std::string> detect_branch(const env_lookup& env);
/// Commit and branch of the code, found together.
struct code_version {
    std::optional<std::string> commit_sha;
    std::optional<std::string> branch;
};
/// Like detect_commit_sha + detect_branch, but starts at most one `git` process (a fork+exec
/// costs milliseconds): $GITHUB_SHA, else `fallback_commit` (e.g. from a model's manifest), else
/// git for the commit; $GITHUB_REF_NAME, else git for the branch. Git is not run at all when
/// both are known; outside a repository the missing fields stay nullopt.
code_version detect_code_version(const env_lookup& env, std::optional<std::string> fallback_commit = std::nullopt);
/// Run id: $AMLOPS_RUN_ID, $AZUREML_RUN_ID, else a fresh random UUID-like id.
std::string detect_run_id(const env_lookup& env);
/// A random version-4 UUID string.
std::string random_uuid();
/// Current UTC time as ISO-8601 with 'Z' (seconds precision).
std::string utc_now_iso8601();

}  // namespace amlops
