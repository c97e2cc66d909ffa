#pragma once
// Calendar parts of the taxi timestamps, parsed by hand (no locale, no time zone, no allocation):
// the transform parses two per row, so this is on the hot path.

#include <cstdint>
#include <string_view>

namespace amlops::features {

/// A wall-clock timestamp split into the parts the features use. No time zone is implied.
struct datetime_parts {
    int year = 1970;
    int month = 1;     ///< 1..12
    int monthday = 1;  ///< 1..31
    int hour = 0;      ///< 0..23
    int minute = 0;    ///< 0..59
    int second = 0;    ///< 0..59 (fractions are dropped)
    int weekday = 3;   ///< Monday = 0 ... Sunday = 6 (pandas' dayofweek)
};

/// True for Gregorian leap years.
constexpr bool is_leap_year(int y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/// Days in `month` (1..12) of year `y`.
constexpr int days_in_month(int y, int month) noexcept {
    constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap_year(y) ? 29 : days[month - 1];
}

/// Days since 1970-01-01 of a proleptic Gregorian date (negative before 1970). Counts whole
/// 400-year eras (146097 days) from 0000-03-01, so that the leap day is the last day of a
/// "year" and needs no special case.
constexpr std::int64_t days_from_civil(int y, int m, int d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t year_of_era = y - era * 400;                              // [0, 399]
    const std::int64_t day_of_year = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;  // [0, 365]
    const std::int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;  // 719468 = days from 0000-03-01 to 1970-01-01
}

/// Monday = 0 ... Sunday = 6 for a Gregorian date (1970-01-01 was a Thursday).
constexpr int weekday_from_civil(int y, int m, int d) noexcept {
    return static_cast<int>(((days_from_civil(y, m, d) + 3) % 7 + 7) % 7);
}

/// Parses the timestamp forms found in the published taxi files and fills `out`:
///   - ISO:   `2016-01-03 21:02:35` (also `T` instead of the space, optional `.fraction`,
///            seconds optional);
///   - US:    `1/3/2016 21:02` (month/day/year, 1-2 digit month/day/hour, optional `:ss`,
///            optional ` AM`/` PM`);
///   - either form without a time (midnight).
/// Surrounding blanks are ignored. Returns false for anything else or an impossible date/time
/// (e.g. 2015-02-29, 24:00); `out` is then unspecified.
bool parse_datetime(std::string_view text, datetime_parts& out) noexcept;

namespace detail {
/// parse_datetime without its fast path for "YYYY-MM-DD HH:MM:SS" (tests compare the two).
bool parse_datetime_general(std::string_view text, datetime_parts& out) noexcept;
}  // namespace detail

}  // namespace amlops::features
