#include "amlops/features/datetime.hpp"

#include <cstdio>
#include <random>

#include <catch2/catch.hpp>

using namespace amlops::features;

namespace {

datetime_parts parse_ok(std::string_view text) {
    datetime_parts t;
    INFO(text);
    REQUIRE(parse_datetime(text, t));
    return t;
}

bool parses(std::string_view text) {
    datetime_parts t;
    return parse_datetime(text, t);
}

}  // namespace

TEST_CASE("datetime: ISO form, all parts") {
    auto t = parse_ok("2016-01-03 21:02:35");
    CHECK(t.year == 2016);
    CHECK(t.month == 1);
    CHECK(t.monthday == 3);
    CHECK(t.hour == 21);
    CHECK(t.minute == 2);
    CHECK(t.second == 35);
    CHECK(t.weekday == 6);  // a Sunday
    auto u = parse_ok("2016-01-19T06:49:17.250");
    CHECK(u.second == 17);
    CHECK(u.weekday == 1);  // a Tuesday
    CHECK(parse_ok(" 2016-01-04 00:00 ").weekday == 0);  // a Monday; seconds optional, blanks ignored
    CHECK(parse_ok("2016-01-09").hour == 0);               // date only: midnight
}

TEST_CASE("datetime: month/day/year form as re-saved by spreadsheets") {
    auto t = parse_ok("1/3/2016 21:02");
    CHECK(t.month == 1);
    CHECK(t.monthday == 3);
    CHECK(t.year == 2016);
    CHECK(t.hour == 21);
    CHECK(t.minute == 2);
    CHECK(t.second == 0);
    CHECK(t.weekday == 6);
    CHECK(parse_ok("12/31/2015 9:05:07").second == 7);
    CHECK(parse_ok("1/3/2016 9:02 PM").hour == 21);
    CHECK(parse_ok("1/3/2016 12:02 AM").hour == 0);
    CHECK(parse_ok("1/3/2016 12:02 pm").hour == 12);
}

TEST_CASE("datetime: leap days and weekdays") {
    auto leap = parse_ok("2016-02-29 23:59:59");
    CHECK(leap.weekday == 0);  // Monday
    CHECK(parse_ok("2/29/2016 10:00").weekday == 0);
    CHECK(parse_ok("2000-02-29 00:00:00").weekday == 1);  // 400-year rule: leap, a Tuesday
    CHECK_FALSE(parses("2015-02-29 00:00:00"));
    CHECK_FALSE(parses("1900-02-29 00:00:00"));  // century rule: not leap
    CHECK(parse_ok("1970-01-01 00:00:00").weekday == 3);  // Thursday
    CHECK(parse_ok("1969-12-28 00:00:00").weekday == 6);  // Sunday, before the epoch
    CHECK(weekday_from_civil(2024, 3, 1) == 4);          // Friday
    CHECK(days_from_civil(1970, 1, 1) == 0);
    CHECK(days_from_civil(2016, 3, 1) - days_from_civil(2016, 2, 28) == 2);
}

TEST_CASE("datetime: malformed and impossible values are refused") {
    for (std::string_view bad : {"", "2016-13-01 00:00:00", "2016-01-32 00:00:00", "2016-01-03 24:00:00",
                                 "2016-01-03 21:60:00", "2016-01-03 21:02:60", "16-01-03 21:02:35",
                                 "2016/01/03 21:02", "1/3/16 21:02", "13/3/2016 21:02", "1/3/2016 21:2",
                                 "2016-01-03 21:02:35x", "1/3/2016 13:02 PM", "not a date", "2016-01-03 21"}) {
        INFO(bad);
        CHECK_FALSE(parses(bad));
    }
}

TEST_CASE("datetime: every day of 1895-2205 agrees with the calendar arithmetic") {
    // The parser looks month lengths and weekdays up in a table for 1900-2199 and computes them
    // outside it: both must agree with days_in_month / weekday_from_civil, across the edges.
    int checked = 0;
    for (int y = 1895; y <= 2205; ++y)
        for (int m = 1; m <= 12; ++m)
            for (int d = 1; d <= 31; ++d) {
                char text[32];
                std::snprintf(text, sizeof text, "%04d-%02d-%02d 23:59:58", y, m, d);
                datetime_parts t;
                const bool ok = parse_datetime(text, t);
                const bool real = d <= days_in_month(y, m);
                if (ok != real || (ok && (t.weekday != weekday_from_civil(y, m, d) || t.year != y || t.month != m ||
                                          t.monthday != d || t.hour != 23 || t.minute != 59 || t.second != 58)))
                    FAIL_CHECK(text);
                ++checked;
            }
    CHECK(checked == 311 * 12 * 31);
}

TEST_CASE("datetime: the word-at-a-time ISO reader agrees with the general parser") {
    // Valid timestamps with 1-3 bytes replaced by digits, separators and their byte neighbours
    // ('/' and ':' border the digits, 0xFA+ would carry), all through parse_datetime (fast path)
    // and the general parser.
    std::mt19937_64 next(2016);
    static constexpr char replacements[] = "0123456789-: T/:;.\x2f\x3a\x3f\x40\xfa\xff\x00\x06\x39\x30";
    char text[20];
    int accepted = 0;
    for (int round = 0; round < 200000; ++round) {
        std::snprintf(text, sizeof text, "%04d-%02d-%02d%c%02d:%02d:%02d", static_cast<int>(1890 + next() % 330),
                      static_cast<int>(next() % 14), static_cast<int>(next() % 33), next() % 2 ? ' ' : 'T',
                      static_cast<int>(next() % 25), static_cast<int>(next() % 61), static_cast<int>(next() % 61));
        const int changes = static_cast<int>(next() % 4);
        for (int c = 0; c < changes; ++c) text[next() % 19] = replacements[next() % (sizeof replacements - 1)];
        const std::string_view view(text, 19);
        datetime_parts fast, general;
        const bool fast_ok = parse_datetime(view, fast), general_ok = detail::parse_datetime_general(view, general);
        INFO(view);
        REQUIRE(fast_ok == general_ok);
        if (!fast_ok) continue;
        ++accepted;
        CHECK((fast.year == general.year && fast.month == general.month && fast.monthday == general.monthday &&
               fast.hour == general.hour && fast.minute == general.minute && fast.second == general.second &&
               fast.weekday == general.weekday));
    }
    CHECK(accepted > 20000);  // the comparison covered accepted timestamps, not only refusals
}
