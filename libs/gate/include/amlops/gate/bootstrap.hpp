#pragma once
// Paired bootstrap over test rows: is the candidate's advantage over the champion larger than the
// noise of the particular test set? Deterministic for a seed on every platform.

#include "amlops/gate/metric.hpp"
#include "amlops/gate/policy.hpp"

#include <cstdint>
#include <random>
#include <span>

namespace amlops::gate {

/// A uniform integer in [0, n), n > 0, from the engine's 64-bit output (multiply-shift with
/// rejection, unbiased).
/// std::uniform_int_distribution is not used because its algorithm is implementation-defined:
/// this mapping (and std::mt19937_64, which the standard fully specifies) makes a seed reproduce
/// the same indices with every standard library.
std::uint64_t uniform_index(std::mt19937_64& rng, std::uint64_t n);

/// The percentile interval of metric(candidate) - metric(champion) over paired resamples.
struct bootstrap_interval {
    metric on = metric::rmse;
    double observed = 0;    ///< metric(candidate) - metric(champion) on all rows
    double lower = 0;       ///< lower end of the interval of the difference
    double upper = 0;       ///< upper end of the interval of the difference
    std::uint32_t resamples = 0;
    double confidence = 0;
    std::uint64_t seed = 0;  ///< as given in the policy (informational for the engine overload)

    /// True when the whole interval lies on the candidate's side of 0: below 0 for errors
    /// (rmse, mae), above 0 for r2.
    bool favours_candidate() const noexcept { return lower_is_better(on) ? upper < 0 : lower > 0; }
};

/// Draws `settings.resamples` resamples of n row indices with replacement (the SAME indices for
/// both models: paired), computes the difference of `m` on each, and returns the two-sided
/// percentile interval at `settings.confidence` (type-7 quantiles). The engine is
/// std::mt19937_64 seeded with `settings.seed`. Throws error(bad_input) when the spans differ in
/// length, are empty or hold non-finite values.
bootstrap_interval paired_bootstrap(metric m, std::span<const double> actual, std::span<const double> candidate,
                                    std::span<const double> champion, const bootstrap_policy& settings);

/// Same, drawing from a caller-supplied engine (its state advances); `settings.seed` is only
/// recorded in the result.
bootstrap_interval paired_bootstrap(metric m, std::span<const double> actual, std::span<const double> candidate,
                                    std::span<const double> champion, const bootstrap_policy& settings,
                                    std::mt19937_64& rng);

}  // namespace amlops::gate
