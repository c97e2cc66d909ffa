#pragma once
// Deterministic train/test assignment. Each row is placed by a seeded hash of its own raw bytes,
// not by its position, so reordering input files, appending new files or re-chunking the work
// never moves an existing row between train and test (and duplicate rows land together, which
// keeps them from leaking across the split).

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace amlops::features {

/// A bijective 64-bit finalizer (the splitmix64 one): every input bit affects every output bit.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/// A fast seeded 64-bit hash of a byte string: 8-byte little-endian words folded in with a
/// multiply and an xor-shift (one short dependency chain per word rather than per byte, as in
/// FNV-1a), length and seed mixed in first, mix64 last. The result is the same on every
/// platform, and must never change: train/test membership of existing data depends on it.
constexpr std::uint64_t hash_bytes(std::string_view bytes, std::uint64_t seed) noexcept {
    constexpr std::uint64_t k = 0x9fb21c651e98df25ull;
    const std::size_t n = bytes.size();
    std::uint64_t h = mix64(seed ^ 0x9e3779b97f4a7c15ull) ^ (static_cast<std::uint64_t>(n) * 0xff51afd7ed558ccdull);
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w = 0;
        if (std::is_constant_evaluated() || std::endian::native != std::endian::little) {
            for (std::size_t b = 0; b < 8; ++b)
                w |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i + b])) << (8 * b);
        } else {
            // The same little-endian word as the loop above, as one load: GCC does not merge
            // the byte loads itself here, and this loop is a few percent of a transform.
            std::memcpy(&w, bytes.data() + i, 8);
        }
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    std::uint64_t tail = 0;
    for (std::size_t b = 0; i + b < n; ++b)
        tail |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i + b])) << (8 * b);
    h = (h ^ tail) * k;
    h ^= h >> 29;
    return mix64(h);
}

/// A number in [0, 1), uniform over rows, fixed by the row's raw bytes (without its line
/// terminator, so LF and CRLF copies of a file agree) and `seed`.
constexpr double split_unit(std::string_view raw_row, std::uint64_t seed) noexcept {
    return static_cast<double>(hash_bytes(raw_row, seed) >> 11) * 0x1.0p-53;
}

/// True when the row belongs to the test split: split_unit < test_ratio (0 -> never, 1 -> always).
constexpr bool in_test_split(std::string_view raw_row, std::uint64_t seed, double test_ratio) noexcept {
    return split_unit(raw_row, seed) < test_ratio;
}

}  // namespace amlops::features
