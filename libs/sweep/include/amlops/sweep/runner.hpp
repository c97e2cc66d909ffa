#pragma once
// Runs a sweep: every trial is k-fold cross-validated round by round (all folds in step, early
// stopping on the folds' mean metric), trials run in parallel within the thread budget, and the
// early-termination policy judges each trial against the trials that started before it.

#include "amlops/core/json.hpp"
#include "amlops/core/log.hpp"
#include "amlops/data/table.hpp"
#include "amlops/model/params.hpp"
#include "amlops/sweep/policy.hpp"
#include "amlops/sweep/spec.hpp"

#include <functional>
#include <string>
#include <vector>

namespace amlops::sweep {

enum class trial_status { completed, terminated, cancelled };
std::string_view to_string(trial_status s) noexcept;

/// What one trial did.
struct trial_report {
    int index = 0;                  ///< 0-based, in sampling order (reports and tables count from 1)
    assignment values;              ///< the sampled parameters
    model::train_params params;     ///< the full parameters it trained with
    trial_status status = trial_status::completed;
    std::string reason{};           ///< why it was terminated or cancelled
    double cv_mean = 0, cv_sd = 0;  ///< primary metric at the best round: mean and population sd over the folds
    int rounds = 0;                 ///< best round count (1-based), the n_estimators the final model gets
    int rounds_run = 0;             ///< rounds trained before completing, stopping or being stopped
    double seconds = 0;
    metric_history history{};       ///< the folds' mean metric after every round
};

/// The sweep's result.
struct sweep_outcome {
    std::vector<trial_report> trials;  ///< trials that started, by index
    int best = -1;                     ///< index into trials
    model::train_params final_params;  ///< best trial's parameters for the retrain on all rows
    int concurrent_trials = 1;
    int threads_per_trial = 1;
    int threads = 1;
    double seconds = 0;
};

/// Where the runner gets its surroundings; defaults are the real ones.
struct sweep_environment {
    int threads = 0;                       ///< core budget, 0 = all cores
    std::function<double()> now_seconds{};  ///< monotonic clock in seconds (timeouts, timings)
};

/// Runs the sweep on `train` (features in the model's column order, target required). `base` is
/// the parameters the search space is applied to. Logs one line per finished trial. The final
/// parameters are the best trial's, with n_estimators = its best round count, early stopping off,
/// no validation hold-out and nthread = the whole budget. Throws error(bad_input) for too few rows,
/// error(internal) when xgboost fails.
sweep_outcome run_sweep(const sweep_spec& spec, const model::train_params& base, const data::numeric_table& train,
                        logger& log, const sweep_environment& env = {});

/// sweep.json: the spec summary, every trial (params, CV mean and sd, rounds, status, seconds)
/// and the best trial with the final parameters (which `aml-train --params sweep.json` reads).
json::object to_json(const sweep_outcome& outcome, const sweep_spec& spec);

/// The trials as a fixed-width text table (one line per trial, the best marked with '*').
std::vector<std::string> format_table(const sweep_outcome& outcome, const sweep_spec& spec);

}  // namespace amlops::sweep
