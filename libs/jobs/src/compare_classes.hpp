#pragma once
// aml-compare for fare-class classifiers (a policy with `task: classification`).

#include "amlops/jobs/compare_job.hpp"

#include <string>
#include <vector>

namespace amlops::model {

/// Both models must be classifiers. Each labels the test rows' cost with its own fare classes
/// (the boundaries it was trained with), so each is judged on the task it learned; decision.json
/// records both models' boundaries. Writes decision.json like run_compare_job.
compare_result compare_classifiers(const compare_request& request, const json::value& policy_doc, logger& log,
                                   const output_sink& add_output);

/// The common end of both comparisons: names the models and test set in the decision document,
/// writes decision.json and logs the reasons (info when approved, warnings when rejected).
void finish_decision(const compare_request& request, bool has_champion, const std::vector<std::string>& reasons,
                     compare_result& result, logger& log, const output_sink& add_output);

}  // namespace amlops::model
