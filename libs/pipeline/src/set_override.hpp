#pragma once
// `--set` overrides on a parsed YAML document. Private to libs/pipeline (its tests include it
// from src/), so yaml-cpp stays out of the public headers.

#include <yaml-cpp/yaml.h>

#include <string>

namespace amlops::pipeline {

/// Applies one `--set` override "dotted.path=value" to a YAML document, as the Azure ML CLI does:
/// missing mappings on the way are created; the value is stored as a plain scalar (so "3" is
/// coerced by the declared type later). Throws error(usage) for a malformed override and for a
/// path that goes through a scalar ("Cannot use '--set' on properties defined by reference
/// strings"); replacing such a scalar as the final key is allowed.
void apply_set(YAML::Node& root, const std::string& assignment);

}  // namespace amlops::pipeline
