#include "amlops/datagen/generator.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dg = amlops::datagen;

namespace {

dg::options make_options(std::int64_t rows, std::uint64_t seed = 7, double dirty = 0.02) {
    dg::options o;
    o.rows = rows;
    o.seed = seed;
    o.dirty_ratio = dirty;
    return o;
}

std::vector<std::string_view> split(std::string_view line, char sep) {
    std::vector<std::string_view> out;
    std::size_t begin = 0;
    while (true) {
        std::size_t end = line.find(sep, begin);
        out.push_back(line.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin));
        if (end == std::string_view::npos) return out;
        begin = end + 1;
    }
}

std::vector<std::string_view> data_lines(std::string_view csv) {
    auto lines = split(csv, '\n');
    lines.erase(lines.begin());  // header
    while (!lines.empty() && lines.back().empty()) lines.pop_back();
    return lines;
}

bool parse_double(std::string_view s, double& v) {
    if (s.empty()) return false;
    // ".00" is how one published copy prints a zero distance; from_chars wants a leading digit.
    std::string text;
    if (s.front() == '.') text.push_back('0');
    text.append(s);
    auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

int two(std::string_view s, std::size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); }

// An ISO datetime as the transform must accept it; returns seconds since 2016-01-01 or -1.
long long parse_iso(std::string_view s) {
    if (s.size() != 19 || s.substr(0, 5) != "2016-" || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':')
        return -1;
    for (std::size_t i : {5, 6, 8, 9, 11, 12, 14, 15, 17, 18})
        if (s[i] < '0' || s[i] > '9') return -1;
    const int month = two(s, 5), day = two(s, 8), hour = two(s, 11), minute = two(s, 14), second = two(s, 17);
    static constexpr int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1 || day > days[month - 1] || hour > 23 || minute > 59 || second > 59)
        return -1;
    long long d = day - 1;
    for (int m = 1; m < month; ++m) d += days[m - 1];
    return d * 86400 + hour * 3600 + minute * 60 + second;
}

// An independent reading of one file under the docs/TAXI-DATA.md rules.
struct verdict {
    std::uint64_t rows = 0, kept = 0, malformed = 0;
    std::vector<std::vector<std::string_view>> kept_fields;
};

verdict apply_rules(std::string_view csv, dg::taxi_kind kind) {
    const bool green = kind == dg::taxi_kind::green;
    verdict v;
    for (auto line : data_lines(csv)) {
        ++v.rows;
        auto f = split(line, ',');
        if (f.size() != dg::column_count(kind) || parse_iso(f[1]) < 0 || parse_iso(f[2]) < 0) {
            ++v.malformed;
            continue;
        }
        double plon, plat, dlon, dlat, cost, distance = 0;
        if (!parse_double(f[7], plon) || !parse_double(f[8], plat) || !parse_double(f[9], dlon) ||
            !parse_double(f[10], dlat))
            continue;  // missing coordinates are dropped
        if (!(plon >= -74.09 && plon <= -73.72 && plat >= 40.53 && plat <= 40.88 && dlon >= -74.72 &&
              dlon <= -73.72 && dlat >= 40.53 && dlat <= 40.88))
            continue;
        if (!f[4].empty()) REQUIRE(parse_double(f[4], distance));
        REQUIRE(parse_double(f[14], cost));
        if (distance > 0 && cost > 0) {
            ++v.kept;
            v.kept_fields.push_back(f);
        }
        (void)green;
    }
    return v;
}

std::uint64_t count(const dg::file_stats& s, dg::dirty_kind k) { return s.dirty[static_cast<std::size_t>(k)]; }

}  // namespace

TEST_CASE("headers are the published schemas, column for column") {
    CHECK(dg::header(dg::taxi_kind::green) ==
          "vendorID,lpepPickupDatetime,lpepDropoffDatetime,passengerCount,tripDistance,puLocationId,doLocationId,"
          "pickupLongitude,pickupLatitude,dropoffLongitude,dropoffLatitude,rateCodeID,storeAndFwdFlag,paymentType,"
          "fareAmount,extra,mtaTax,improvementSurcharge,tipAmount,tollsAmount,ehailFee,totalAmount,tripType\n");
    CHECK(dg::header(dg::taxi_kind::yellow) ==
          "vendorID,tpepPickupDateTime,tpepDropoffDateTime,passengerCount,tripDistance,puLocationId,doLocationId,"
          "startLon,startLat,endLon,endLat,rateCodeId,storeAndFwdFlag,paymentType,fareAmount,extra,mtaTax,"
          "improvementSurcharge,tipAmount,tollsAmount,totalAmount\n");
    CHECK(split(dg::header(dg::taxi_kind::green), ',').size() == dg::column_count(dg::taxi_kind::green));
    CHECK(split(dg::header(dg::taxi_kind::yellow), ',').size() == dg::column_count(dg::taxi_kind::yellow));
    const std::string csv = dg::generate_csv(dg::taxi_kind::yellow, make_options(10), 10);
    CHECK(csv.substr(0, dg::header(dg::taxi_kind::yellow).size()) == dg::header(dg::taxi_kind::yellow));
}

