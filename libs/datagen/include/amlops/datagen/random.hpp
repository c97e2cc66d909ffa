#pragma once
// A small seeded PRNG whose output is fixed by this file alone. The standard engines are portable
// but std::*_distribution is implementation-defined, and generated data must be byte-identical for
// the same seed on every build, so the distributions used by the generator live here too.
// (normal() uses std::log/sqrt/cos/sin from libm, which give the same results on every run and
// build against the same C library; the integer core is exact everywhere.)

#include <cmath>
#include <cstdint>

namespace amlops::datagen {

/// SplitMix64 step: advances `state` and returns a well-mixed 64-bit value. Used to expand a seed
/// into the xoshiro state and to derive independent streams from one seed.
constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
    state += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/// xoshiro256** generator (Blackman & Vigna). Deterministic: the same (seed, stream) always yields
/// the same sequence, on every platform.
class xoshiro256 {
public:
    /// Seeds from `seed`; different `stream` values give statistically independent sequences.
    explicit constexpr xoshiro256(std::uint64_t seed, std::uint64_t stream = 0) noexcept {
        std::uint64_t sm = seed ^ (stream * 0xD1B54A32D192ED03ULL);
        for (auto& w : s_) w = splitmix64(sm);
    }

    /// Next 64 uniformly distributed bits.
    constexpr std::uint64_t next() noexcept {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    /// Uniform double in [0, 1) with 53 random bits.
    constexpr double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

    /// Uniform double in [lo, hi).
    constexpr double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }

    /// Uniform integer in [0, n) (multiply-shift; the bias is below 2^-32 for the small n used here).
    /// n must be > 0.
    constexpr std::uint32_t below(std::uint32_t n) noexcept {
        return static_cast<std::uint32_t>(((next() >> 32) * n) >> 32);
    }

    /// True with probability p.
    constexpr bool chance(double p) noexcept { return uniform() < p; }

    /// Standard normal deviate (Box-Muller; the second value of each pair is kept for the next call).
    double normal() noexcept {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        // 1 - u keeps the argument of log in (0, 1].
        const double r = std::sqrt(-2.0 * std::log(1.0 - uniform()));
        const double theta = 6.283185307179586 * uniform();
        spare_ = r * std::sin(theta);
        has_spare_ = true;
        return r * std::cos(theta);
    }

private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

    std::uint64_t s_[4]{};
    double spare_ = 0.0;
    bool has_spare_ = false;
};

}  // namespace amlops::datagen
