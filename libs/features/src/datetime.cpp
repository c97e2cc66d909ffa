#include "amlops/features/datetime.hpp"

#include "amlops/data/numbers.hpp"

#include <array>
#include <cstdint>

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

// The form nearly every published row has, "YYYY-MM-DD HH:MM:SS" (or 'T'), read at fixed
// offsets: one pass of digit checks instead of the general cursor's per-character branching.
// Accepts exactly what the general parser accepts for 19-character text of this shape.
bool parse_fixed_iso(std::string_view t, datetime_parts& out) noexcept {
    if (t.size() != 19 || t[4] != '-' || t[7] != '-' || (t[10] != ' ' && t[10] != 'T') || t[13] != ':' ||
        t[16] != ':')
        return false;
    unsigned bad = 0;
    auto two = [&](std::size_t i) {
        const unsigned hi = static_cast<unsigned char>(t[i]) - '0', lo = static_cast<unsigned char>(t[i + 1]) - '0';
        bad |= (hi > 9) | (lo > 9);
        return static_cast<int>(hi * 10 + lo);
    };
    out.year = two(0) * 100 + two(2);
    out.month = two(5);
    out.monthday = two(8);
    out.hour = two(11);
    out.minute = two(14);
    out.second = two(17);
    return bad == 0;
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

bool valid_parts(datetime_parts& out) noexcept {
    if (out.month < 1 || out.month > 12 || out.monthday < 1 || out.hour > 23 || out.minute > 59 || out.second > 59)
        return false;
    const unsigned year_index = static_cast<unsigned>(out.year - table_first_year);
    if (year_index < static_cast<unsigned>(table_years)) {
        const month_facts f = month_table[year_index * 12 + static_cast<unsigned>(out.month - 1)];
        if (out.monthday > f.days) return false;
        out.weekday = (f.first_weekday + out.monthday - 1) % 7;
        return true;
    }
    if (out.year < 1 || out.monthday > days_in_month(out.year, out.month)) return false;
    out.weekday = weekday_from_civil(out.year, out.month, out.monthday);
    return true;
}

}  // namespace

bool parse_datetime(std::string_view text, datetime_parts& out) noexcept {
    if (parse_fixed_iso(text, out)) return valid_parts(out);
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
