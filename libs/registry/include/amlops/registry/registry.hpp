#pragma once
// The one registry interface. The embedded local backend (local_registry.hpp) implements it; an
// Azure ML backend can follow behind the same interface and the same URIs. Implementations throw
// amlops::error: not_found for absent models/versions/aliases, bad_input for invalid names,
// io for storage failures and integrity violations (a tampered artifact).

#include "amlops/registry/model_version.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace amlops::registry {

class registry {
public:
    virtual ~registry() = default;

    /// The registry's name as used in URIs (e.g. "dev").
    virtual const std::string& name() const = 0;

    /// Stores the artifacts and creates the next version of `v.name` (1 for a new model), as
    /// one atomic step: either the version is fully visible with all its artifacts, or (on any
    /// failure or a killed process) not at all. Records a `create` audit entry.
    virtual create_result create_version(const new_version& v) = 0;

    /// Creates a version from version `src` of registry `source` (a promotion): like
    /// create_version(meta), but the artifacts come from `source`, verified against `src`'s
    /// manifest hash. The default downloads them into `meta.artifacts_dir` (an empty staging
    /// folder the caller owns) and creates from there; a backend sharing storage with `source`
    /// may skip the copy. Throws error(rejected) when the artifacts do not match the source's
    /// manifest hash, error(io) when a stored artifact is corrupt.
    virtual create_result copy_version(registry& source, const model_version& src, const new_version& meta) {
        source.download(src, meta.artifacts_dir);
        return create_version(meta);
    }

    /// Resolves a URI of this registry (by version, alias or `latest`, the newest non-archived
    /// version). Throws error(not_found) naming the URI. Does not read artifacts.
    virtual model_version get(const model_uri& uri) = 0;

    /// Like get() but returns nullopt when the model, version or alias does not exist.
    virtual std::optional<model_version> find(const model_uri& uri) = 0;

    /// Versions matching `f`, newest first (by name, then version descending).
    virtual std::vector<model_version> list(const version_filter& f) = 0;

    /// The manifest of a version, read from storage and checked against the version's manifest
    /// hash. Throws error(io) if it does not match.
    virtual manifest read_manifest(const model_version& v) = 0;

    /// Copies the version's files into `dest` (created if needed), verifying each file's size
    /// and SHA-256 while copying; files are written atomically. Throws error(io) naming the
    /// artifact on a mismatch (nothing is left under that file's name).
    virtual manifest download(const model_version& v, const std::filesystem::path& dest) = 0;

    /// Re-hashes every stored artifact of `v`; returns the problems found (empty = intact).
    virtual std::vector<integrity_problem> verify(const model_version& v) = 0;

    /// Points `alias` of model `name` at `version` (moving it if it exists). Returns the previous
    /// version of the alias, if any. Audited with before/after.
    virtual std::optional<std::int64_t> set_alias(const std::string& name, const std::string& alias,
                                                  std::int64_t version, const std::string& actor) = 0;
    /// Removes an alias; returns the version it pointed to. Throws error(not_found).
    virtual std::int64_t unset_alias(const std::string& name, const std::string& alias, const std::string& actor) = 0;

    /// Sets or clears the archived flag (archived versions are hidden from list and `latest` but
    /// still resolvable by number or alias). Returns the updated version.
    virtual model_version set_archived(const std::string& name, std::int64_t version, bool archived,
                                       const std::string& actor) = 0;

    /// Removes all but the newest `retain` versions of `name`, never removing a version that has
    /// an alias or an active deployment. With dry_run nothing changes. Removals are audited
    /// with the removed version's metadata as `before`.
    virtual prune_result prune(const std::string& name, std::size_t retain, bool dry_run, const std::string& actor) = 0;

    /// Records that `version` of `name` is deployed; earlier records of the same endpoint and
    /// deployment become inactive. Audited.
    virtual deployment_record record_deployment(const std::string& name, std::int64_t version,
                                                const deployment_record& d) = 0;
    /// Deployment records of a version (all versions of `name` when version is nullopt), oldest first.
    virtual std::vector<deployment_record> deployments(const std::string& name, std::optional<std::int64_t> version) = 0;

    /// Appends an audit entry for an event that changes no version (e.g. a skipped
    /// registration, with its reasons in `details`). Returns the stored entry.
    virtual audit_entry record_event(const std::string& action, const std::string& name, const std::string& actor,
                                     const json::object& details) = 0;

    /// Reads the audit log, oldest first.
    virtual std::vector<audit_entry> audit(const audit_filter& f) = 0;

    /// Versions of any model in this registry promoted from `source_uri` (lineage forwards).
    virtual std::vector<model_version> promoted_from(const std::string& source_uri) = 0;
};

}  // namespace amlops::registry
