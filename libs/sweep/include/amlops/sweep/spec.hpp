#pragma once
// The sweep file of `aml-train --sweep FILE` (YAML or JSON), in Azure ML's sweep-job vocabulary:
// search_space, sampling_algorithm, objective, limits, early_termination, plus amlops'
// cross_validation block. docs/sweep.md describes every key.

#include "amlops/core/json.hpp"
#include "amlops/model/params.hpp"
#include "amlops/sweep/rng.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace amlops::sweep {

/// How one hyper-parameter is drawn.
enum class distribution { choice, uniform, loguniform, quniform, randint };

/// One entry of search_space: a training parameter and its parameter expression.
struct parameter_expression {
    std::string name;                 ///< a train_params key (eta, max_depth, ...)
    distribution type = distribution::choice;
    std::vector<json::value> values;  ///< choice: the candidates, in file order
    double min_value = 0, max_value = 0;  ///< uniform, quniform; loguniform: exponents of e
    double q = 1;                     ///< quniform: the step values are rounded to
    std::int64_t upper = 0;           ///< randint: values in [0, upper)
};

enum class goal { minimize, maximize };

/// Early-termination policy. An interval is one boosting round: after every round a trial
/// reports the cross-validated value of the primary metric.
struct termination_policy {
    enum class kind { none, bandit, median_stopping, truncation_selection };
    kind type = kind::none;
    int evaluation_interval = 1;  ///< evaluate at every multiple of this many intervals ...
    int delay_evaluation = 0;     ///< ... that is >= this many
    double slack_factor = 0;      ///< bandit: allowed ratio to the best trial
    double slack_amount = 0;      ///< bandit: allowed absolute distance to the best trial
    int truncation_percentage = 0;  ///< truncation_selection: share (1..99) of worst trials cancelled
};

/// The whole sweep file.
struct sweep_spec {
    std::filesystem::path file;
    std::vector<parameter_expression> space;  ///< in file order (grid: the last varies fastest)
    enum class sampling { grid, random } sampling_algorithm = sampling::random;
    std::uint64_t seed = 42;                  ///< random sampling seed
    std::string primary_metric = "rmse";      ///< an xgboost regression metric: rmse, mae, mape, rmsle
    goal metric_goal = goal::minimize;
    int max_total_trials = 0;                 ///< grid: 0 = every combination
    int max_concurrent_trials = 0;            ///< 0 = as many as the thread budget allows
    double timeout_seconds = 0;               ///< 0 = none; no trial starts after it, running ones stop
    double trial_timeout_seconds = 0;         ///< 0 = none
    termination_policy policy;
    int folds = 5;                            ///< cross_validation.folds (2..20)
    std::optional<std::uint64_t> fold_seed;   ///< cross_validation.seed; default: the training seed
};

/// Reads and checks a sweep file. Every sampled value must give valid parameters on top of
/// `base`: the bounds of each expression are checked with train_params::validate(). Errors are
/// error(config) naming the file, the line when known and the field (`search_space.eta.min_value`).
sweep_spec load_sweep_spec(const std::filesystem::path& file, const model::train_params& base);

/// One trial's sampled values, by parameter name, in search-space order.
using assignment = std::vector<std::pair<std::string, json::value>>;

/// `base` with `values` applied (integral numbers become integers for integer parameters).
model::train_params apply_assignment(model::train_params base, const assignment& values, const std::string& origin);

/// The trials' assignments: grid enumerates the cartesian product of the choice lists (first
/// max_total_trials of them when set); random draws max_total_trials assignments from a
/// generator seeded with spec.seed, so the same file gives the same trials on every platform.
std::vector<assignment> sample_trials(const sweep_spec& spec);

/// One value of `expr` drawn from `rng` (random sampling; exposed for tests of the bounds).
json::value draw(const parameter_expression& expr, stable_rng& rng);

}  // namespace amlops::sweep
