#pragma once
// The quality-gate policy: which metric decides, by how much a candidate must beat the champion,
// absolute limits, and an optional paired bootstrap. Read from a YAML or JSON file; every key is
// validated and an unknown key is an error, so a typo never silently weakens the gate.

#include "amlops/core/json.hpp"
#include "amlops/gate/metric.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

namespace amlops::gate {

/// Settings of the paired bootstrap over test rows.
struct bootstrap_policy {
    std::uint32_t resamples = 1000;  ///< number of resamples, 100..1,000,000
    double confidence = 0.95;        ///< two-sided percentile interval level, in (0, 1)
    std::uint64_t seed = 0;          ///< PRNG seed; the same seed gives the same interval everywhere
};

/// A validated gate policy.
struct policy {
    metric primary_metric = metric::rmse;  ///< required key
    /// Required improvement over the champion as a fraction of the champion's value (0.01 = 1%),
    /// direction-aware; 0 means "not worse". In [0, 1).
    double min_relative_improvement = 0.0;
    std::optional<double> max_rmse;  ///< candidate rmse must be <= this (target units), >= 0
    std::optional<double> max_mae;   ///< candidate mae must be <= this (target units), >= 0
    std::optional<double> min_r2;    ///< candidate r2 must be >= this, <= 1
    std::optional<bootstrap_policy> bootstrap;  ///< absent: decide on point estimates only
};

/// Validates a parsed policy document (a JSON object; YAML is converted to the same shape).
/// Throws error(config) naming `origin` (as the file) and the offending key (as the field,
/// dotted for nested keys, e.g. "bootstrap.seed") for an unknown key, a missing primary_metric,
/// a value of the wrong type or out of range.
policy policy_from_json(const json::value& doc, std::string_view origin);

/// Loads a policy file: `.json` is parsed as JSON, anything else as YAML. Throws error(not_found)
/// when the file is absent, error(bad_input) for a JSON syntax error, error(config) for a YAML
/// syntax error and for every validation failure of policy_from_json.
policy load_policy(const std::filesystem::path& path);

/// The policy file as a JSON document, unvalidated (YAML converted like load_policy does), for
/// a caller that first reads which kind of policy it is (its "task" key).
json::value read_policy_document(const std::filesystem::path& path);

/// The policy with every default filled in, as recorded in decision.json.
json::object to_json(const policy& p);

}  // namespace amlops::gate
