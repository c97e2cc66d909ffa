#include "amlops/sweep/runner.hpp"

#include "amlops/core/error.hpp"
#include "amlops/sweep/folds.hpp"
#include "amlops/xgb/booster.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

namespace amlops::sweep {
namespace {

// The histories of the trials so far, for the termination policy. A trial judged at interval n
// waits until every earlier trial has reported n values or finished, so each decision sees the
// same numbers whatever the thread timing: the same sweep gives the same trials every run.
class scoreboard {
public:
    explicit scoreboard(std::size_t trials) : histories_(trials), finished_(trials, false) {}

    void report(std::size_t trial, double value) {
        {
            std::lock_guard lock(mutex_);
            histories_[trial].push_back(value);
        }
        changed_.notify_all();
    }
    void finish(std::size_t trial) {
        {
            std::lock_guard lock(mutex_);
            finished_[trial] = true;
        }
        changed_.notify_all();
    }
    // Copies of the earlier trials' histories through `interval` (empty ones dropped).
    std::vector<metric_history> earlier(std::size_t trial, int interval) {
        const auto n = static_cast<std::size_t>(interval);
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] {
            for (std::size_t j = 0; j < trial; ++j)
                if (!finished_[j] && histories_[j].size() < n) return false;
            return true;
        });
        std::vector<metric_history> out;
        for (std::size_t j = 0; j < trial; ++j) {
            const auto& h = histories_[j];
            if (!h.empty()) out.emplace_back(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(std::min(n, h.size())));
        }
        return out;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<metric_history> histories_;
    std::vector<bool> finished_;
};

// One fold's data and booster. The booster caches both matrices, so per-round evaluation of the
// held-out part reuses xgboost's prediction cache.
struct fold_model {
    std::optional<xgb::dmatrix> train, valid;
    std::optional<xgb::booster> booster;
};

struct rows_part {
    std::vector<float> x;
    std::vector<double> y;
    std::size_t rows = 0;
};

rows_part select(const data::numeric_table& table, const std::vector<int>& fold, int f, bool held_out) {
    rows_part p;
    for (std::size_t i = 0; i < table.rows; ++i) {
        if ((fold[i] == f) != held_out) continue;
        auto r = table.row(i);
        p.x.insert(p.x.end(), r.begin(), r.end());
        p.y.push_back(table.target[i]);
        ++p.rows;
    }
    return p;
}

struct shared_run {
    const sweep_spec& spec;
    const data::numeric_table& train;
    const std::vector<int>& fold;
    int threads_per_trial;
    double deadline;  // absolute, infinity when no timeout
    std::function<double()> now;
    scoreboard& board;
};

trial_report run_trial(const shared_run& run, int index, const assignment& values, const model::train_params& params) {
    const double start = run.now();
    trial_report report{.index = index, .values = values, .params = params};
    const int k = run.spec.folds;
    const std::size_t cols = run.train.columns.size();
    std::vector<fold_model> folds(static_cast<std::size_t>(k));
    for (int f = 0; f < k; ++f) {
        auto& m = folds[static_cast<std::size_t>(f)];
        rows_part fit = select(run.train, run.fold, f, false), held = select(run.train, run.fold, f, true);
        m.train = xgb::dmatrix::from_dense(fit.x, fit.rows, cols, run.threads_per_trial);
        m.train->set_labels(fit.y);
        m.valid = xgb::dmatrix::from_dense(held.x, held.rows, cols, run.threads_per_trial);
        m.valid->set_labels(held.y);
        const xgb::dmatrix* cache[] = {&*m.train, &*m.valid};
        m.booster.emplace(cache);
        for (const auto& [key, value] : params.xgboost_params()) m.booster->set_param(key, value);
        m.booster->set_param("nthread", std::to_string(run.threads_per_trial));
        m.booster->set_param("eval_metric", run.spec.primary_metric);
    }

    const bool minimize = run.spec.metric_goal == goal::minimize;
    auto improves = [&](double a, double b) { return minimize ? a < b : a > b; };
    std::vector<std::vector<double>> per_fold;  // per round, the folds' values
    int best_round = 0;
    const double trial_deadline = run.spec.trial_timeout_seconds > 0 ? start + run.spec.trial_timeout_seconds
                                                                     : std::numeric_limits<double>::infinity();
    for (int round = 0; round < params.n_estimators; ++round) {
        std::vector<double> values_now;
        for (auto& m : folds) {
            m.booster->update_one_iter(round, *m.train);
            xgb::eval_set sets[] = {{"valid", &*m.valid}};
            auto evals = m.booster->eval(round, sets);
            auto it = std::find_if(evals.begin(), evals.end(), [&](const auto& e) { return e.metric == run.spec.primary_metric; });
            if (it == evals.end()) throw error(error_kind::internal, "xgboost reported no " + run.spec.primary_metric + " for a fold");
            values_now.push_back(it->value);
        }
        double mean = 0;
        for (double v : values_now) mean += v;
        mean /= static_cast<double>(values_now.size());
        per_fold.push_back(std::move(values_now));
        report.history.push_back(mean);
        report.rounds_run = round + 1;
        run.board.report(static_cast<std::size_t>(index), mean);
        if (improves(mean, report.history[static_cast<std::size_t>(best_round)])) best_round = round;

        if (evaluates_at(run.spec.policy, round + 1)) {
            auto earlier = run.board.earlier(static_cast<std::size_t>(index), round + 1);
            std::vector<const metric_history*> others;
            for (const auto& h : earlier) others.push_back(&h);
            verdict v = evaluate(run.spec.policy, run.spec.metric_goal, round + 1, report.history, others);
            if (v.terminate) {
                report.status = trial_status::terminated;
                report.reason = std::move(v.reason);
                break;
            }
        }
        if (params.early_stopping_rounds > 0 && round - best_round >= params.early_stopping_rounds) break;
        const double now = run.now();
        if (now >= run.deadline || now >= trial_deadline) {
            report.status = trial_status::cancelled;
            report.reason = now >= run.deadline ? "the sweep's timeout passed" : "the trial's timeout passed";
            break;
        }
    }
    const auto& at_best = per_fold[static_cast<std::size_t>(best_round)];
    report.cv_mean = report.history[static_cast<std::size_t>(best_round)];
    double squares = 0;
    for (double v : at_best) squares += (v - report.cv_mean) * (v - report.cv_mean);
    report.cv_sd = std::sqrt(squares / static_cast<double>(at_best.size()));
    report.rounds = best_round + 1;
    report.seconds = run.now() - start;
    return report;
}

std::string fixed(double v, int decimals) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string value_text(const json::value& v) {
    if (v.is_double()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.4g", v.as_double());
        return buf;
    }
    if (v.is_string()) return std::string(v.as_string());
    return boost::json::serialize(v);
}

std::string describe(const assignment& values) {
    std::string out;
    for (const auto& [name, v] : values) out.append(out.empty() ? "" : " ").append(name).append("=").append(value_text(v));
    return out;
}

}  // namespace

