#pragma once
// The gate decision: candidate vs champion on the same test rows, judged by a policy. Pure: no
// files, no printing; aml-compare loads models and data and writes decision.json.

#include "amlops/core/json.hpp"
#include "amlops/gate/bootstrap.hpp"
#include "amlops/gate/policy.hpp"
#include "amlops/metrics/regression.hpp"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace amlops::gate {

/// One rule of the policy applied to the models.
struct check {
    std::string name;    ///< "max_rmse", "max_mae", "min_r2", "champion", "bootstrap"
    bool passed = false;
    std::string reason;  ///< a human sentence with the numbers
};

/// The outcome of decide().
struct decision {
    bool approved = false;
    policy applied;                 ///< the policy, defaults filled in
    std::vector<check> checks;      ///< every rule that applied, in evaluation order
    /// Rejected: the sentences of the failed checks. Approved: the sentences of every check.
    std::vector<std::string> reasons;
    metrics::regression_summary candidate;
    std::optional<metrics::regression_summary> champion;  ///< nullopt: no champion
    std::optional<bootstrap_interval> bootstrap;           ///< set when configured and a champion exists
};

/// Judges `candidate` predictions (and `champion` predictions on the SAME rows, if any) against
/// `actual` under `p`:
/// - absolute limits (max_rmse, max_mae, min_r2) on the candidate, when set;
/// - with a champion: the candidate's primary metric must improve on the champion's by at least
///   min_relative_improvement * |champion value| (direction-aware; 0 = not worse);
/// - with a champion and p.bootstrap: the paired-bootstrap interval of the difference must
///   exclude 0 on the candidate's side.
/// Approved iff every check passes; without a champion and without limits that is "approved".
/// Throws error(bad_input) when the spans differ in length, are empty or hold non-finite values.
decision decide(const policy& p, std::span<const double> actual, std::span<const double> candidate,
                std::optional<std::span<const double>> champion);

/// The decision.json document: {decision: "approve"|"reject", reasons, primary_metric, policy,
/// checks, metrics: {candidate, champion|null, delta|null}, bootstrap (only when it ran)}.
json::object to_json(const decision& d);

}  // namespace amlops::gate
