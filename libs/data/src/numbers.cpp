#include "amlops/data/numbers.hpp"

#include <array>
#include <bit>
#include <cstring>
#include <utility>

// The fast paths below must give exactly what std::from_chars / std::to_chars give; they only
// take a case when they can prove it, and otherwise return "no" so the caller uses the standard
// function. tests/data/test_csv.cpp compares them with the standard functions on millions of
// values.
//
// Notation: a positive normal double is M * 2^E with M in [2^52, 2^53). The reals that round
// to it (round-half-even) are those in [(4M - 2) * 2^(E-2), (4M + 2) * 2^(E-2)] (the lower bound
// is (4M - 1) * 2^(E-2) when M = 2^52, where the spacing below halves); the bounds themselves
// belong to it only when M is even. With E in [-60, 0] and at most 19 decimal digits, comparing
// a decimal digits * 10^-k against those bounds fits in 128-bit integers.

namespace amlops::data::detail {

namespace {

__extension__ typedef unsigned __int128 uint128;

constexpr double exact_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

constexpr std::uint64_t pow10_u64[20] = {1ull,
                                         10ull,
                                         100ull,
                                         1000ull,
                                         10000ull,
                                         100000ull,
                                         1000000ull,
                                         10000000ull,
                                         100000000ull,
                                         1000000000ull,
                                         10000000000ull,
                                         100000000000ull,
                                         1000000000000ull,
                                         10000000000000ull,
                                         100000000000000ull,
                                         1000000000000000ull,
                                         10000000000000000ull,
                                         100000000000000000ull,
                                         1000000000000000000ull,
                                         10000000000000000000ull};

constexpr std::uint64_t two_pow_52 = std::uint64_t{1} << 52;
constexpr std::uint64_t two_pow_53 = std::uint64_t{1} << 53;

// A plain decimal -?D*[.D*] as digits * 10^-fraction.
struct plain_decimal {
    std::uint64_t digits = 0;  // all digits as one integer
    int fraction = 0;          // digits after the point
    int integer_digits = 0;    // digits before the point
    bool negative = false;
    bool point = false;
};

// Appends the run of decimal digits at p to v (v = v * 10^n + run), 8 at a time where it can:
// one 8-byte load, a digit check and three multiply-shift steps instead of eight dependent
// multiply-adds. A run that ends inside the 8 bytes (most runs: "40", "688682556152344" ends
// after 7) is finished from the same load, its digits shifted to the top so the bytes after it
// become leading zeros. Bytes are assembled little-endian explicitly, so the result is portable.
inline std::uint64_t eight_digits(std::uint64_t chunk) noexcept {  // chunk: digit values, first byte lowest
    chunk = (chunk * 10 + (chunk >> 8)) & 0x00FF00FF00FF00FFull;       // 4 two-digit numbers
    chunk = (chunk * 100 + (chunk >> 16)) & 0x0000FFFF0000FFFFull;     // 2 four-digit numbers
    return (chunk * 10000 + (chunk >> 32)) & 0x00000000FFFFFFFFull;    // 1 eight-digit number
}

// Per byte of `chunk`: 0 when the byte is in '0'..'9' (high nibble 3, and adding 6 does not
// carry out of the low nibble), else non-zero. A carry out of a non-digit byte only reaches the
// bytes after it, so the first non-digit is always found.
inline std::uint64_t non_digit_bytes(std::uint64_t chunk) noexcept {
    return ((chunk & 0xF0F0F0F0F0F0F0F0ull) | (((chunk + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) >> 4)) ^
           0x3333333333333333ull;
}

// `text_begin` is where the whole text starts: a short run at the end of a text of at least 8
// bytes is read with one load that ends at `end` (the bytes before the run masked to zeros).
inline void read_digits(const char*& p, const char* text_begin, const char* end, std::uint64_t& v) noexcept {
    while (end - p >= 8) {
        std::uint64_t chunk = load_le(p);
        const std::uint64_t tag = non_digit_bytes(chunk);
        const int digits = tag == 0 ? 8 : std::countr_zero(tag) / 8;
        if (digits == 0) return;
        chunk -= 0x3030303030303030ull;  // no borrow reaches the digit bytes: they are the lowest
        if (digits == 8) {
            v = v * 100000000 + eight_digits(chunk);
            p += 8;
            continue;
        }
        v = v * pow10_u64[digits] + eight_digits(chunk << (8 * (8 - digits)));
        p += digits;
        return;
    }
    const auto rest = static_cast<int>(end - p);
    if (rest > 1 && end - text_begin >= 8) {
        const std::uint64_t keep = ~std::uint64_t{0} << (8 * (8 - rest));  // the last `rest` bytes
        const std::uint64_t chunk = load_le(end - 8) & keep;
        if ((non_digit_bytes(chunk) & keep) == 0) {
            v = v * pow10_u64[rest] + eight_digits(chunk - (0x3030303030303030ull & keep));
            p = end;
            return;
        }
    }
    while (p != end && static_cast<unsigned char>(*p - '0') < 10) v = v * 10 + static_cast<unsigned>(*p++ - '0');
}

// At least one digit, at most 19 (so `digits` is exact). The hot path of every number cell.
bool scan(std::string_view t, plain_decimal& d) noexcept {
    const char* p = t.data();
    const char* const end = p + t.size();
    if (p != end && *p == '-') {
        d.negative = true;
        ++p;
    }
    const char* const int_begin = p;
    std::uint64_t v = 0;
    read_digits(p, t.data(), end, v);
    d.integer_digits = static_cast<int>(p - int_begin);
    if (p != end && *p == '.') {
        d.point = true;
        const char* const frac_begin = ++p;
        read_digits(p, t.data(), end, v);
        d.fraction = static_cast<int>(p - frac_begin);
    }
    d.digits = v;  // wrapped when more than 19 digits, but then rejected below
    const int count = d.integer_digits + d.fraction;
    return p == end && count > 0 && count <= 19;
}

// A positive normal double as M * 2^E.
struct binary {
    std::uint64_t mantissa = 0;
    int exponent = 0;
};

// False unless `a` is positive, normal and has E in [-60, 0] (a in [2^-8, 2^53)).
bool decompose(double a, binary& b) noexcept {
    const auto bits = std::bit_cast<std::uint64_t>(a);
    const int biased = static_cast<int>(bits >> 52);  // sign bit is 0 for a > 0
    if (!(a > 0) || biased == 0 || biased >= 0x7ff) return false;
    b.mantissa = (bits & (two_pow_52 - 1)) | two_pow_52;
    b.exponent = biased - 1075;
    return b.exponent >= -60 && b.exponent <= 0;
}

// The reals that round to b, in units of 2^(E-2) * 10^-k, so that a decimal digits * 10^-k is
// the integer digits * 2^(2-E): centre 4M * 10^k, half-widths 2 * 10^k (10^k below when
// M = 2^52). Every test below works on a decimal's signed offset from that centre.
//
// The offset is computed with wrapping unsigned arithmetic and read as signed, which is exact
// whenever the true offset fits: always in 128 bits (|x| < 2^126, centre < 2^119), and in 64
// bits when k <= 16 and 2 - E <= 58 (fits_64 below), because every offset taken is then under
// 2^62 in magnitude: within a few ulps of the centre (an ulp is 4 * 10^k <= 4e16) plus at most
// ten units of the decimal's last digit (10 * 2^58). The 64-bit form is one multiply and a
// shift where the 128-bit one needs carries, and covers 16-17 digit coordinates and amounts.
inline bool fits_64(int k, const binary& b) noexcept { return k <= 16 && b.exponent >= -56; }

template <class Signed, class Unsigned>
struct rounding_interval {
    int shift;      // 2 - E: one unit of the decimal's last digit is 2^shift
    Signed below;   // half-width below the centre
    Signed above;   // half-width above
    bool closed;    // a bound itself rounds to b only when M is even (round-half-even)
    Unsigned centre;

    rounding_interval(const binary& b, int k) noexcept
        : shift(2 - b.exponent),
          below(static_cast<Signed>(pow10_u64[k]) * (b.mantissa == two_pow_52 ? 1 : 2)),
          above(static_cast<Signed>(pow10_u64[k]) * 2),
          closed(b.mantissa % 2 == 0),
          centre(static_cast<Unsigned>(b.mantissa * 4) * pow10_u64[k]) {}  // 4M < 2^55

    // digits * 10^-k as a signed offset from the centre.
    Signed offset(std::uint64_t digits) const noexcept {
        return static_cast<Signed>((static_cast<Unsigned>(digits) << shift) - centre);
    }
    // digits' offset `units` of its last digit further up.
    Signed moved(Signed offset, std::int64_t units) const noexcept {
        return static_cast<Signed>(static_cast<Unsigned>(offset) + (static_cast<Unsigned>(units) << shift));
    }
    // -1 below the reals that round to b, 0 among them, +1 above.
    int locate(Signed x) const noexcept {
        if (x < -below || (x == -below && !closed)) return -1;
        if (x > above || (x == above && !closed)) return 1;
        return 0;
    }
};
using interval_64 = rounding_interval<std::int64_t, std::uint64_t>;
__extension__ typedef __int128 int128;
using interval_128 = rounding_interval<int128, uint128>;

// digits * 10^-k relative to the reals that round to b (-1 below, 0 among them, +1 above).
inline int locate(std::uint64_t digits, int k, const binary& b) noexcept {
    if (fits_64(k, b)) {
        const interval_64 r(b, k);
        return r.locate(r.offset(digits));
    }
    const interval_128 r(b, k);
    return r.locate(r.offset(digits));
}

// True when digits * 10^-k (k >= 1), which rounds to b, is what the shortest-form algorithm
// prints for b: no decimal with one digit fewer rounds to b (the nearest ones on each side are
// the only candidates, as the set rounding to b is an interval), and it is the closest decimal
// of its length, |offset| < half a unit of its last digit (2^(shift-1)); on an exact tie
// (common for float32 values widened to double) the algorithm keeps the even last digit.
template <class Interval>
bool proves_shortest(std::uint64_t digits, const Interval& r) noexcept {
    const auto x = r.offset(digits);
    const auto shorter_below = r.moved(x, -static_cast<std::int64_t>(digits % 10));
    if (r.locate(shorter_below) == 0 || r.locate(r.moved(shorter_below, 10)) == 0) return false;
    const auto distance = x < 0 ? -x : x;
    const auto half = r.moved(0, 1) / 2;
    return distance < half || (distance == half && digits % 2 == 0);
}

inline bool proves_shortest(std::uint64_t digits, int k, const binary& b) noexcept {
    return fits_64(k, b) ? proves_shortest(digits, interval_64(b, k)) : proves_shortest(digits, interval_128(b, k));
}

}  // namespace

namespace {

// The value of a scanned decimal, exactly as from_chars would give it; false outside the fast
// paths.
[[gnu::always_inline]] inline bool decimal_value(const plain_decimal& d, double& out, binary& proven) noexcept {
    // Clinger's fast path: both operands exact, so one correctly rounded division.
    double v = static_cast<double>(d.digits) / exact_pow10[d.fraction];
    proven.mantissa = 0;
    if (d.digits >= two_pow_53) {
        // 17-19 digits: that division is within a couple of ulps; step to the exact neighbour.
        int step = 0;
        for (;; ++step) {
            if (step == 4 || !decompose(v, proven)) return false;
            const int where = locate(d.digits, d.fraction, proven);
            if (where == 0) break;
            v = std::bit_cast<double>(std::bit_cast<std::uint64_t>(v) + (where > 0 ? 1 : std::uint64_t(-1)));
        }
    }
    out = d.negative ? -v : v;
    return true;
}

// True when `text` (which scanned to `d` and converts to `value`) is byte for byte what
// std::to_chars(value) writes.
// `proven` is |value| decomposed when decimal_value already did it (mantissa 0 when not).
[[gnu::always_inline]] inline bool shortest_form(const plain_decimal& d, std::string_view text, double value,
                                                 binary b) noexcept {
    if (d.digits == 0) return false;
    // to_chars's fixed form: no '+', no leading zeros except a lone "0" before the point, digits
    // on both sides of a point, no trailing zeros after it.
    const std::size_t int_start = d.negative ? 1 : 0;
    if (d.integer_digits == 0 || (d.integer_digits > 1 && text[int_start] == '0')) return false;
    if (d.point && (d.fraction == 0 || text.back() == '0')) return false;
    const double a = value < 0 ? -value : value;

    // Significant digits: all but the leading zeros (and, for an integer, the trailing ones).
    const bool below_one = text[int_start] == '0';
    int leading_zeros = 0;  // after the point, for values below one
    if (below_one)
        while (text[int_start + 2 + static_cast<std::size_t>(leading_zeros)] == '0') ++leading_zeros;
    int significant = below_one ? d.fraction - leading_zeros : d.integer_digits + d.fraction;

    if (significant > 15) {
        // Unlike <= 15 digits (unique by DBL_DIG, hence shortest), this needs proof:
        if (d.fraction == 0) return false;
        if (b.mantissa == 0 && !decompose(a, b)) return false;
        if (!proves_shortest(d.digits, d.fraction, b)) return false;
    }
    // to_chars writes scientific notation when it is strictly shorter.
    if (!d.point)
        for (std::size_t i = text.size(); i > int_start + 1 && text[i - 1] == '0'; --i) --significant;
    const int exponent = below_one ? -(leading_zeros + 1) : d.integer_digits - 1;
    const int sci_len = (d.negative ? 1 : 0) + significant + (significant > 1 ? 1 : 0) + 2 +
                        (exponent >= 100 || exponent <= -100 ? 3 : 2);
    return static_cast<int>(text.size()) <= sci_len;
}

}  // namespace

namespace {

// 2^(63 + p) / 10^k rounded down, with p = ceil(log2(10^k)) so the result has its top bit set:
// a 64-bit reciprocal of 10^k for the multiplication below.
struct reciprocal {
    std::uint64_t factor;
    int p;
};
constexpr reciprocal make_reciprocal(int k) noexcept {
    uint128 ten_k = 1;
    for (int i = 0; i < k; ++i) ten_k *= 10;
    int p = 0;
    while ((uint128{1} << p) < ten_k) ++p;
    return {static_cast<std::uint64_t>((uint128{1} << (63 + p)) / ten_k), p};
}
template <std::size_t... k>
constexpr auto make_reciprocals(std::index_sequence<k...>) noexcept {
    return std::array<reciprocal, sizeof...(k)>{make_reciprocal(static_cast<int>(k))...};
}
constexpr auto reciprocals = make_reciprocals(std::make_index_sequence<17>());

// digits * 10^-k for 1 <= digits < 10^19 and k <= 16, as the nearest double M * 2^E when E
// lies in [-56, 0] (the 64-bit offset range, see fits_64), with the offset and interval of
// rounding_interval in a form that needs no branches: x is among the reals that round to the
// double exactly when lo <= x <= hi.
//
// The candidate comes from one 64x64->128-bit multiplication by a truncated reciprocal of 10^k,
// in the manner of the Eisel-Lemire algorithm (D. Lemire, "Number Parsing at a Gigabyte per
// Second", Software: Practice and Experience 51(8), 2021; N. Eisel's idea). Unlike
// Eisel-Lemire it does not reason about when the truncation is harmless: the reciprocal's
// relative error is below 2^-63, so the candidate is the nearest double or one unit off, and
// the exact integer test lo <= x <= hi (which the shortest-form proof needs anyway) says which.
struct fast_decimal {
    std::uint64_t mantissa;  // M in [2^52, 2^53)
    int exponent;            // E
    int shift;               // 2 - E: one unit of the decimal's last digit is 2^shift offset units
    std::int64_t offset;     // digits * 2^shift - 4M * 10^k: the decimal relative to the double
    std::int64_t lo, hi;     // the reals that round to M * 2^E, as offsets (ends included)
};

[[gnu::always_inline]] inline bool multiply_value(std::uint64_t digits, int k, fast_decimal& f) noexcept {
    if (digits == 0) return false;
    const int lz = std::countl_zero(digits);
    const reciprocal r = reciprocals[static_cast<std::size_t>(k)];
    const auto hi = static_cast<std::uint64_t>((static_cast<uint128>(digits << lz) * r.factor) >> 64);  // >= 2^62
    const int top = static_cast<int>(hi >> 63);
    // The top 54 bits (mantissa and one rounding bit), rounded half up; a tie or a carry into
    // 2^53 is settled by the exact test.
    const std::uint64_t rounded = ((hi >> (9 + top)) + 1) >> 1;  // in [2^52, 2^53]
    const int carry = static_cast<int>(rounded >> 53);
    f.mantissa = rounded >> carry;
    f.exponent = 11 + top + carry - lz - r.p;
    if (f.exponent < -56 || f.exponent > 0) return false;
    f.shift = 2 - f.exponent;
    // As in rounding_interval: half-widths 2 * 10^k (10^k below when M = 2^52); the ends belong
    // to the double only when M is even.
    const std::uint64_t ten_k = pow10_u64[k];
    const auto open = static_cast<std::int64_t>(f.mantissa & 1);
    f.lo = open - static_cast<std::int64_t>(ten_k << static_cast<int>(f.mantissa != two_pow_52));
    f.hi = static_cast<std::int64_t>(2 * ten_k) - open;
    f.offset = static_cast<std::int64_t>((digits << f.shift) - 4 * f.mantissa * ten_k);
    return (f.lo <= f.offset) & (f.offset <= f.hi);
}

// proves_shortest for a decimal with fast_decimal f whose last digit is `last_digit`: its two
// one-digit-shorter neighbours lie outside [lo, hi] (below and above it: the decimal itself is
// inside), and it is the closest decimal of its length, ties to an even last digit.
[[gnu::always_inline]] inline bool proves_shortest(const fast_decimal& f, std::int64_t last_digit) noexcept {
    const auto unit = static_cast<std::int64_t>(std::uint64_t{1} << f.shift);
    const std::int64_t shorter_below = f.offset - last_digit * unit;
    const std::int64_t shorter_above = shorter_below + 10 * unit;
    const std::int64_t twice_distance = 2 * (f.offset < 0 ? -f.offset : f.offset);
    return (shorter_below < f.lo) & (shorter_above > f.hi) & (twice_distance < unit + ((last_digit & 1) ^ 1));
}

// The hot shape of CSV coordinates, `-?D{1,3}.D{8,16}` ("-73.96475219726562",
// "40.688682556152344"), without loops or length-dependent branches: three 8-byte loads that
// all lie inside the text (its first 8 bytes after the sign, and the first and last 8 of the
// fraction, which overlap when it is shorter than 16 digits), so nothing past the cell is read.
// Returns false for any other shape, and for the rare values the fast test cannot settle; the
// general path then decides.
[[gnu::always_inline]] inline bool parse_coordinate_shape(std::string_view text, double& out, bool* shortest) noexcept {
    const std::size_t n = text.size();
    if (n < 10 || n > 21) return false;
    const char* const begin = text.data();
    const char* const end = begin + n;
    const bool negative = *begin == '-';
    const char* const q = begin + static_cast<std::size_t>(negative);
    const std::uint64_t head = load_le(q);  // q + 8 <= end: n - negative >= 9
    const std::uint64_t point_bytes = head ^ 0x2E2E2E2E2E2E2E2Eull;  // '.' -> 0
    // The lowest zero byte is found exactly (borrows only disturb the bytes above it).
    const std::uint64_t point_tag = (point_bytes - 0x0101010101010101ull) & ~point_bytes & 0x8080808080808080ull;
    const int point = std::countr_zero(point_tag) / 8;  // integer digits; 8 when there is no '.'
    const auto fraction = static_cast<int>(end - q) - point - 1;
    // A leading zero ("0.25", "01.5") goes to the general path, which counts significant digits.
    if (point < 1 || point > 3 || fraction < 8 || fraction > 16 || *q == '0') return false;

    // Digit values; a byte that is not a digit leaves its high bit set in v or in v + 0x76 (a
    // borrow or carry it causes only reaches the bytes above it, which never hides it).
    constexpr std::uint64_t zeros = 0x3030303030303030ull;
    const std::uint64_t integer_v = head - zeros;
    const std::uint64_t first_v = load_le(q + point + 1) - zeros;
    const std::uint64_t last_v = load_le(end - 8) - zeros;
    auto non_digits = [](std::uint64_t v) { return v | (v + 0x7676767676767676ull); };
    const std::uint64_t integer_bytes = ~std::uint64_t{0} >> (64 - 8 * point);
    if ((((non_digits(integer_v) & integer_bytes) | non_digits(first_v) | non_digits(last_v)) & 0x8080808080808080ull) != 0)
        return false;

    const std::uint64_t integer = eight_digits(integer_v << (64 - 8 * point));
    // The fraction's first fraction - 8 digits (none when it has exactly 8), then its last 8.
    const std::uint64_t lead = fraction > 8 ? eight_digits(first_v << (8 * (16 - fraction))) : 0;
    const std::uint64_t digits = integer * pow10_u64[fraction] + lead * 100000000 + eight_digits(last_v);

    fast_decimal f;
    if (!multiply_value(digits, fraction, f)) return false;
    // Exponent field E + 1075, plus the hidden bit 2^52 of M carrying into it.
    out = std::bit_cast<double>((static_cast<std::uint64_t>(negative) << 63) +
                                (static_cast<std::uint64_t>(f.exponent + 1074) << 52) + f.mantissa);
    if (shortest) {
        // to_chars prints a value of at least one in fixed notation (shorter than scientific),
        // without a trailing zero. Up to 15 significant digits the text then is the shortest
        // form (DBL_DIG); beyond, proves_shortest decides.
        const auto last_digit = static_cast<std::int64_t>(last_v >> 56);
        *shortest = (last_digit != 0) & ((point + fraction <= 15) | proves_shortest(f, last_digit));
    }
    return true;
}

// Amount-shaped decimals of 3-5 bytes, `D+.D+` ("0.5", "0.0", "5.14", "20.91"): most number
// cells of a taxi file (8 per row, against 4 coordinates). The general scan reads them a byte
// at a time with loops whose trip counts vary from cell to cell; here three overlapping 2-byte
// loads inside the text gather it into one word, the point is found and squeezed out with word
// operations, and the at most 4 digits are converted at once. digits / 10^k with both exact is
// one correctly rounded division (Clinger's fast path). The text is the shortest form exactly
// when shortest_form's rules hold, which for this shape reduce to: not zero, no trailing zero,
// no leading zero but a lone "0" (and fixed notation is never longer than scientific: at most
// 5 bytes against at least 5). Returns false for other shapes; the general path then decides.
[[gnu::always_inline]] inline bool parse_amount_shape(std::string_view text, double& out, bool* shortest) noexcept {
    const std::size_t n = text.size();
    if (n - 3 > 2) return false;  // n in [3, 5]
    const char* const p = text.data();
    auto load_2 = [](const char* at) {
        std::uint16_t pair;
        std::memcpy(&pair, at, sizeof pair);
        if constexpr (std::endian::native == std::endian::big) pair = static_cast<std::uint16_t>(pair << 8 | pair >> 8);
        return static_cast<std::uint64_t>(pair);
    };
    // Bytes 0..n-1 from three overlapping 2-byte loads at 0, n/2 - 1 and n - 2.
    const std::size_t middle = n / 2 - 1;
    const std::uint64_t word = load_2(p) | load_2(p + middle) << (8 * middle) | load_2(p + n - 2) << (8 * (n - 2));
    const std::uint64_t point_bytes = word ^ 0x2E2E2E2E2E2E2E2Eull;
    const std::uint64_t point_tag = (point_bytes - 0x0101010101010101ull) & ~point_bytes & 0x8080808080808080ull;
    const int point = std::countr_zero(point_tag) / 8;
    const int count = static_cast<int>(n) - 1;
    if (point == 0 || point >= count) return false;
    const std::uint64_t below_point = (std::uint64_t{1} << (8 * point)) - 1;
    const std::uint64_t v = ((word & below_point) | ((word >> 8) & ~below_point)) - 0x3030303030303030ull;
    const std::uint64_t digit_bytes = ~std::uint64_t{0} >> (64 - 8 * count);
    if (((v | (v + 0x7676767676767676ull)) & digit_bytes & 0x8080808080808080ull) != 0) return false;
    const std::uint64_t digits = eight_digits(v << (64 - 8 * count));
    out = static_cast<double>(digits) / exact_pow10[count - point];
    if (shortest) *shortest = (digits != 0) & (p[n - 1] != '0') & ((point == 1) | (p[0] != '0'));
    return true;
}

}  // namespace

bool parse_plain_decimal(std::string_view text, double& out, bool* shortest) noexcept {
    if (parse_coordinate_shape(text, out, shortest) || parse_amount_shape(text, out, shortest)) return true;
    plain_decimal d;
    if (!scan(text, d)) return false;
    binary proven;
    if (!decimal_value(d, out, proven)) return false;
    if (shortest) *shortest = shortest_form(d, text, out, proven);
    return true;
}

char* format_short_decimal(char* out, double value) noexcept {
    // A 15-digit decimal that converts back to `value` is the only decimal of <= 15 digits that
    // does (DBL_DIG = 15), so with trailing zeros removed it is the shortest representation.
    double a = value < 0 ? -value : value;
    if (!(a >= 1e-7 && a < 1e15)) return nullptr;  // also NaN, infinities and zeros
    const auto bits = std::bit_cast<std::uint64_t>(a);
    const int e2 = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
    const int x = (e2 * 78913) >> 18;  // floor(e2 * log10(2)): the decimal exponent, or one less
    int s = 14 - x;                     // in [0, 22] for a in [1e-7, 1e15): 15 (or 16) digits
    double scaled = a * exact_pow10[s];
    if (scaled >= 999999999999999.5) {  // x was one less: use one digit fewer
        if (s == 0) return nullptr;
        scaled = a * exact_pow10[--s];
    }
    auto m = static_cast<std::uint64_t>(scaled + 0.5);
    if (m >= 1000000000000000ull) return nullptr;
    // A decimal of <= 15 digits lands within 0.23 of an integer after scaling (two roundings of
    // at most 2^-53 relative, times < 1e15); values needing 16-17 digits mostly do not, and skip
    // the slow division below.
    const double off = scaled - static_cast<double>(m);
    if (off > 0.3 || off < -0.3) return nullptr;
    if (static_cast<double>(m) / exact_pow10[s] != a) return nullptr;
    // Drop trailing zeros, several at a time; constant divisors compile to multiplications.
    while (s >= 8 && m % 100000000 == 0) {
        m /= 100000000;
        s -= 8;
    }
    if (s >= 4 && m % 10000 == 0) {
        m /= 10000;
        s -= 4;
    }
    if (s >= 2 && m % 100 == 0) {
        m /= 100;
        s -= 2;
    }
    if (s >= 1 && m % 10 == 0) {
        m /= 10;
        s -= 1;
    }
    char digits[20];
    int len = 0;
    for (std::uint64_t r = m; r != 0 || len == 0; r /= 10) digits[len++] = static_cast<char>('0' + r % 10);
    // digits[] holds m reversed. to_chars picks the shorter of fixed and scientific (ties: fixed).
    int trailing_zeros = 0;
    if (s == 0)
        while (trailing_zeros < len - 1 && digits[trailing_zeros] == '0') ++trailing_zeros;
    const int significant = len - trailing_zeros;
    const int exponent = len - 1 - s;
    const int sci_len = significant + (significant > 1 ? 1 : 0) + 2 + (exponent >= 100 || exponent <= -100 ? 3 : 2);
    const int fixed_len = s == 0 ? len : (len > s ? len + 1 : s + 2);
    if (sci_len < fixed_len) return nullptr;
    char* p = out;
    if (value < 0) *p++ = '-';
    if (len <= s) {
        *p++ = '0';
        *p++ = '.';
        for (int k = 0; k < s - len; ++k) *p++ = '0';
    }
    for (int k = len - 1; k >= 0; --k) {
        *p++ = digits[k];
        if (k == s && s > 0 && len > s) *p++ = '.';
    }
    return p;
}

bool is_shortest_text(double value, std::string_view text) noexcept {
    plain_decimal d;
    double parsed;
    binary proven;
    return scan(text, d) && decimal_value(d, parsed, proven) &&
           std::bit_cast<std::uint64_t>(parsed) == std::bit_cast<std::uint64_t>(value) &&
           shortest_form(d, text, value, proven);
}

}  // namespace amlops::data::detail
