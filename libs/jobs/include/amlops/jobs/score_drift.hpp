#pragma once
// aml-score --drift: the scoring run of score_job.hpp, with the scored rows counted against the
// model's training profile (libs/drift, docs/drift.md) into drift.json and the result's "drift"
// section; a feature above a limit makes the run "rejected" (exit 3: the retrain trigger).

#include "amlops/core/json.hpp"
#include "amlops/core/log.hpp"
#include "amlops/drift/monitor.hpp"
#include "amlops/jobs/score_job.hpp"

namespace amlops::model {

/// drift.json's name in the output folder.
inline constexpr const char* drift_report_file = "drift.json";

/// What to check.
struct drift_check {
    bool enabled = false;  ///< report drift (implied by a limit)
    drift::limits limits;  ///< PSI / KS limits per feature; none: report only
};

/// A scoring run's result and whether the drift check said no.
struct score_outcome {
    json::object result;
    bool rejected = false;
};

/// Scores like run_score_job. With `check.enabled` (or a limit): counts every scored row into the
/// profile's bins, writes drift.json with predictions.csv (one output set), adds "drift" to the
/// result, and, when a feature exceeds a limit, adds "reasons" and returns rejected = true (the
/// predictions are still written). A model without profile.json: "drift" says "no profile" when
/// only reporting; with a limit, error(bad_input) before anything is scored, since a drift gate
/// that cannot look must not pass. Without the check: a previous run's drift.json is removed.
score_outcome run_score_job(const score_request& request, const drift_check& check, logger& log,
                            const output_sink& add_output = {});

}  // namespace amlops::model