TEST_CASE("same options give the same bytes, another seed other bytes") {
    const auto o = make_options(3000, 11);
    for (auto kind : {dg::taxi_kind::green, dg::taxi_kind::yellow}) {
        CHECK(dg::generate_csv(kind, o, 3000) == dg::generate_csv(kind, o, 3000));
        CHECK(dg::generate_csv(kind, o, 3000) != dg::generate_csv(kind, make_options(3000, 12), 3000));
    }
    amlops::test::scratch_dir a("datagen-a"), b("datagen-b");
    const auto fa = dg::write_taxi_files(o, a.path());
    const auto fb = dg::write_taxi_files(o, b.path());
    CHECK(amlops::read_file(fa.green_path) == amlops::read_file(fb.green_path));
    CHECK(amlops::read_file(fa.yellow_path) == amlops::read_file(fb.yellow_path));
    // The files written in parallel are the in-memory ones: no dependence on timing.
    CHECK(amlops::read_file(fa.green_path) == dg::generate_csv(dg::taxi_kind::green, o, 1500));
}

TEST_CASE("rows are split between the files by the green share") {
    amlops::test::scratch_dir dir("datagen-split");
    auto o = make_options(1001);
    o.green_share = 0.3;
    const auto files = dg::write_taxi_files(o, dir.path());
    CHECK(files.green.rows == 300);
    CHECK(files.yellow.rows == 701);
    const std::string green = amlops::read_file(files.green_path), yellow = amlops::read_file(files.yellow_path);
    CHECK(data_lines(green).size() == 300);
    CHECK(data_lines(yellow).size() == 701);
    // As published: the green file ends with a blank line, the yellow one does not.
    CHECK(green.ends_with("\n\n"));
    CHECK(yellow.ends_with("\n"));
    CHECK_FALSE(yellow.ends_with("\n\n"));

    o.green_share = 0.0;
    CHECK(dg::split_rows(o).green == 0);
    CHECK(dg::split_rows(o).yellow == 1001);
    const auto only_yellow = dg::write_taxi_files(o, dir.path());
    CHECK(amlops::read_file(only_yellow.green_path) == std::string(dg::header(dg::taxi_kind::green)) + "\n");
}

TEST_CASE("clean rows look like the published data") {
    const std::string csv = dg::generate_csv(dg::taxi_kind::green, make_options(2000, 3, 0.0), 2000);
    for (auto line : data_lines(csv)) {
        auto f = split(line, ',');
        REQUIRE(f.size() == 23);
        CHECK((f[0] == "1" || f[0] == "2"));
        CHECK(parse_iso(f[1]) >= 0);
        CHECK(parse_iso(f[1]) < 31LL * 86400);  // January 2016
        CHECK(parse_iso(f[2]) > parse_iso(f[1]));
        CHECK(f[5].empty());
        CHECK(f[6].empty());
        CHECK(f[20].empty());  // ehailFee
        CHECK((f[12] == "N" || f[12] == "Y"));
        CHECK((f[22] == "1.0" || f[22] == "2.0"));
        // Money and miles: at most two decimals, always at least one ("6.0", "12.36").
        for (std::size_t c : {4, 14, 15, 16, 17, 18, 19, 21}) {
            const auto dot = f[c].find('.');
            REQUIRE(dot != std::string_view::npos);
            CHECK(f[c].size() - dot - 1 >= 1);
            CHECK(f[c].size() - dot - 1 <= 2);
        }
        double total = 0, part = 0, sum = 0;
        REQUIRE(parse_double(f[21], total));
        for (std::size_t c : {14, 15, 16, 17, 18, 19}) {
            REQUIRE(parse_double(f[c], part));
            sum += part;
        }
        CHECK(std::abs(total - sum) < 0.005);
        int passengers = f[3][0] - '0';
        CHECK(f[3].size() == 1);
        CHECK(passengers >= 1);
        CHECK(passengers <= 6);
    }
}

TEST_CASE("the us date format writes month/day/year without seconds") {
    auto o = make_options(50, 5, 0.0);
    o.dates = dg::date_format::us;
    const std::string csv = dg::generate_csv(dg::taxi_kind::yellow, o, 50);
    for (auto line : data_lines(csv)) {
        auto f = split(line, ',');
        REQUIRE(f.size() == 21);
        auto date_time = split(f[1], ' ');
        REQUIRE(date_time.size() == 2);
        auto mdy = split(date_time[0], '/');
        REQUIRE(mdy.size() == 3);
        CHECK((mdy[0] == "1" || mdy[0] == "2"));
        CHECK(mdy[2] == "2016");
        auto hm = split(date_time[1], ':');
        REQUIRE(hm.size() == 2);
        CHECK(hm[1].size() == 2);
    }
}

