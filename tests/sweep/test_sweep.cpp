// libs/sweep: the sweep file, the samplers, the termination policies on hand-built histories,
// the folds, and a small cross-validated sweep on generated data.

#include "amlops/sweep/folds.hpp"
#include "amlops/sweep/policy.hpp"
#include "amlops/sweep/runner.hpp"
#include "amlops/sweep/spec.hpp"
#include "../model/synthetic_taxi.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <set>

using namespace amlops;
using namespace amlops::sweep;
namespace fs = std::filesystem;

namespace {

sweep_spec spec_from(const std::string& yaml, const model::train_params& base = {}) {
    static test::scratch_dir dir("sweep-spec");
    static int n = 0;
    fs::path file = dir / ("space" + std::to_string(++n) + ".yaml");
    test::write_text(file, yaml);
    return load_sweep_spec(file, base);
}

error spec_error(const std::string& yaml) {
    return test::error_of([&] { spec_from(yaml); });
}

}  // namespace

TEST_CASE("grid sampling enumerates the cartesian product of the choice lists, last parameter fastest") {
    auto spec = spec_from("search_space:\n  max_depth: {type: choice, values: [3, 5]}\n  eta: {type: choice, values: [0.1, 0.2, 0.3]}\n"
                          "sampling_algorithm: grid\n");
    auto trials = sample_trials(spec);
    REQUIRE(trials.size() == 6);
    std::set<std::pair<std::int64_t, double>> seen;
    for (const auto& t : trials) {
        REQUIRE(t.size() == 2);
        seen.insert({t[0].second.as_int64(), t[1].second.as_double()});
    }
    CHECK(seen.size() == 6);
    CHECK(trials[0][1].second.as_double() == 0.1);
    CHECK(trials[1][1].second.as_double() == 0.2);
    CHECK(trials[3][0].second.as_int64() == 5);

    auto limited = spec_from("search_space:\n  max_depth: {type: choice, values: [3, 5]}\n  eta: {type: choice, values: [0.1, 0.2, 0.3]}\n"
                             "sampling_algorithm: grid\nlimits: {max_total_trials: 4}\n");
    CHECK(sample_trials(limited).size() == 4);
}

TEST_CASE("random sampling respects bounds and quantisation and repeats per seed") {
    const std::string space =
        "search_space:\n"
        "  eta: {type: uniform, min_value: 0.05, max_value: 0.3}\n"
        "  lambda: {type: loguniform, min_value: -2, max_value: 2}\n"
        "  min_child_weight: {type: quniform, min_value: 1, max_value: 10, q: 0.5}\n"
        "  max_depth: {type: randint, upper: 6}\n"
        "  tree_method: {type: choice, values: [hist, approx]}\n"
        "limits: {max_total_trials: 300}\n";
    auto spec = spec_from(space + "sampling_algorithm: {type: random, seed: 3}\n");
    auto trials = sample_trials(spec);
    REQUIRE(trials.size() == 300);
    std::set<std::int64_t> depths;
    std::set<std::string> methods;
    for (const auto& t : trials) {
        const double eta = t[0].second.as_double(), lambda = t[1].second.as_double(), mcw = t[2].second.as_double();
        CHECK((eta >= 0.05 && eta < 0.3));
        CHECK((lambda >= std::exp(-2.0) && lambda <= std::exp(2.0)));
        CHECK((mcw >= 1 && mcw <= 10));
        CHECK(std::fmod(mcw, 0.5) == 0.0);
        depths.insert(t[3].second.as_int64());
        methods.insert(std::string(t[4].second.as_string()));
    }
    CHECK(depths == std::set<std::int64_t>{0, 1, 2, 3, 4, 5});
    CHECK(methods.size() == 2);
    CHECK(sample_trials(spec) == trials);
    auto other = spec_from(space + "sampling_algorithm: {type: random, seed: 4}\n");
    CHECK(sample_trials(other) != trials);
    // quniform on an integer parameter yields integers for it.
    auto params = apply_assignment({}, {{"max_depth", json::value(6.0)}}, "test");
    CHECK(params.max_depth == 6);
}

