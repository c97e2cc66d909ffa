#pragma once
// Early-termination policies (bandit, median stopping, truncation selection) as pure functions of
// metric histories, so the trial runner and the tests share one implementation. docs/sweep.md
// states the rules.

#include "amlops/sweep/spec.hpp"

#include <string>
#include <vector>

namespace amlops::sweep {

/// One trial's reports: element i is the cross-validated primary metric after interval i + 1
/// (one boosting round). A history shorter than the interval asked for (the trial stopped
/// earlier) stands at its last value from then on.
using metric_history = std::vector<double>;

/// True when the policy evaluates at `interval` (1-based): a multiple of evaluation_interval that
/// is >= delay_evaluation. Always false for kind::none.
bool evaluates_at(const termination_policy& policy, int interval);

/// A policy's decision for one trial; `reason` explains a termination with the numbers.
struct verdict {
    bool terminate = false;
    std::string reason{};
};

/// Judges `trial` at `interval` against `others` (the trials that started before it), all seen
/// through that interval:
/// - bandit: cancel when the trial's best value is worse than the best value of all of them by
///   more than slack_factor (ratio) or slack_amount (absolute distance);
/// - median_stopping: cancel when the trial's best value is worse than the median of the others'
///   running averages (needs at least one other trial);
/// - truncation_selection: rank everyone by best value; cancel when the trial is among the worst
///   truncation_percentage percent (rounded down; ties are ranked in the trial's favour).
/// Does not check evaluates_at().
verdict evaluate(const termination_policy& policy, goal g, int interval, const metric_history& trial,
                 const std::vector<const metric_history*>& others);

}  // namespace amlops::sweep
