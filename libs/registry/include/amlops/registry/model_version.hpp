#pragma once
// The data a registry stores: model versions, their artifact manifests, aliases, deployments and
// the audit log. Plain values; the registry interface (registry.hpp) reads and writes them.

#include "amlops/core/json.hpp"
#include "amlops/registry/uri.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace amlops::registry {

/// One file of a model version: path relative to the model folder ('/'-separated), size in
/// bytes, and SHA-256 of its content (lower-case hex).
struct artifact_entry {
    std::string path;
    std::uint64_t size = 0;
    std::string sha256;
    friend bool operator==(const artifact_entry&, const artifact_entry&) = default;
};

/// The files of a version, sorted by path. Its canonical text (compact JSON, sorted, no
/// timestamps) depends only on the files, so the same model folder gets the same manifest hash
/// in every registry; promotion compares these hashes.
struct manifest {
    std::vector<artifact_entry> files;

    /// Canonical JSON text: {"files":[{"path":..,"sha256":..,"size":..},...]}.
    std::string canonical_text() const;
    /// SHA-256 of canonical_text().
    std::string sha256() const;
    /// Parses canonical_text() output; throws error(bad_input) naming `origin`.
    static manifest parse(std::string_view text, std::string_view origin);
    /// Total size of the files in bytes.
    std::uint64_t total_size() const;
};

/// Where a version came from.
struct provenance {
    std::optional<std::string> run_id;        ///< job/step run id (AMLOPS_RUN_ID, AZUREML_RUN_ID)
    std::optional<std::string> pipeline_run;  ///< pipeline run id, when registered from a pipeline
    std::optional<std::string> pipeline;      ///< pipeline name
    std::optional<std::string> commit_sha;    ///< code commit the model was trained from
    std::optional<std::string> branch;
};

/// A version copied from another registry by promotion.
struct promotion_source {
    std::string uri;              ///< canonical version URI of the source
    std::string manifest_sha256;  ///< manifest hash of the source (equal to the target's)
};

/// One registered model version.
struct model_version {
    std::string registry;
    std::string name;
    std::int64_t version = 0;
    std::string type = "mlflow_model";
    std::string description;
    std::map<std::string, std::string> tags;
    json::object properties;  ///< metrics and other numbers/values, e.g. {"rmse": 3.1}
    std::string created_at;   ///< UTC ISO-8601 with milliseconds
    std::string created_by;
    provenance source;
    std::string manifest_sha256;
    std::vector<std::string> aliases;  ///< sorted
    bool archived = false;
    std::optional<promotion_source> promoted_from;

    /// Canonical URI of this version.
    model_uri uri() const { return version_uri(registry, name, version); }
};

/// What a caller provides to create a version. Artifacts are the regular files under
/// `artifacts_dir` (recursively; symlinks and special files are refused).
struct new_version {
    std::string name;
    std::filesystem::path artifacts_dir;
    std::string type = "mlflow_model";
    std::string description;
    std::map<std::string, std::string> tags;
    json::object properties;
    provenance source;
    std::string created_by;
    /// Set for promotions. Creating is then idempotent: if a version of `name` was already
    /// promoted from the same source URI, that version is returned instead of a new one.
    std::optional<promotion_source> promoted_from;
    /// Idempotent registration: when a non-archived version of `name` already has exactly the
    /// same manifest hash (same files, byte for byte), return the newest such version with
    /// created = false instead of creating a duplicate, and append a `reuse` audit entry. The
    /// check and the creation are one transaction, so concurrent identical registrations get
    /// one version. Ignored for promotions (promoted_from decides there). A backend that cannot
    /// look versions up by manifest hash creates a new version.
    bool reuse_identical = false;
};

/// Result of registry::create_version.
struct create_result {
    model_version version;
    bool created = true;  ///< false: an existing version was returned (idempotent promotion or reuse_identical)
};

/// Filters for registry::list. Empty fields do not filter.
struct version_filter {
    std::optional<std::string> name;
    std::map<std::string, std::string> tags;  ///< every key=value must match
    bool include_archived = false;
    std::size_t limit = 0;  ///< 0 = no limit; newest first
};

/// A deployment of a version (recorded by serving, read by lineage and prune).
struct deployment_record {
    std::string endpoint;
    std::string deployment;
    std::string recorded_at;
    std::string recorded_by;
    bool active = true;       ///< false once another version replaced it on that endpoint/deployment
    json::object details;     ///< free-form (traffic share, scoring URI, ...)
    std::int64_t version = 0;
};

/// One append-only audit entry. `before`/`after` are the affected state (null when absent).
struct audit_entry {
    std::int64_t id = 0;
    std::string at;
    std::string actor;
    std::string action;  ///< create, reuse, skip, alias_set, alias_unset, archive, unarchive, prune, deploy
    std::string name;
    std::optional<std::int64_t> version;
    json::value before;
    json::value after;
    json::object details;
};

/// Filters for registry::audit. Newest last; `limit` keeps the newest N (0 = all).
struct audit_filter {
    std::optional<std::string> name;
    std::optional<std::int64_t> version;
    std::optional<std::string> action;
    std::size_t limit = 0;
};

/// Outcome of registry::prune.
struct prune_result {
    std::vector<std::int64_t> removed;  ///< versions removed (or that would be, on a dry run)
    std::vector<std::int64_t> kept;     ///< versions kept
    std::map<std::int64_t, std::string> protected_reasons;  ///< older versions kept and why
    bool dry_run = false;
};

/// One problem found by registry::verify.
struct integrity_problem {
    std::string path;     ///< artifact path, or "manifest"
    std::string message;  ///< what is wrong, with expected and actual hashes
};

/// JSON forms used in tool results, registered.json and the audit log.
json::object to_json(const model_version& v);
json::object to_json(const artifact_entry& a);
json::object to_json(const deployment_record& d);
json::object to_json(const audit_entry& e);
json::object to_json(const prune_result& r);

}  // namespace amlops::registry
