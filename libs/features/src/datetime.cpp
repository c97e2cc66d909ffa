#include "amlops/features/datetime.hpp"

#include "amlops/data/numbers.hpp"

#include <array>
#include <cstdint>
#include <initializer_list>

namespace amlops::features {

namespace {

// A cursor over the text with the small number readers both forms need.
struct cursor {
    const char* p;
    const char* end;

    bool at_end() const noexcept { return p == end; }
    bool eat(char c) noexcept {
        if (p != end && *p == c) {
            ++p;
            return true;
        }
        return false;
    }
    // Reads between min_digits and max_digits decimal digits.
    bool number(int min_digits, int max_digits, int& value) noexcept {
        int n = 0;
        value = 0;
        while (n < max_digits && p != end && *p >= '0' && *p <= '9') {
            value = value * 10 + (*p - '0');
            ++p;
            ++n;
        }
        return n >= min_digits;
    }
};

// "HH:MM[:SS[.fff]]" with 1-2 digit hours.
bool parse_time(cursor& c, datetime_parts& out) noexcept {
    if (!c.number(1, 2, out.hour) || !c.eat(':') || !c.number(2, 2, out.minute)) return false;
    out.second = 0;
    if (c.eat(':')) {
        if (!c.number(2, 2, out.second)) return false;
        if (c.eat('.')) {
            int ignored;
            while (c.number(1, 9, ignored)) {
            }
        }
    }
    return true;
}

}  // namespace

namespace {

// A word with `byte` in each of the listed byte positions (of 8).
constexpr std::uint64_t bytes_at(std::initializer_list<int> positions, std::uint8_t byte) {
    std::uint64_t w = 0;
    for (int i : positions) w |= std::uint64_t{byte} << (8 * i);
    return w;
}

// Checks the digit and separator bytes of a word at once: digits are exactly '0'-'9' when their
// high nibble is 3 both before and after adding 6 (':'..'?' carry into 4); separators must be
// equal. `separators` holds the expected separator bytes at their positions.
constexpr bool word_matches(std::uint64_t w, std::initializer_list<int> digits, std::uint64_t separator_mask,
                            std::uint64_t separators) {
    const std::uint64_t high = bytes_at(digits, 0xF0), three = bytes_at(digits, 0x30);
    // No carry leaves a digit byte: a byte that would carry (0xFA and up) already fails the first test.
    return ((w & (high | separator_mask)) == (three | separators)) &&
           (((w + bytes_at(digits, 0x06)) & high) == three);
}

// Two-digit values of a word of validated digits: byte i of the result is 10 * digit i + digit
// i+1 (each byte stays below 100, so no carries).
constexpr std::uint64_t digit_pairs(std::uint64_t w) {
    const std::uint64_t d = w & 0x0F0F0F0F0F0F0F0Full;
    return d * 10 + (d >> 8);
}
constexpr int pair_at(std::uint64_t pairs, int byte) { return static_cast<int>((pairs >> (8 * byte)) & 0xFF); }

// The form nearly every published row has, "YYYY-MM-DD HH:MM:SS" (or 'T'), read as three 8-byte
// words ("YYYY-MM-", "DD HH:MM", "HH:MM:SS" at offset 11) whose digits and separators are checked
// and converted a word at a time (the byte-by-byte version was ~3% of a transform). Accepts
// exactly what the general parser accepts for 19-character text of this shape.
bool parse_fixed_iso(std::string_view t, datetime_parts& out) noexcept {
    if (t.size() != 19) return false;
    using data::detail::load_le;
    const std::uint64_t date = load_le(t.data()), day_time = load_le(t.data() + 8), time = load_le(t.data() + 11);
    constexpr std::uint64_t dash = bytes_at({4, 7}, 0xFF), dashes = bytes_at({4, 7}, '-');
    constexpr std::uint64_t colon5 = bytes_at({5}, 0xFF), colons5 = bytes_at({5}, ':');
    const char between = t[10];
    if (!word_matches(date, {0, 1, 2, 3, 5, 6}, dash, dashes) ||
        !word_matches(day_time, {0, 1, 3, 4, 6, 7}, colon5, colons5) || !word_matches(time, {6, 7}, colon5, colons5) ||
        (between != ' ' && between != 'T'))
        return false;
    const std::uint64_t date_pairs = digit_pairs(date), day_time_pairs = digit_pairs(day_time);
    out.year = pair_at(date_pairs, 0) * 100 + pair_at(date_pairs, 2);
    out.month = pair_at(date_pairs, 5);
    out.monthday = pair_at(day_time_pairs, 0);
    out.hour = pair_at(day_time_pairs, 3);
    out.minute = pair_at(day_time_pairs, 6);
    out.second = pair_at(digit_pairs(time), 6);
    return true;
}

// Length and weekday of the 1st of every month of the years the data can plausibly hold, so a
// row's two timestamps cost a table lookup instead of leap-year and day-count arithmetic
// (which was ~3% of a transform). Other years take the arithmetic.
constexpr int table_first_year = 1900, table_years = 300;
struct month_facts {
    std::uint8_t days;
    std::uint8_t first_weekday;
};
constexpr auto month_table = [] {
    std::array<month_facts, table_years * 12> t{};
    for (int y = 0; y < table_years; ++y)
        for (int m = 1; m <= 12; ++m)
            t[static_cast<std::size_t>(y * 12 + m - 1)] = {
                static_cast<std::uint8_t>(days_in_month(table_first_year + y, m)),
                static_cast<std::uint8_t>(weekday_from_civil(table_first_year + y, m, 1))};
    return t;
}();
static_assert(month_table[(2016 - table_first_year) * 12].first_weekday == 4, "2016-01-01 was a Friday");

// (first weekday of the month + day - 1) % 7 for every sum a valid date gives (0-36): a lookup
// instead of the multiply-shift-subtract of % 7, on the path every timestamp takes.
constexpr auto weekday_after = [] {
    std::array<std::uint8_t, 7 + 31 - 1> t{};
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = static_cast<std::uint8_t>(i % 7);
    return t;
}();

// Inlined into both callers: out of line, it re-read the parts just stored (the fixed reader stores
// four of them as one 16-byte write), and those loads waited on store forwarding (~3% of a run).
[[gnu::always_inline]] inline bool valid_parts(datetime_parts& out) noexcept {
    if (out.month < 1 || out.month > 12 || out.monthday < 1 || out.hour > 23 || out.minute > 59 || out.second > 59)
        return false;
    const unsigned year_index = static_cast<unsigned>(out.year - table_first_year);
    if (year_index < static_cast<unsigned>(table_years)) {
        const month_facts f = month_table[year_index * 12 + static_cast<unsigned>(out.month - 1)];
        if (out.monthday > f.days) return false;
        out.weekday = weekday_after[f.first_weekday + out.monthday - 1];
        return true;
    }
    if (out.year < 1 || out.monthday > days_in_month(out.year, out.month)) return false;
    out.weekday = weekday_from_civil(out.year, out.month, out.monthday);
    return true;
}

}  // namespace

bool parse_datetime(std::string_view text, datetime_parts& out) noexcept {
    if (parse_fixed_iso(text, out)) return valid_parts(out);
    return detail::parse_datetime_general(text, out);
}

bool detail::parse_datetime_general(std::string_view text, datetime_parts& out) noexcept {
    text = data::trim(text);
    cursor c{text.data(), text.data() + text.size()};
    int first = 0;
    if (!c.number(1, 4, first)) return false;
    const auto first_digits = c.p - text.data();
    bool us_form = false;
    if (c.eat('-')) {
        out.year = first;
        if (first_digits != 4 || !c.number(1, 2, out.month) || !c.eat('-') || !c.number(1, 2, out.monthday))
            return false;
    } else if (c.eat('/')) {
        us_form = true;
        out.month = first;
        if (first_digits > 2 || !c.number(1, 2, out.monthday) || !c.eat('/') || !c.number(4, 4, out.year))
            return false;
    } else {
        return false;
    }
    out.hour = out.minute = out.second = 0;
    if (!c.at_end()) {
        if (!(c.eat(' ') || c.eat('T'))) return false;
        while (c.eat(' ')) {
        }
        if (!parse_time(c, out)) return false;
        if (us_form) {
            while (c.eat(' ')) {
            }
            if (!c.at_end()) {
                bool pm;
                if (c.eat('P') || c.eat('p')) pm = true;
                else if (c.eat('A') || c.eat('a')) pm = false;
                else return false;
                if (!(c.eat('M') || c.eat('m')) || out.hour < 1 || out.hour > 12) return false;
                out.hour = out.hour % 12 + (pm ? 12 : 0);
            }
        }
    }
    if (!c.at_end()) return false;
    return valid_parts(out);
}

}  // namespace amlops::features
