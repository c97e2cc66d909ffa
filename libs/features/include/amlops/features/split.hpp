#pragma once
// Deterministic train/test assignment. Each row is placed by a seeded hash of its own raw bytes,
// not by its position, so reordering input files, appending new files or re-chunking the work
// never moves an existing row between train and test (and duplicate rows land together, which
// keeps them from leaking across the split).

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <utility>

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
namespace detail {

inline constexpr std::uint64_t hash_multiplier = 0x9fb21c651e98df25ull;

constexpr std::uint64_t hash_start(std::size_t n, std::uint64_t seed) noexcept {
    return mix64(seed ^ 0x9e3779b97f4a7c15ull) ^ (static_cast<std::uint64_t>(n) * 0xff51afd7ed558ccdull);
}

// The little-endian word at bytes[i, i + 8).
constexpr std::uint64_t hash_word(std::string_view bytes, std::size_t i) noexcept {
    std::uint64_t w = 0;
    if (std::is_constant_evaluated() || std::endian::native != std::endian::little) {
        for (std::size_t b = 0; b < 8; ++b)
            w |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i + b])) << (8 * b);
    } else {
        // The same little-endian word as the loop above, as one load: GCC does not merge the
        // byte loads itself here, and this loop is a few percent of a transform.
        std::memcpy(&w, bytes.data() + i, 8);
    }
    return w;
}

constexpr std::uint64_t hash_step(std::uint64_t h, std::uint64_t w) noexcept {
    h = (h ^ w) * hash_multiplier;
    return h ^ (h >> 29);
}

// The words from `i` on, then the tail and the final mix. The 1-7 byte tail of a string of 8
// bytes or more is read as one word ending at its end (its first bytes shifted out), not byte by
// byte: the same value.
constexpr std::uint64_t hash_finish(std::uint64_t h, std::string_view bytes, std::size_t i) noexcept {
    const std::size_t n = bytes.size();
    for (; i + 8 <= n; i += 8) h = hash_step(h, hash_word(bytes, i));
    const std::size_t rest = n - i;
    std::uint64_t tail = 0;
    if (rest != 0 && n >= 8) tail = hash_word(bytes, n - 8) >> (8 * (8 - rest));
    else
        for (std::size_t b = 0; b < rest; ++b)
            tail |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i + b])) << (8 * b);
    return mix64(hash_step(h, tail));
}

}  // namespace detail

constexpr std::uint64_t hash_bytes(std::string_view bytes, std::uint64_t seed) noexcept {
    return detail::hash_finish(detail::hash_start(bytes.size(), seed), bytes, 0);
}

/// hash_bytes of N byte strings at once, exactly: the multiply chains are independent and
/// latency-bound, so N of them interleaved run in about the time of one (a transform hashes every
/// row, 4 at a time). The words all strings have are stepped together; each string's remaining
/// words and its tail follow (hash_finish: independent chains again, which the core overlaps).
template <std::size_t N>
constexpr std::array<std::uint64_t, N> hash_bytes_lanes(const std::array<std::string_view, N>& bytes,
                                                         std::uint64_t seed) noexcept {
    std::array<std::uint64_t, N> h{};
    std::size_t shortest = bytes[0].size();
    for (std::size_t k = 0; k < N; ++k) {
        h[k] = detail::hash_start(bytes[k].size(), seed);
        shortest = bytes[k].size() < shortest ? bytes[k].size() : shortest;
    }
    const std::size_t common = shortest / 8 * 8;
    for (std::size_t i = 0; i < common; i += 8)
        for (std::size_t k = 0; k < N; ++k) h[k] = detail::hash_step(h[k], detail::hash_word(bytes[k], i));
    for (std::size_t k = 0; k < N; ++k) h[k] = detail::hash_finish(h[k], bytes[k], common);
    return h;
}

/// split_unit from the row's hash_bytes(raw_row, seed).
constexpr double split_unit_of_hash(std::uint64_t hash) noexcept { return static_cast<double>(hash >> 11) * 0x1.0p-53; }

/// A number in [0, 1), uniform over rows, fixed by the row's raw bytes (without its line
/// terminator, so LF and CRLF copies of a file agree) and `seed`.
constexpr double split_unit(std::string_view raw_row, std::uint64_t seed) noexcept {
    return split_unit_of_hash(hash_bytes(raw_row, seed));
}

/// True when the row belongs to the test split: split_unit < test_ratio (0 -> never, 1 -> always).
constexpr bool in_test_split(std::string_view raw_row, std::uint64_t seed, double test_ratio) noexcept {
    return split_unit(raw_row, seed) < test_ratio;
}

}  // namespace amlops::features
