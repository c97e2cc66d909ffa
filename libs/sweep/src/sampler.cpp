#include "amlops/sweep/spec.hpp"

#include <cmath>

namespace amlops::sweep {

json::value draw(const parameter_expression& expr, stable_rng& rng) {
    const double u = rng.uniform01();
    const double x = expr.min_value + u * (expr.max_value - expr.min_value);
    switch (expr.type) {
    case distribution::choice: return expr.values[rng.below(expr.values.size())];
    case distribution::uniform: return x;
    case distribution::loguniform: return std::exp(x);  // min_value and max_value are exponents of e
    case distribution::quniform: return std::round(x / expr.q) * expr.q;
    case distribution::randint: return static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(expr.upper)));
    }
    return nullptr;
}

std::vector<assignment> sample_trials(const sweep_spec& spec) {
    std::vector<assignment> trials;
    if (spec.sampling_algorithm == sweep_spec::sampling::random) {
        stable_rng rng(spec.seed);
        for (int t = 0; t < spec.max_total_trials; ++t) {
            assignment a;
            for (const auto& e : spec.space) a.emplace_back(e.name, draw(e, rng));
            trials.push_back(std::move(a));
        }
        return trials;
    }
    // Grid: an odometer over the choice lists, the last parameter turning fastest.
    std::vector<std::size_t> digit(spec.space.size(), 0);
    const std::size_t limit = spec.max_total_trials > 0 ? static_cast<std::size_t>(spec.max_total_trials) : SIZE_MAX;
    while (trials.size() < limit) {
        assignment a;
        for (std::size_t i = 0; i < spec.space.size(); ++i) a.emplace_back(spec.space[i].name, spec.space[i].values[digit[i]]);
        trials.push_back(std::move(a));
        std::size_t i = spec.space.size();
        while (i > 0 && ++digit[i - 1] == spec.space[i - 1].values.size()) digit[--i] = 0;
        if (i == 0) break;  // every combination done
    }
    return trials;
}

}  // namespace amlops::sweep
