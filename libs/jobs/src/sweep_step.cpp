#include "amlops/jobs/sweep_step.hpp"

#include "amlops/sweep/runner.hpp"

namespace amlops::model {

struct sweep_step::state {
    train_params base;
    sweep::sweep_spec spec;
    sweep::sweep_outcome outcome{};
};

sweep_step::sweep_step(const std::filesystem::path& file, const train_params& base)
    : state_(std::make_unique<state>(state{base, sweep::load_sweep_spec(file, base)})) {}
sweep_step::~sweep_step() = default;
sweep_step::sweep_step(sweep_step&&) noexcept = default;
sweep_step& sweep_step::operator=(sweep_step&&) noexcept = default;

train_params sweep_step::run(const data::numeric_table& train, logger& log) {
    state_->outcome = sweep::run_sweep(state_->spec, state_->base, train, log, {.threads = state_->base.nthread});
    for (const auto& line : sweep::format_table(state_->outcome, state_->spec)) log.info(line);
    const auto& best = state_->outcome.trials.at(static_cast<std::size_t>(state_->outcome.best));
    log.info("sweep: best trial " + std::to_string(best.index + 1) + "; retraining on all " + std::to_string(train.rows) +
             " rows with " + std::to_string(state_->outcome.final_params.n_estimators) + " rounds");
    return state_->outcome.final_params;
}

json::object sweep_step::report() const { return sweep::to_json(state_->outcome, state_->spec); }

json::object sweep_step::summary() const {
    const auto& o = state_->outcome;
    const auto& best = o.trials.at(static_cast<std::size_t>(o.best));
    json::object counts;
    for (auto s : {sweep::trial_status::completed, sweep::trial_status::terminated, sweep::trial_status::cancelled}) {
        counts[sweep::to_string(s)] = std::count_if(o.trials.begin(), o.trials.end(), [&](const auto& t) { return t.status == s; });
    }
    json::object sampled;
    for (const auto& [name, v] : best.values) sampled[name] = v;
    return json::object{{"best_trial", best.index + 1},
                        {"cv_" + state_->spec.primary_metric, best.cv_mean},
                        {"cv_sd", best.cv_sd},
                        {"rounds", best.rounds},
                        {"params", std::move(sampled)},
                        {"trials", std::move(counts)},
                        {"seconds", o.seconds}};
}

}  // namespace amlops::model