TEST_CASE("the dirty share and the malformed share stay within tolerance") {
    const auto& w = dg::dirty_kind_weights();
    double sum = 0;
    for (double x : w) sum += x;
    CHECK(sum == Approx(1.0));
    CHECK(w[static_cast<std::size_t>(dg::dirty_kind::bad_datetime)] +
              w[static_cast<std::size_t>(dg::dirty_kind::short_row)] <=
          0.1);
    dg::file_stats s;
    dg::generate_csv(dg::taxi_kind::yellow, make_options(100000, 21), 100000, &s);
    CHECK(s.rows == 100000);
    const double dirty = static_cast<double>(s.dirty_rows()) / 100000.0;
    CHECK(dirty > 0.018);
    CHECK(dirty < 0.022);
    // Malformed rows must stay under the transform's default max-reject-ratio of 0.01.
    const double malformed = static_cast<double>(s.malformed) / 100000.0;
    CHECK(malformed > 0.0);
    CHECK(malformed < 0.002);

    dg::file_stats clean;
    dg::generate_csv(dg::taxi_kind::green, make_options(5000, 21, 0.0), 5000, &clean);
    CHECK(clean.dirty_rows() == 0);
    CHECK(clean.kept == 5000);
    dg::file_stats all;
    dg::generate_csv(dg::taxi_kind::green, make_options(5000, 21, 1.0), 5000, &all);
    CHECK(all.dirty_rows() == 5000);
}

TEST_CASE("every dirty kind appears, and the counts match an independent reading of the rules") {
    for (auto kind : {dg::taxi_kind::green, dg::taxi_kind::yellow}) {
        dg::file_stats s;
        const std::string csv = dg::generate_csv(kind, make_options(40000, 99, 0.25), 40000, &s);
        for (std::size_t k = 0; k < dg::dirty_kind_count; ++k) {
            INFO(dg::to_string(static_cast<dg::dirty_kind>(k)));
            CHECK(s.dirty[k] > 0);
        }
        CHECK(s.malformed == count(s, dg::dirty_kind::bad_datetime) + count(s, dg::dirty_kind::short_row));
        const verdict v = apply_rules(csv, kind);
        CHECK(v.rows == s.rows);
        CHECK(v.malformed == s.malformed);
        CHECK(v.kept == s.kept);
        CHECK(csv.find(",0,") != std::string::npos);  // store flag "0"
        CHECK(csv.find(",.00,") != std::string::npos);
    }
}

TEST_CASE("clean trips have realistic statistics") {
    const std::string csv = dg::generate_csv(dg::taxi_kind::yellow, make_options(50000, 8, 0.0), 50000);
    const verdict v = apply_rules(csv, dg::taxi_kind::yellow);
    REQUIRE(v.kept == 50000);
    std::vector<double> distances;
    double fare_sum = 0, distance_sum = 0, residual_sum = 0;
    std::map<int, int> by_hour;
    int single = 0;
    for (const auto& f : v.kept_fields) {
        double d = 0, fare = 0;
        REQUIRE(parse_double(f[4], d));
        REQUIRE(parse_double(f[14], fare));
        distances.push_back(d);
        fare_sum += fare;
        distance_sum += d;
        const double minutes = static_cast<double>(parse_iso(f[2]) - parse_iso(f[1])) / 60.0;
        residual_sum += fare - (2.5 + 2.5 * d + 0.35 * minutes);
        ++by_hour[two(f[1], 11)];
        if (f[3] == "1") ++single;
    }
    std::nth_element(distances.begin(), distances.begin() + 25000, distances.end());
    const double median = distances[25000];
    CHECK(median > 1.6);
    CHECK(median < 2.0);
    const double per_mile = fare_sum / distance_sum;
    CHECK(per_mile > 3.5);
    CHECK(per_mile < 6.5);
    CHECK(std::abs(residual_sum / 50000.0) < 0.1);  // the fare follows the meter formula
    CHECK(by_hour[18] > 3 * by_hour[4]);            // evening rush vs. small hours
    CHECK(by_hour[8] > by_hour[3]);
    CHECK(single > 35000);
}

TEST_CASE("invalid options are usage errors naming the flag") {
    auto expect_usage = [](dg::options o, const std::string& flag) {
        try {
            dg::validate(o);
            FAIL("no error for " + flag);
        } catch (const amlops::error& e) {
            CHECK(e.kind() == amlops::error_kind::usage);
            CHECK(e.exit_code() == 2);
            REQUIRE(e.context().field);
            CHECK(*e.context().field == flag);
        }
    };
    expect_usage(make_options(0), "--rows");
    expect_usage(make_options(-3), "--rows");
    expect_usage(make_options(10, 1, -0.01), "--dirty-ratio");
    expect_usage(make_options(10, 1, 1.01), "--dirty-ratio");
    expect_usage(make_options(10, 1, std::numeric_limits<double>::quiet_NaN()), "--dirty-ratio");
    auto o = make_options(10);
    o.green_share = 1.5;
    expect_usage(o, "--green-share");
    CHECK_THROWS_AS(dg::parse_date_format("eu"), amlops::error);
    CHECK(dg::parse_date_format("us") == dg::date_format::us);
    CHECK_NOTHROW(dg::validate(make_options(1, 1, 1.0)));
}
