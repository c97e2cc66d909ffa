#include "amlops/gate/decision.hpp"

#include "amlops/metrics/report.hpp"

#include "amlops/core/error.hpp"
#include "format.hpp"

#include <cmath>

namespace amlops::gate {
namespace {

using detail::format_number;
using detail::format_percent;

check upper_limit(std::string name, metric m, double value, double limit) {
    const std::string what = "candidate " + std::string(to_string(m)) + " " + format_number(value);
    if (value <= limit) return {name, true, what + " is within the limit " + name + " " + format_number(limit)};
    return {name, false, what + " exceeds the limit " + name + " " + format_number(limit)};
}

check lower_limit(std::string name, metric m, double value, double limit) {
    const std::string what = "candidate " + std::string(to_string(m)) + " " + format_number(value);
    if (value >= limit) return {name, true, what + " meets the limit " + name + " " + format_number(limit)};
    return {name, false, what + " is below the limit " + name + " " + format_number(limit)};
}

/// The candidate must beat the champion by min_relative_improvement of the champion's magnitude.
check against_champion(const policy& p, double cand, double champ) {
    const metric m = p.primary_metric;
    const std::string name(to_string(m));
    const double gain = improvement(m, cand, champ);
    const double required = p.min_relative_improvement * std::fabs(champ);
    const std::string head = "candidate " + name + " " + format_number(cand);
    const std::string champion = "champion " + name + " " + format_number(champ);
    const std::string tail = " (required improvement " + format_percent(p.min_relative_improvement) + ")";
    const bool passed = gain >= required;
    if (gain < 0) return {"champion", false, head + " is worse than " + champion + tail};
    if (gain == 0) return {"champion", passed, head + " equals " + champion + tail};
    // Relative to a champion value of exactly 0 (r2 only) a percentage means nothing.
    const std::string by = champ != 0 ? format_percent(gain / std::fabs(champ)) : format_number(gain) + " (absolute)";
    return {"champion", passed, head + " is better than " + champion + " by " + (passed ? "" : "only ") + by + tail};
}

check bootstrap_check(const bootstrap_interval& b) {
    const std::string name(to_string(b.on));
    const std::string interval = format_percent(b.confidence) + " interval of candidate - champion " + name + " is [" +
                                 format_number(b.lower) + ", " + format_number(b.upper) + "]";
    const std::string head = "paired bootstrap (" + std::to_string(b.resamples) + " resamples, seed " +
                             std::to_string(b.seed) + "): " + interval;
    if (b.favours_candidate()) return {"bootstrap", true, head + ", which excludes 0 in the candidate's favour"};
    const bool all_worse = lower_is_better(b.on) ? b.lower > 0 : b.upper < 0;
    if (all_worse) return {"bootstrap", false, head + ", entirely on the champion's side"};
    return {"bootstrap", false, head + ", which includes 0: the difference is within test-set noise"};
}

}  // namespace

decision decide(const policy& p, std::span<const double> actual, std::span<const double> candidate,
                std::optional<std::span<const double>> champion) {
    decision d;
    d.applied = p;
    d.candidate = metrics::summarize(actual, candidate);
    if (champion) {
        if (champion->size() != candidate.size()) {
            throw error(error_kind::bad_input, "candidate has " + std::to_string(candidate.size()) +
                                                   " predictions but champion has " + std::to_string(champion->size()) +
                                                   ": both must predict the same test rows");
        }
        d.champion = metrics::summarize(actual, *champion);
    }

    if (p.max_rmse) d.checks.push_back(upper_limit("max_rmse", metric::rmse, d.candidate.rmse, *p.max_rmse));
    if (p.max_mae) d.checks.push_back(upper_limit("max_mae", metric::mae, d.candidate.mae, *p.max_mae));
    if (p.min_r2) d.checks.push_back(lower_limit("min_r2", metric::r2, d.candidate.r2, *p.min_r2));
    if (d.champion) {
        d.checks.push_back(against_champion(p, value_of(p.primary_metric, d.candidate),
                                            value_of(p.primary_metric, *d.champion)));
        if (p.bootstrap) {
            d.bootstrap = paired_bootstrap(p.primary_metric, actual, candidate, *champion, *p.bootstrap);
            d.checks.push_back(bootstrap_check(*d.bootstrap));
        }
    } else {
        d.checks.push_back({"champion", true,
                            "no champion model: candidate " + std::string(to_string(p.primary_metric)) + " " +
                                format_number(value_of(p.primary_metric, d.candidate)) +
                                " is judged on the absolute limits only"});
    }

    d.approved = true;
    for (const auto& c : d.checks) d.approved = d.approved && c.passed;
    for (const auto& c : d.checks) {
        if (d.approved || !c.passed) d.reasons.push_back(c.reason);
    }
    return d;
}

json::object to_json(const decision& d) {
    json::object out;
    out["decision"] = d.approved ? "approve" : "reject";
    json::array reasons;
    for (const auto& r : d.reasons) reasons.emplace_back(r);
    out["reasons"] = std::move(reasons);
    const metric m = d.applied.primary_metric;
    out["primary_metric"] = std::string(to_string(m));
    out["policy"] = to_json(d.applied);
    json::array checks;
    for (const auto& c : d.checks) checks.push_back(json::object{{"name", c.name}, {"passed", c.passed}, {"reason", c.reason}});
    out["checks"] = std::move(checks);

    json::object metrics_doc;
    metrics_doc["candidate"] = metrics::to_json(d.candidate);
    if (d.champion) {
        metrics_doc["champion"] = metrics::to_json(*d.champion);
        const double champ = value_of(m, *d.champion);
        const double gain = improvement(m, value_of(m, d.candidate), champ);
        metrics_doc["delta"] = json::object{
            {"rmse", d.candidate.rmse - d.champion->rmse},
            {"mae", d.candidate.mae - d.champion->mae},
            {"r2", d.candidate.r2 - d.champion->r2},
            {"mape", d.candidate.mape - d.champion->mape},
            // Direction-aware, as a fraction of the champion's primary metric: > 0 is better.
            {"relative_improvement", champ != 0 ? json::value(gain / std::fabs(champ)) : json::value(nullptr)}};
    } else {
        metrics_doc["champion"] = nullptr;
        metrics_doc["delta"] = nullptr;
    }
    out["metrics"] = std::move(metrics_doc);

    if (d.bootstrap) {
        const auto& b = *d.bootstrap;
        out["bootstrap"] = json::object{{"metric", std::string(to_string(b.on))},
                                        {"resamples", b.resamples},
                                        {"confidence", b.confidence},
                                        {"seed", b.seed},
                                        {"observed_difference", b.observed},
                                        {"lower", b.lower},
                                        {"upper", b.upper},
                                        {"favours_candidate", b.favours_candidate()}};
    }
    return out;
}

}  // namespace amlops::gate