TEST_CASE("bad sweep files are configuration errors naming the file and the field") {
    struct bad_case {
        const char* yaml;
        const char* field;
    };
    const bad_case cases[] = {
        {"search_space:\n  etaa: {type: uniform, min_value: 0.1, max_value: 0.2}\nsampling_algorithm: grid\n", "search_space.etaa"},
        {"search_space:\n  eta: {type: normal, mu: 0, sigma: 1}\nsampling_algorithm: random\nlimits: {max_total_trials: 2}\n",
         "search_space.eta.type"},
        {"search_space:\n  eta: {type: uniform, min_value: 0.1, max_value: 2}\nsampling_algorithm: random\nlimits: {max_total_trials: 2}\n",
         "search_space.eta"},
        {"search_space:\n  eta: {type: uniform, min_value: 0.3, max_value: 0.2}\nsampling_algorithm: random\nlimits: {max_total_trials: 2}\n",
         "search_space.eta.max_value"},
        {"search_space:\n  max_depth: {type: uniform, min_value: 2, max_value: 8}\nsampling_algorithm: random\nlimits: {max_total_trials: 2}\n",
         "search_space.max_depth.type"},
        {"search_space:\n  eta: {type: uniform, min_value: 0.1, max_value: 0.2}\nsampling_algorithm: grid\n", "search_space.eta.type"},
        {"search_space:\n  eta: {type: uniform, min_value: 0.1, max_value: 0.2}\nsampling_algorithm: random\n", "limits.max_total_trials"},
        {"search_space:\n  eta: {type: choice, values: []}\nsampling_algorithm: grid\n", "search_space.eta.values"},
        {"search_space:\n  eta: {type: choice, values: [0.1]}\nsampling_algorithm: bayesian\n", "sampling_algorithm"},
        {"search_space:\n  eta: {type: choice, values: [0.1]}\nsampling_algorithm: grid\nearly_termination: {type: bandit}\n",
         "early_termination.slack_factor"},
        {"search_space:\n  eta: {type: choice, values: [0.1]}\nsampling_algorithm: grid\nobjective: {primary_metric: accuracy, goal: minimize}\n",
         "objective.primary_metric"},
        {"search_space:\n  eta: {type: choice, values: [0.1]}\nsampling_algorithm: grid\nlimits: {max_concurrent_trials: 0}\n",
         "limits.max_concurrent_trials"},
        {"search_space:\n  eta: {type: choice, values: [0.1]}\nsampling_algorithm: grid\ncross_validation: {folds: 1}\n",
         "cross_validation.folds"},
        {"search_space:\n  eta: {type: choice, values: [0.1]}\nsampling_algorithm: grid\nlimts: {}\n", "limts"},
        {"search_space: {}\nsampling_algorithm: grid\n", "search_space"},
        {"search_space:\n  eta: {type: choice, values: [.1,.2,.3,.4,.5,.6,.7,.8,.9,1]}\n"
         "  alpha: {type: choice, values: [0,1,2,3,4,5,6,7,8,9]}\n  lambda: {type: choice, values: [0,1,2,3,4,5,6,7,8,9]}\n"
         "  max_depth: {type: choice, values: [0,1,2,3,4,5,6,7,8,9]}\n  max_bin: {type: choice, values: [2,3,4,5,6,7,8,9,10,11,12]}\n"
         "sampling_algorithm: grid\n",
         "limits.max_total_trials"},
    };
    for (const auto& c : cases) {
        INFO(c.yaml);
        auto e = spec_error(c.yaml);
        CHECK(e.kind() == error_kind::config);
        CHECK(e.exit_code() == 2);
        CHECK(e.context().field.value_or("") == c.field);
        CHECK(e.context().file.value_or("").ends_with(".yaml"));
    }
    CHECK(spec_error("search_space:\n  eta: {type: choice, values: [0.1]}\nsampling_algorithm: grid\nlimits: {max_concurrent_trials: 0}\n")
              .context()
              .line == 4u);
}

