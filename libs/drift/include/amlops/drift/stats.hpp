#pragma once
// Drift statistics of binned counts (docs/drift.md states the formulas and their error bounds).

#include <cstdint>
#include <span>

namespace amlops::drift {

/// Share that stands in for an empty bin in PSI (in both distributions), so ln(a/e) stays finite.
inline constexpr double psi_epsilon = 1e-4;

/// Population stability index of `actual` against `expected` (counts per bin, same bins):
///   PSI = sum_b (a_b - e_b) * ln(a_b / e_b),  e_b = max(expected_b / N, eps), a_b = max(actual_b / n, eps).
/// NaN when either side has no values or the sizes differ.
double psi(std::span<const std::uint64_t> expected, std::span<const std::uint64_t> actual) noexcept;

/// Two-sample Kolmogorov-Smirnov statistic from counts on one grid of lower-inclusive bins.
struct ks_result {
    /// max over grid edges g of |F_expected(g-) - F_actual(g-)|: the KS statistic of both samples
    /// with every value moved down to its bin's lower edge.
    double statistic = 0;
    /// The exact statistic of the unbinned samples lies in [statistic, statistic + error_bound]:
    /// between two edges each empirical CDF moves by at most its share in that bin, so
    /// error_bound = max over bins of max(expected share, actual share) -- 0 when every value lies
    /// on an edge (`on_grid`, e.g. a discrete feature scored with known categories only).
    double error_bound = 0;
};
/// NaN statistic when either side has no values or the sizes differ.
ks_result ks(std::span<const std::uint64_t> expected, std::span<const std::uint64_t> actual, bool on_grid) noexcept;

}  // namespace amlops::drift
