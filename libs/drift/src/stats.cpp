#include "amlops/drift/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace amlops::drift {
namespace {

double total(std::span<const std::uint64_t> c) {
    return static_cast<double>(std::accumulate(c.begin(), c.end(), std::uint64_t{0}));
}

}  // namespace

double psi(std::span<const std::uint64_t> expected, std::span<const std::uint64_t> actual) noexcept {
    const double ne = total(expected), na = total(actual);
    if (expected.size() != actual.size() || ne == 0 || na == 0) return std::numeric_limits<double>::quiet_NaN();
    double sum = 0;
    for (std::size_t b = 0; b < expected.size(); ++b) {
        const double e = std::max(static_cast<double>(expected[b]) / ne, psi_epsilon);
        const double a = std::max(static_cast<double>(actual[b]) / na, psi_epsilon);
        sum += (a - e) * std::log(a / e);
    }
    return sum;
}

ks_result ks(std::span<const std::uint64_t> expected, std::span<const std::uint64_t> actual, bool on_grid) noexcept {
    const double ne = total(expected), na = total(actual);
    if (expected.size() != actual.size() || ne == 0 || na == 0)
        return {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
    ks_result r;
    double fe = 0, fa = 0;  // the CDFs just below the next edge
    for (std::size_t b = 0; b < expected.size(); ++b) {
        const double se = static_cast<double>(expected[b]) / ne, sa = static_cast<double>(actual[b]) / na;
        fe += se;
        fa += sa;
        r.statistic = std::max(r.statistic, std::abs(fe - fa));
        if (!on_grid) r.error_bound = std::max(r.error_bound, std::max(se, sa));
    }
    return r;
}

}  // namespace amlops::drift
