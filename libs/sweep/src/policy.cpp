#include "amlops/sweep/policy.hpp"

#include <algorithm>
#include <cstdio>

namespace amlops::sweep {
namespace {

// The first min(interval, size) reports of a history.
std::size_t seen(const metric_history& h, int interval) { return std::min(h.size(), static_cast<std::size_t>(interval)); }

bool better(goal g, double a, double b) { return g == goal::minimize ? a < b : a > b; }

double best_through(goal g, const metric_history& h, int interval) {
    double best = h.front();
    for (std::size_t i = 1; i < seen(h, interval); ++i)
        if (better(g, h[i], best)) best = h[i];
    return best;
}

// Mean of reports 1..interval, a stopped trial standing at its last value.
double running_average(const metric_history& h, int interval) {
    const std::size_t n = seen(h, interval);
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += h[i];
    sum += h[n - 1] * static_cast<double>(static_cast<std::size_t>(interval) - n);
    return sum / interval;
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

}  // namespace

bool evaluates_at(const termination_policy& policy, int interval) {
    if (policy.type == termination_policy::kind::none || interval < 1) return false;
    return interval % policy.evaluation_interval == 0 && interval >= policy.delay_evaluation;
}

verdict evaluate(const termination_policy& policy, goal g, int interval, const metric_history& trial,
                 const std::vector<const metric_history*>& others) {
    if (trial.empty() || interval < 1) return {};
    std::vector<double> other_best;
    for (const auto* h : others)
        if (h && !h->empty()) other_best.push_back(best_through(g, *h, interval));
    const double own = best_through(g, trial, interval);
    const std::string at = " at round " + std::to_string(interval);

    switch (policy.type) {
    case termination_policy::kind::none: return {};
    case termination_policy::kind::bandit: {
        double best = own;
        for (double v : other_best)
            if (better(g, v, best)) best = v;
        // The value the trial must reach to stay: the best, loosened by the slack.
        double bound = 0;
        if (g == goal::minimize) bound = policy.slack_factor > 0 ? best * (1 + policy.slack_factor) : best + policy.slack_amount;
        else bound = policy.slack_factor > 0 ? best / (1 + policy.slack_factor) : best - policy.slack_amount;
        if (better(g, bound, own))
            return {true, "bandit" + at + ": best " + number(own) + " is outside the slack of the leader's " + number(best) +
                              " (limit " + number(bound) + ")"};
        return {};
    }
    case termination_policy::kind::median_stopping: {
        std::vector<double> averages;
        for (const auto* h : others)
            if (h && !h->empty()) averages.push_back(running_average(*h, interval));
        if (averages.empty()) return {};
        std::sort(averages.begin(), averages.end());
        const std::size_t n = averages.size();
        const double median = n % 2 ? averages[n / 2] : (averages[n / 2 - 1] + averages[n / 2]) / 2;
        if (better(g, median, own))
            return {true, "median_stopping" + at + ": best " + number(own) + " is worse than the median running average " +
                              number(median)};
        return {};
    }
    case termination_policy::kind::truncation_selection: {
        const std::size_t pool = other_best.size() + 1;
        const std::size_t cut = pool * static_cast<std::size_t>(policy.truncation_percentage) / 100;
        const auto ahead = static_cast<std::size_t>(std::count_if(other_best.begin(), other_best.end(),
                                                                  [&](double v) { return better(g, v, own); }));
        if (cut > 0 && ahead >= pool - cut)
            return {true, "truncation_selection" + at + ": best " + number(own) + " ranks " + std::to_string(ahead + 1) + " of " +
                              std::to_string(pool) + ", in the worst " + std::to_string(policy.truncation_percentage) + "%"};
        return {};
    }
    }
    return {};
}

}  // namespace amlops::sweep
