#pragma once
// The governance operations behind aml-register and aml-promote: registration gated by a
// decision, promotion between registries with hash verification, and lineage. They use only
// the registry interface, so they work unchanged on any backend.

#include "amlops/core/environment.hpp"
#include "amlops/core/json.hpp"
#include "amlops/registry/registry.hpp"
#include "amlops/registry/registry_set.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace amlops::registry {

/// Input of register_model().
struct register_request {
    std::filesystem::path model_dir;
    std::filesystem::path decision;  ///< decision.json, or a folder containing it
    std::string name;
    std::string description;
    std::map<std::string, std::string> tags;  ///< user tags; override the automatic ones
    std::optional<std::string> set_alias;
    std::string actor;
};

/// Outcome of register_model().
struct register_outcome {
    bool registered = false;
    std::optional<model_version> version;  ///< set when registered
    bool created = false;                  ///< false when registered: an identical version was returned
    std::vector<std::string> reasons;      ///< the decision's reasons
    std::optional<std::int64_t> alias_previous;  ///< previous version of set_alias, if it moved
};

/// Registers `r.model_dir` as the next version of `r.name` when the decision approves it;
/// otherwise appends a `skip` audit entry with the decision's reasons and registers nothing.
/// Idempotent: when a non-archived version of `r.name` has the same manifest hash (the same
/// files), that version is returned with created = false (a `reuse` audit entry records the
/// rerun) and `set_alias` still moves to it.
/// Automatic tags: commit_sha ($GITHUB_SHA, else the model's manifest.json, else git), branch,
/// run_id ($AMLOPS_RUN_ID, $AZUREML_RUN_ID, else manifest.json), pipeline ($AMLOPS_PIPELINE_NAME),
/// pipeline_run ($AMLOPS_PIPELINE_RUN_ID), decision, primary_metric and the candidate metrics;
/// the candidate metrics are also the version's properties. Throws error(bad_input) for a
/// malformed decision, error(not_found) for a missing model folder.
register_outcome register_model(registry& reg, const register_request& r, const env_lookup& env);

/// Input of promote().
struct promote_request {
    std::string from, to, name;
    std::optional<std::int64_t> version;  ///< exactly one of version and alias
    std::optional<std::string> alias;
    std::vector<std::pair<std::string, std::optional<std::string>>> required_tags;  ///< key[=value]
    std::optional<std::string> set_alias;
    std::string actor;
};

/// Outcome of promote().
struct promote_outcome {
    model_version source;
    model_version target;
    bool created = false;  ///< false: the source had been promoted before (idempotent)
    std::optional<std::int64_t> alias_previous;
};

/// Copies a version from registry `r.from` to `r.to` with hash verification and lineage
/// (promoted_from, tags promoted_from / promoted_from_version / source_manifest_sha256).
/// Refuses with error(rejected) when a required tag is missing or different, the source is
/// archived, or any artifact hash does not match. Promoting the same source again returns the
/// existing target version.
promote_outcome promote(const registry_set& ws, const promote_request& r);

/// One link of a lineage chain.
struct lineage_report {
    std::optional<std::string> commit_sha, branch, pipeline, pipeline_run, run_id;
    std::vector<model_version> versions;  ///< origin first (dev), then promotions (prod, ...)
    std::vector<std::pair<std::string, deployment_record>> deployments;  ///< (version uri, record)
    json::object to_json() const;
    /// Human-readable chain: commit -> pipeline run -> versions -> deployments.
    std::string to_text() const;
};

/// Follows `uri` back to its origin (through promoted_from) and forward to promotions in every
/// registry of the workspace and their deployments.
lineage_report lineage(const registry_set& ws, const model_uri& uri);

}  // namespace amlops::registry
