#pragma once
// The metrics a quality gate can decide on, and which direction is "better" for each.

#include "amlops/metrics/regression.hpp"

#include <optional>
#include <span>
#include <string_view>

namespace amlops::gate {

/// A gate metric. rmse and mae: lower is better; r2: higher is better.
enum class metric { rmse, mae, r2 };

/// Stable lower-case name ("rmse", "mae", "r2"), as in policy files and decision.json.
std::string_view to_string(metric m) noexcept;

/// The metric named `name`, or nullopt for any other text (case-sensitive).
std::optional<metric> metric_from_string(std::string_view name) noexcept;

/// True for rmse and mae (errors), false for r2 (a score).
bool lower_is_better(metric m) noexcept;

/// The value of `m` in an already computed summary.
double value_of(metric m, const metrics::regression_summary& s) noexcept;

/// Computes `m` on paired spans; throws like amlops::metrics (bad_input on empty/mismatched).
double compute(metric m, std::span<const double> actual, std::span<const double> predicted);

/// Direction-aware improvement of `candidate` over `champion`: positive when the candidate is
/// better (champion - candidate for errors, candidate - champion for r2).
double improvement(metric m, double candidate, double champion) noexcept;

}  // namespace amlops::gate