TEST_CASE("bandit terminates a trial outside the slack of the best trial") {
    termination_policy p{.type = termination_policy::kind::bandit, .evaluation_interval = 2, .delay_evaluation = 4, .slack_factor = 0.1};
    CHECK_FALSE(evaluates_at(p, 2));  // before the delay
    CHECK(evaluates_at(p, 4));
    CHECK_FALSE(evaluates_at(p, 5));
    CHECK(evaluates_at(p, 6));
    const metric_history leader{5, 4, 3, 2.0};
    const metric_history close{5, 4, 3, 2.19};   // 2.19 <= 2.0 * 1.1
    const metric_history behind{5, 4, 3, 2.21};  // 2.21 > 2.2
    CHECK_FALSE(evaluate(p, goal::minimize, 4, close, {&leader}).terminate);
    auto v = evaluate(p, goal::minimize, 4, behind, {&leader});
    CHECK(v.terminate);
    CHECK(v.reason.find("bandit") != std::string::npos);
    // Only the reports through the interval count: at round 3 both are at 3.
    CHECK_FALSE(evaluate(p, goal::minimize, 3, behind, {&leader}).terminate);
    // slack_amount is an absolute distance; maximize mirrors it.
    termination_policy amount{.type = termination_policy::kind::bandit, .slack_amount = 0.5};
    CHECK(evaluate(amount, goal::minimize, 1, {2.6}, {&leader}).terminate == false);  // leader at round 1 is 5
    CHECK(evaluate(amount, goal::minimize, 4, {2.6}, {&leader}).terminate);           // 2.6 > 2.0 + 0.5, a stopped trial stays at its last value
    CHECK_FALSE(evaluate(amount, goal::minimize, 4, {2.5}, {&leader}).terminate);
    const metric_history high{1.0};
    CHECK(evaluate(amount, goal::maximize, 1, {0.4}, {&high}).terminate);
    CHECK_FALSE(evaluate(p, goal::minimize, 4, behind, {}).terminate);  // alone, it is the best
}

TEST_CASE("median stopping compares the trial's best with the median of the others' running averages") {
    termination_policy p{.type = termination_policy::kind::median_stopping};
    const metric_history a{4, 3, 2};    // running average through 3: 3
    const metric_history b{6, 5, 4};    // 5
    const metric_history c{10, 9, 8};   // 9
    // median of {3, 5, 9} = 5
    CHECK_FALSE(evaluate(p, goal::minimize, 3, {7, 6, 5}, {&a, &b, &c}).terminate);  // best 5, not worse than 5
    CHECK(evaluate(p, goal::minimize, 3, {7, 6, 5.5}, {&a, &b, &c}).terminate);
    // An even count averages the middle two: {3, 5} -> 4.
    CHECK(evaluate(p, goal::minimize, 3, {4.5}, {&a, &b}).terminate);
    CHECK_FALSE(evaluate(p, goal::minimize, 3, {4.0}, {&a, &b}).terminate);
    // A history shorter than the interval stands at its last value: {4} through 3 averages 4.
    const metric_history stopped{4};
    CHECK(evaluate(p, goal::minimize, 3, {4.5}, {&stopped}).terminate);
    CHECK_FALSE(evaluate(p, goal::minimize, 3, {9}, {}).terminate);  // needs another trial
}

TEST_CASE("truncation selection cancels the worst percentage of trials") {
    termination_policy p{.type = termination_policy::kind::truncation_selection, .truncation_percentage = 40};
    const metric_history a{1}, b{2}, c{3}, d{4};
    // Pool of 5, 40% -> the worst 2 go.
    CHECK(evaluate(p, goal::minimize, 1, {5}, {&a, &b, &c, &d}).terminate);
    CHECK(evaluate(p, goal::minimize, 1, {3.5}, {&a, &b, &c, &d}).terminate);
    CHECK_FALSE(evaluate(p, goal::minimize, 1, {2.5}, {&a, &b, &c, &d}).terminate);
    CHECK_FALSE(evaluate(p, goal::minimize, 1, {3}, {&a, &b, &c, &d}).terminate);  // a tie ranks in its favour
    // Pool of 2 at 40% rounds down to none.
    CHECK_FALSE(evaluate(p, goal::minimize, 1, {9}, {&a}).terminate);
    CHECK(evaluate(p, goal::maximize, 1, {0.5}, {&a, &b, &c, &d}).terminate);
}

TEST_CASE("folds are deterministic, balanced and cover every row exactly once") {
    const auto folds = assign_folds(1003, 5, 42);
    REQUIRE(folds.size() == 1003);
    std::vector<int> sizes(5, 0);
    for (int f : folds) {
        REQUIRE((f >= 0 && f < 5));
        ++sizes[static_cast<std::size_t>(f)];
    }
    for (int s : sizes) CHECK((s == 200 || s == 201));
    CHECK(assign_folds(1003, 5, 42) == folds);
    CHECK(assign_folds(1003, 5, 43) != folds);
    // Not simply row order: neighbouring rows land in different folds.
    int same = 0;
    for (std::size_t i = 1; i < folds.size(); ++i) same += folds[i] == folds[i - 1];
    CHECK(same < 400);
    CHECK(test::error_of([] { assign_folds(3, 5, 1); }).kind() == error_kind::bad_input);
}

