#pragma once
// Deterministic test data for the gate tests: targets and predictions with known errors.

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <vector>

namespace gate_test {

/// Standard normal draws by Box-Muller on mt19937_64 (fully specified by the standard), so the
/// data is the same on every platform, unlike std::normal_distribution.
inline std::vector<double> normals(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    auto unit = [&] { return (static_cast<double>(rng() >> 11) + 0.5) / 9007199254740992.0; };  // (0, 1)
    std::vector<double> out(n);
    for (auto& x : out) x = std::sqrt(-2.0 * std::log(unit())) * std::cos(2.0 * std::numbers::pi * unit());
    return out;
}

/// actual + offsets
inline std::vector<double> plus(const std::vector<double>& actual, const std::vector<double>& offsets) {
    std::vector<double> out(actual.size());
    for (std::size_t i = 0; i < actual.size(); ++i) out[i] = actual[i] + offsets[i];
    return out;
}

/// actual + d on every row: rmse = mae = |d|.
inline std::vector<double> shifted(const std::vector<double>& actual, double d) {
    return plus(actual, std::vector<double>(actual.size(), d));
}

/// Fares-like targets: 5 + 10 * |N(0,1)|, n rows.
inline std::vector<double> fares(std::size_t n, std::uint64_t seed) {
    auto z = normals(n, seed);
    for (auto& x : z) x = 5.0 + 10.0 * std::fabs(x);
    return z;
}

}  // namespace gate_test
