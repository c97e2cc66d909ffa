#pragma once
// Number <-> text for CSV cells without locales, iostreams or allocation. The results are
// exactly those of std::from_chars and of shortest round-trip std::to_chars; the common shapes
// of CSV numbers (plain decimals) take exact fast paths, because parsing and printing numbers
// is most of the work of a CSV transform.

#include <bit>
#include <charconv>
#include <cstring>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace amlops::data {

/// `text` without leading and trailing spaces and tabs.
constexpr std::string_view trim(std::string_view text) noexcept {
    // Nearly every cell has nothing to trim: two byte tests instead of the loops below.
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    if (text.empty() || (!blank(text.front()) && !blank(text.back()))) return text;
    std::size_t b = 0, e = text.size();
    while (b < e && (text[b] == ' ' || text[b] == '\t')) ++b;
    while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t')) --e;
    return text.substr(b, e - b);
}

/// Room format_double/format_double_like/format_int need at `out`.
inline constexpr std::size_t max_number_chars = 32;

namespace detail {

/// The 8 bytes at `p` as a little-endian word (byte i in bits 8i..8i+7) on any target: the
/// word the SWAR digit checks of the number and datetime readers work on. One unaligned load
/// (memcpy), byte-swapped on big-endian machines: GCC 12 does not merge a portable shift-or
/// loop into one load when it is inlined (eight byte loads and seven shift-ors per call).
inline std::uint64_t load_le(const char* p) noexcept {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);
    if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
    return word;
}

/// Parses a plain decimal `-?digits[.digits]` of at most 19 digits, exactly as std::from_chars
/// would, without calling it. Returns false (caller falls back to from_chars) for other shapes
/// and for values outside the fast paths. With `shortest`, also says whether `text` is byte for
/// byte what std::to_chars(out) writes.
bool parse_plain_decimal(std::string_view text, double& out, bool* shortest = nullptr) noexcept;

/// Writes the shortest form of `value` when it is a decimal of at most 15 significant digits in
/// [1e-7, 1e15) printed in fixed notation by to_chars; returns nullptr otherwise.
char* format_short_decimal(char* out, double value) noexcept;

/// True when `text` is byte for byte what std::to_chars(value) writes (checked exactly).
bool is_shortest_text(double value, std::string_view text) noexcept;

}  // namespace detail

/// Parses a decimal floating-point cell (surrounding blanks and a leading '+' allowed; also
/// exponents, "nan", "inf"). Returns false, leaving `out` unspecified, when the trimmed text is
/// empty or is not entirely a number. Results are exactly std::from_chars's.
inline bool parse_double(std::string_view text, double& out) noexcept {
    text = trim(text);
    if (text.size() > 1 && text.front() == '+' && text[1] != '-') text.remove_prefix(1);
    if (text.empty()) return false;
    if (detail::parse_plain_decimal(text, out)) return true;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end;
}

/// parse_double that also reports whether the trimmed text already is the shortest round-trip
/// form of the value (then printing the value would give back exactly that text), so a caller
/// that re-emits the number can copy the text instead of converting again.
inline bool parse_double(std::string_view text, double& out, bool& shortest) noexcept {
    text = trim(text);
    shortest = false;
    if (text.empty()) return false;
    if (text.front() == '+') return parse_double(text, out);  // "+1.5" is never the shortest form
    if (detail::parse_plain_decimal(text, out, &shortest)) return true;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end;
}

/// True when `text` (trimmed) is a well-formed decimal number too large (or too small) for a
/// double, such as "1e309": parse_double says "not a number", but the reason to report is
/// that it is not a finite value. Only called on the error path.
inline bool is_overflowing_number(std::string_view text) noexcept {
    text = trim(text);
    if (text.size() > 1 && text.front() == '+' && text[1] != '-') text.remove_prefix(1);
    double v;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, v);
    return ec == std::errc::result_out_of_range && ptr == end;
}

/// Parses a decimal integer cell (surrounding blanks and a leading '+' allowed). Returns false
/// when empty, not entirely an integer, or out of range.
inline bool parse_int(std::string_view text, std::int64_t& out) noexcept {
    text = trim(text);
    if (text.size() > 1 && text.front() == '+' && text[1] != '-') text.remove_prefix(1);
    if (text.empty()) return false;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end;
}

/// Writes the shortest text that parses back to exactly `value` ("6", "0.1", "-73.98726654052734",
/// "1e+21"), byte for byte what std::to_chars(value) writes, at `out` (max_number_chars bytes);
/// returns the end.
inline char* format_double(char* out, double value) noexcept {
    if (char* p = detail::format_short_decimal(out, value)) return p;
    return std::to_chars(out, out + max_number_chars, value).ptr;
}

/// Writes exactly what format_double(value) writes, given `source`, the text `value` was parsed
/// from: when that text (trimmed) provably is already the shortest form, it is copied instead of
/// converting the number again, which is several times faster for long values such as
/// coordinates. Any `source` is safe; an unrelated one only costs the check.
inline char* format_double_like(char* out, double value, std::string_view source) noexcept {
    source = trim(source);
    if (source.size() <= max_number_chars && detail::is_shortest_text(value, source)) {
        for (char c : source) *out++ = c;
        return out;
    }
    return format_double(out, value);
}

/// Writes `value` in decimal at `out` (max_number_chars bytes); returns the end.
inline char* format_int(char* out, std::int64_t value) noexcept {
    if (value >= 0 && value < 100) {  // most integer features (time parts, counts) are tiny
        // "00".."99" looked up rather than divided out: 14 of these per transformed row.
        static constexpr char pairs[] =
            "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
            "4041424344454647484950515253545556575859606162636465666768697071727374757677787980"
            "81828384858687888990919293949596979899";
        const char* pair = pairs + 2 * value;
        if (value >= 10) *out++ = pair[0];
        *out++ = pair[1];
        return out;
    }
    return std::to_chars(out, out + max_number_chars, value).ptr;
}

/// Appends format_double(value) to `out`.
inline void append_double(std::string& out, double value) {
    char buf[max_number_chars];
    out.append(buf, format_double(buf, value));
}

}  // namespace amlops::data