TEST_CASE("a small sweep cross-validates every trial, stops early and picks the best") {
    auto train = test::synthetic_table(600, 11);
    model::train_params base;
    base.n_estimators = 200;
    base.early_stopping_rounds = 5;
    auto spec = spec_from(
        "search_space:\n  max_depth: {type: choice, values: [1, 3]}\n  eta: {type: choice, values: [0.01, 0.3]}\n"
        "sampling_algorithm: grid\nlimits: {max_concurrent_trials: 2}\ncross_validation: {folds: 3}\n",
        base);
    logger log("test", log_level::quiet);
    auto outcome = run_sweep(spec, base, train, log, {.threads = 2});
    REQUIRE(outcome.trials.size() == 4);
    CHECK(outcome.concurrent_trials == 2);
    CHECK(outcome.threads_per_trial == 1);
    for (const auto& t : outcome.trials) {
        CHECK(t.status == trial_status::completed);
        CHECK(t.rounds <= t.rounds_run);
        CHECK(t.history.size() == static_cast<std::size_t>(t.rounds_run));
        CHECK(t.cv_mean == t.history[static_cast<std::size_t>(t.rounds - 1)]);
        CHECK(t.cv_sd > 0);
    }
    // depth 3 at eta 0.3 converges long before 200 rounds and early stopping ends it.
    CHECK(outcome.trials[3].rounds_run < 200);
    const auto& best = outcome.trials[static_cast<std::size_t>(outcome.best)];
    for (const auto& t : outcome.trials) CHECK(best.cv_mean <= t.cv_mean);
    CHECK(best.cv_mean < 1.0);  // noise sd is 0.5: a good fit is well under 1
    CHECK(outcome.final_params.n_estimators == best.rounds);
    CHECK(outcome.final_params.early_stopping_rounds == 0);
    CHECK(outcome.final_params.validation_fraction == 0);

    // The same sweep gives the same trials, whatever the thread timing.
    auto again = run_sweep(spec, base, train, log, {.threads = 2});
    for (std::size_t i = 0; i < 4; ++i) CHECK(again.trials[i].history == outcome.trials[i].history);

    auto doc = to_json(outcome, spec);
    CHECK(doc.at("trials").as_array().size() == 4);
    CHECK(doc.at("best").at("trial").as_int64() == best.index + 1);
    CHECK(format_table(outcome, spec).size() == 5);
}

TEST_CASE("a termination policy stops trials on the intermediate CV metric, the same way every run") {
    auto train = test::synthetic_table(400, 12);
    model::train_params base;
    base.n_estimators = 40;
    auto spec = spec_from(
        "search_space:\n  eta: {type: choice, values: [0.3, 0.01, 0.02, 0.25]}\n"
        "sampling_algorithm: grid\nlimits: {max_concurrent_trials: 2}\ncross_validation: {folds: 2, seed: 5}\n"
        "early_termination: {type: bandit, slack_factor: 0.2, evaluation_interval: 5, delay_evaluation: 10}\n",
        base);
    logger log("test", log_level::quiet);
    auto first = run_sweep(spec, base, train, log, {.threads = 2});
    REQUIRE(first.trials.size() == 4);
    CHECK(first.trials[0].status == trial_status::completed);  // the first trial has no one to lose to
    CHECK(first.trials[1].status == trial_status::terminated);  // eta 0.01 is far behind at round 10
    CHECK(first.trials[1].rounds_run == 10);
    CHECK(first.trials[1].reason.find("round 10") != std::string::npos);
    CHECK(first.trials[2].status == trial_status::terminated);
    auto second = run_sweep(spec, base, train, log, {.threads = 2});
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(second.trials[i].status == first.trials[i].status);
        CHECK(second.trials[i].rounds_run == first.trials[i].rounds_run);
    }
}

TEST_CASE("the sweep's timeout cancels running trials and starts no new ones") {
    auto train = test::synthetic_table(200, 13);
    model::train_params base;
    base.n_estimators = 50;
    auto spec = spec_from("search_space:\n  eta: {type: choice, values: [0.1, 0.2, 0.3]}\nsampling_algorithm: grid\n"
                          "limits: {max_concurrent_trials: 1, timeout: 10}\ncross_validation: {folds: 2}\n",
                          base);
    double fake_now = 0;
    logger log("test", log_level::quiet);
    // Every clock reading advances 1 s: the first trial is cancelled after a few rounds.
    auto outcome = run_sweep(spec, base, train, log, {.threads = 1, .now_seconds = [&] { return fake_now += 1; }});
    REQUIRE(outcome.trials.size() == 1);
    CHECK(outcome.trials[0].status == trial_status::cancelled);
    CHECK(outcome.trials[0].rounds_run < 50);
}