std::string_view to_string(trial_status s) noexcept {
    switch (s) {
    case trial_status::completed: return "completed";
    case trial_status::terminated: return "terminated";
    case trial_status::cancelled: return "cancelled";
    }
    return "completed";
}

sweep_outcome run_sweep(const sweep_spec& spec, const model::train_params& base, const data::numeric_table& train,
                        logger& log, const sweep_environment& env) {
    std::function<double()> now = env.now_seconds;
    if (!now) {
        now = [] { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); };
    }
    const double start = now();
    if (train.target.size() != train.rows) throw error(error_kind::bad_input, "training data has no target values");
    const std::vector<assignment> trials = sample_trials(spec);
    const std::vector<int> fold = assign_folds(train.rows, spec.folds, spec.fold_seed.value_or(static_cast<std::uint64_t>(base.seed)));
    std::vector<model::train_params> params;
    for (const auto& a : trials) params.push_back(apply_assignment(base, a, spec.file.string()));

    sweep_outcome out;
    out.threads = env.threads > 0 ? env.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    int concurrent = spec.max_concurrent_trials > 0 ? std::min(spec.max_concurrent_trials, out.threads) : out.threads;
    concurrent = std::max(1, std::min(concurrent, static_cast<int>(trials.size())));
    out.concurrent_trials = concurrent;
    // Trials share the cores: each of the concurrent trials gets an equal share of the budget.
    out.threads_per_trial = std::max(1, out.threads / concurrent);
    log.info("sweep: " + std::to_string(trials.size()) + " trials, " + std::to_string(spec.folds) + "-fold cross-validation on " +
             std::to_string(train.rows) + " rows, " + std::to_string(concurrent) + " at a time with " +
             std::to_string(out.threads_per_trial) + " thread(s) each");

    scoreboard board(trials.size());
    const double deadline = spec.timeout_seconds > 0 ? start + spec.timeout_seconds : std::numeric_limits<double>::infinity();
    shared_run run{spec, train, fold, out.threads_per_trial, deadline, now, board};
    std::vector<std::optional<trial_report>> reports(trials.size());
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr failure;
    std::mutex failure_mutex;
    auto worker = [&] {
        for (;;) {
            const std::size_t i = next.fetch_add(1);
            if (i >= trials.size()) return;
            // Trials are taken in order and every taken trial is marked finished (run, skipped
            // after a failure or past the timeout), so waits in the scoreboard always end.
            try {
                if (!failed.load() && now() < deadline) {
                    reports[i] = run_trial(run, static_cast<int>(i), trials[i], params[i]);
                    const auto& r = *reports[i];
                    log.info("trial " + std::to_string(i + 1) + "/" + std::to_string(trials.size()) + " " +
                             std::string(to_string(r.status)) + ": " + spec.primary_metric + " " + fixed(r.cv_mean, 4) + " ± " +
                             fixed(r.cv_sd, 4) + " at " + std::to_string(r.rounds) + " rounds, " + fixed(r.seconds, 2) + " s (" +
                             describe(r.values) + ")" + (r.reason.empty() ? "" : "; " + r.reason));
                }
            } catch (...) {
                std::lock_guard lock(failure_mutex);
                if (!failure) failure = std::current_exception();
                failed = true;
            }
            board.finish(i);
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < concurrent; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);

    for (auto& r : reports)
        if (r) out.trials.push_back(std::move(*r));
    // The best completed trial; trials stopped by a policy or a timeout only when none completed.
    for (bool completed_only : {true, false}) {
        for (std::size_t i = 0; i < out.trials.size(); ++i) {
            const auto& t = out.trials[i];
            if (completed_only && t.status != trial_status::completed) continue;
            if (out.best < 0 || t.cv_mean < out.trials[static_cast<std::size_t>(out.best)].cv_mean) out.best = static_cast<int>(i);
        }
        if (out.best >= 0) break;
    }
    if (out.best < 0) throw error(error_kind::internal, "the sweep's timeout passed before any trial started").on_field("limits.timeout");
    if (out.trials[static_cast<std::size_t>(out.best)].status != trial_status::completed)
        log.warn("no trial completed; the best is a trial that was stopped early");

    const auto& best = out.trials[static_cast<std::size_t>(out.best)];
    out.final_params = best.params;
    out.final_params.n_estimators = best.rounds;
    out.final_params.early_stopping_rounds = 0;
    out.final_params.validation_fraction = 0;
    out.final_params.nthread = env.threads;
    out.seconds = now() - start;
    return out;
}

