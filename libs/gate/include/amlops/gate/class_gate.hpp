#pragma once
// The quality gate of a fare-class classifier: rules on accuracy, macro-F1 and log-loss, both
// absolute (the candidate alone) and relative to the champion on the same test rows. A policy
// file says it is one with `task: classification` (pipelines/config/quality-gate-classification.yaml);
// every key is validated and an unknown one is an error, as for the regression policy.
//
//   task: classification          required
//   max_accuracy_drop: 0.0        candidate accuracy >= champion's - this (default 0: not worse)
//   max_macro_f1_drop: R          candidate macro-F1 >= champion's - this
//   max_log_loss_rise: R          candidate log-loss <= champion's + this (0: must not rise)
//   min_accuracy / min_macro_f1   absolute floors in [0, 1]
//   max_log_loss                  absolute ceiling, >= 0

#include "amlops/core/json.hpp"
#include "amlops/metrics/classification.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace amlops::gate {

struct class_policy {
    double max_accuracy_drop = 0.0;
    std::optional<double> max_macro_f1_drop, max_log_loss_rise;
    std::optional<double> min_accuracy, min_macro_f1, max_log_loss;
};

/// True when the policy document has `task: classification`.
bool is_class_policy(const json::value& doc) noexcept;

/// Validates a classification policy document. Throws error(config) naming `origin` and the key
/// for an unknown key, a missing or other task, a wrong type or a value out of range.
class_policy class_policy_from_json(const json::value& doc, std::string_view origin);

struct class_check {
    std::string name;  ///< the policy key the check applies
    bool passed = false;
    std::string reason;
};

struct class_decision {
    bool approved = false;
    std::vector<class_check> checks;
    std::vector<std::string> reasons;  ///< rejected: the failed checks; approved: all
};

/// Applies every rule that is set (the champion rules only with a champion).
class_decision decide_classes(const class_policy& p, const metrics::classification_summary& candidate,
                              const std::optional<metrics::classification_summary>& champion);

/// {decision, reasons, task, policy, checks, metrics: {candidate, champion|null, delta|null}}
json::object to_json(const class_policy& p, const class_decision& d, const metrics::classification_summary& candidate,
                     const std::optional<metrics::classification_summary>& champion);

}  // namespace amlops::gate
