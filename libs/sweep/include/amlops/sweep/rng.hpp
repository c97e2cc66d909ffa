#pragma once
// A random source whose draws are the same on every platform: std::mt19937_64's output sequence
// is fixed by the standard, while std::uniform_*_distribution and std::shuffle are not, so the
// conversions to doubles, bounded integers and permutations are done here.

#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace amlops::sweep {

class stable_rng {
public:
    explicit stable_rng(std::uint64_t seed) : engine_(seed) {}
    std::uint64_t next() { return engine_(); }
    /// Uniform in [0, 1), 53 random bits.
    double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    /// Uniform in [0, n), n > 0, without modulo bias (rejection of the short last bucket).
    std::uint64_t below(std::uint64_t n) {
        const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
        std::uint64_t x = next();
        while (x >= limit) x = next();
        return x % n;
    }
    /// Fisher-Yates shuffle of `v`.
    template <class T>
    void shuffle(std::vector<T>& v) {
        for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
    }

private:
    std::mt19937_64 engine_;
};

}  // namespace amlops::sweep