json::object to_json(const sweep_outcome& outcome, const sweep_spec& spec) {
    json::array trials;
    for (const auto& t : outcome.trials) {
        json::object sampled;
        for (const auto& [name, v] : t.values) sampled[name] = v;
        json::object o{{"trial", t.index + 1},
                       {"status", to_string(t.status)},
                       {"params", std::move(sampled)},
                       {"cv_mean", t.cv_mean},
                       {"cv_sd", t.cv_sd},
                       {"rounds", t.rounds},
                       {"rounds_run", t.rounds_run},
                       {"seconds", t.seconds}};
        if (!t.reason.empty()) o["reason"] = t.reason;
        trials.push_back(std::move(o));
    }
    const auto& best = outcome.trials.at(static_cast<std::size_t>(outcome.best));
    const char* policy = "none";
    switch (spec.policy.type) {
    case termination_policy::kind::none: break;
    case termination_policy::kind::bandit: policy = "bandit"; break;
    case termination_policy::kind::median_stopping: policy = "median_stopping"; break;
    case termination_policy::kind::truncation_selection: policy = "truncation_selection"; break;
    }
    json::object sampled;
    for (const auto& [name, v] : best.values) sampled[name] = v;
    return json::object{
        {"sweep_file", spec.file.string()},
        {"sampling_algorithm", spec.sampling_algorithm == sweep_spec::sampling::grid ? "grid" : "random"},
        {"primary_metric", spec.primary_metric},
        {"goal", spec.metric_goal == goal::minimize ? "minimize" : "maximize"},
        {"early_termination", policy},
        {"folds", spec.folds},
        {"concurrent_trials", outcome.concurrent_trials},
        {"threads_per_trial", outcome.threads_per_trial},
        {"seconds", outcome.seconds},
        {"trials", std::move(trials)},
        {"best", json::object{{"trial", best.index + 1},
                              {"cv_mean", best.cv_mean},
                              {"cv_sd", best.cv_sd},
                              {"sampled", std::move(sampled)},
                              // What the final model was trained with; --params sweep.json reads it.
                              {"params", outcome.final_params.to_json()}}}};
}

std::vector<std::string> format_table(const sweep_outcome& outcome, const sweep_spec& spec) {
    std::vector<std::string> lines;
    char head[160];
    std::snprintf(head, sizeof head, "  %5s  %-10s  %10s  %8s  %6s  %7s  %s", "trial", "status", ("cv " + spec.primary_metric).c_str(),
                  "sd", "rounds", "seconds", "params");
    lines.emplace_back(head);
    for (std::size_t i = 0; i < outcome.trials.size(); ++i) {
        const auto& t = outcome.trials[i];
        char line[160];
        std::snprintf(line, sizeof line, "%c %5d  %-10s  %10.4f  %8.4f  %6d  %7.2f  ", static_cast<int>(i) == outcome.best ? '*' : ' ',
                      t.index + 1, std::string(to_string(t.status)).c_str(), t.cv_mean, t.cv_sd, t.rounds, t.seconds);
        lines.push_back(line + describe(t.values));
    }
    return lines;
}

}  // namespace amlops::sweep
