#include "amlops/features/taxi.hpp"

#include "amlops/core/error.hpp"
#include "amlops/data/csv.hpp"
#include "taxi_rows.hpp"

#include <catch2/catch.hpp>

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

using namespace amlops;
using namespace amlops::features;
using amlops::test::raw_trip;

namespace {

std::vector<std::string> split_line(const std::string& line) {
    data::csv_parser parser;
    data::csv_record rec;
    parser.reset(line, 1, true);
    REQUIRE(parser.next(rec) == data::csv_status::record);
    return {rec.fields().begin(), rec.fields().end()};
}

taxi_layout layout_of(const std::string& header_line) {
    return taxi_layout::from_header(data::csv_header(split_line(header_line)), "in.csv");
}

// Runs process_row on one line; `out` receives the features.
row_verdict run(const taxi_layout& layout, const std::string& line, feature_row& out) {
    auto owned = split_line(line);
    std::vector<std::string_view> fields(owned.begin(), owned.end());
    return process_row(layout, fields, out);
}

row_verdict run_green(const raw_trip& t, feature_row& out) {
    static const taxi_layout green = layout_of(test::green_header);
    return run(green, test::green_row(t), out);
}

std::string csv_of(const feature_row& row) {
    std::string s;
    append_csv(s, row);
    return s;
}

drop_rule dropped_by(const raw_trip& t) {
    feature_row row;
    auto v = run_green(t, row);
    REQUIRE(v.outcome == row_outcome::drop);
    return v.rule;
}

}  // namespace

TEST_CASE("taxi layout: schema detected from the header") {
    CHECK(layout_of(test::green_header).schema() == taxi_schema::green);
    CHECK(layout_of(test::yellow_header).schema() == taxi_schema::yellow);
    CHECK(layout_of(test::merged_header).schema() == taxi_schema::merged);
    auto yellow = layout_of(test::yellow_header);
    CHECK(yellow.column(taxi_field::pickup_longitude) == 7);
    CHECK(yellow.source_name(taxi_field::pickup_longitude) == "startLon");
    CHECK(yellow.width() == 21);
    // The MLOPs-AzureML copy adds a transactionID column; it is ignored.
    CHECK(layout_of(test::green_header + ",transactionID").width() == 24);
}

TEST_CASE("taxi layout: missing columns are named with the file") {
    std::string header = test::rename_column(test::green_header, "fareAmount", "fare");
    try {
        layout_of(header);
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::bad_input);
        CHECK(std::string(e.what()) == "missing column 'fareAmount' (cost) in green taxi file in.csv");
        CHECK(e.context().field == "fareAmount");
    }
    CHECK_THROWS_WITH(layout_of("a,b,c"), Catch::Contains("no pickup time column"));
}

TEST_CASE("taxi row: the published sample's first green row") {
    feature_row row;
    auto v = run_green(raw_trip{}, row);
    REQUIRE(v.outcome == row_outcome::keep);
    CHECK(csv_of(row) ==
          "0.83,40.69454574584961,-73.97611236572266,1,40.6938362121582,-73.98726654052734,0,2,6,1,3,21,2,35,6,1,3,21,5,52,4.5\n");
}

TEST_CASE("taxi row: yellow row with month/day/year times and store_forward Y") {
    auto yellow = layout_of(test::yellow_header);
    raw_trip t;
    t.vendor = "1";
    t.pickup = "1/3/2016 17:57";
    t.dropoff = "1/3/2016 18:08";
    t.passengers = "3";
    t.distance = "1.5";
    t.pickup_lon = "-73.96627045";
    t.pickup_lat = "40.76483536";
    t.dropoff_lon = "-73.98455048";
    t.dropoff_lat = "40.75786209";
    t.store_forward = "Y";
    t.fare = "8.50";
    feature_row row;
    REQUIRE(run(yellow, test::yellow_row(t), row).outcome == row_outcome::keep);
    CHECK(csv_of(row) == "1.5,40.75786209,-73.98455048,3,40.76483536,-73.96627045,1,1,6,1,3,17,57,0,6,1,3,18,8,0,8.5\n");
}

TEST_CASE("taxi row: store_forward rule") {
    feature_row row;
    for (auto [flag, expected] : std::vector<std::pair<std::string, double>>{{"N", 0}, {"0", 0}, {"", 0}, {"Y", 1}, {"1", 1}, {"x", 1}}) {
        raw_trip t;
        t.store_forward = flag;
        INFO("flag '" << flag << "'");
        REQUIRE(run_green(t, row).outcome == row_outcome::keep);
        CHECK(row.features[feature_index("store_forward")] == expected);
    }
}

TEST_CASE("taxi row: bounding box is inclusive; missing coordinates drop") {
    feature_row row;
    raw_trip edge;
    edge.pickup_lon = "-74.09";
    edge.pickup_lat = "40.88";
    edge.dropoff_lon = "-74.72";  // as published
    edge.dropoff_lat = "40.53";
    CHECK(run_green(edge, row).outcome == row_outcome::keep);
    edge.pickup_lon = "-73.72";
    edge.dropoff_lon = "-73.72";
    CHECK(run_green(edge, row).outcome == row_outcome::keep);

    auto outside = [](auto set) {
        raw_trip t;
        set(t);
        return dropped_by(t);
    };
    CHECK(outside([](raw_trip& t) { t.pickup_lon = "-74.0901"; }) == drop_rule::outside_bounding_box);
    CHECK(outside([](raw_trip& t) { t.pickup_lon = "-73.7199"; }) == drop_rule::outside_bounding_box);
    CHECK(outside([](raw_trip& t) { t.pickup_lat = "40.5299"; }) == drop_rule::outside_bounding_box);
    CHECK(outside([](raw_trip& t) { t.pickup_lat = "40.8801"; }) == drop_rule::outside_bounding_box);
    CHECK(outside([](raw_trip& t) { t.dropoff_lon = "-74.7201"; }) == drop_rule::outside_bounding_box);
    CHECK(outside([](raw_trip& t) { t.dropoff_lon = "-73.7199"; }) == drop_rule::outside_bounding_box);
    CHECK(outside([](raw_trip& t) { t.dropoff_lat = "40.8801"; }) == drop_rule::outside_bounding_box);
    CHECK(outside([](raw_trip& t) { t.dropoff_lat = "0"; }) == drop_rule::outside_bounding_box);
    CHECK(outside([](raw_trip& t) { t.pickup_lat = ""; }) == drop_rule::outside_bounding_box);
    CHECK(outside([](raw_trip& t) { t.dropoff_lon = ""; }) == drop_rule::outside_bounding_box);
}

TEST_CASE("taxi row: distance and cost must be positive; '.00' and missing distance are 0") {
    auto with = [](auto set) {
        raw_trip t;
        set(t);
        return dropped_by(t);
    };
    CHECK(with([](raw_trip& t) { t.distance = ".00"; }) == drop_rule::distance_not_positive);
    CHECK(with([](raw_trip& t) { t.distance = ""; }) == drop_rule::distance_not_positive);
    CHECK(with([](raw_trip& t) { t.distance = "0"; }) == drop_rule::distance_not_positive);
    CHECK(with([](raw_trip& t) { t.distance = "-1.2"; }) == drop_rule::distance_not_positive);
    CHECK(with([](raw_trip& t) { t.fare = "0"; }) == drop_rule::cost_not_positive);
    CHECK(with([](raw_trip& t) { t.fare = "-2.5"; }) == drop_rule::cost_not_positive);
    CHECK(with([](raw_trip& t) { t.fare = ""; }) == drop_rule::cost_not_positive);
    // Rules apply in the published order: the bounding box first, then distance, then cost.
    CHECK(with([](raw_trip& t) { t.distance = "0"; t.fare = "0"; }) == drop_rule::distance_not_positive);
    CHECK(with([](raw_trip& t) { t.pickup_lat = "1"; t.distance = "0"; }) == drop_rule::outside_bounding_box);
}

TEST_CASE("taxi row: entirely empty rows drop, even short ones") {
    static const taxi_layout green = layout_of(test::green_header);
    feature_row row;
    auto v = run(green, std::string(22, ','), row);
    CHECK(v.outcome == row_outcome::drop);
    CHECK(v.rule == drop_rule::empty_row);
    CHECK(run(green, ",,", row).rule == drop_rule::empty_row);
}

TEST_CASE("taxi row: unparseable rows are rejected with a reason") {
    static const taxi_layout green = layout_of(test::green_header);
    auto reason = [&](const std::string& line) {
        feature_row row;
        auto owned = split_line(line);
        std::vector<std::string_view> fields(owned.begin(), owned.end());
        auto v = process_row(green, fields, row);
        REQUIRE(v.outcome == row_outcome::reject);
        return describe_reject(v, green, fields);
    };
    auto line = [](auto set) {
        raw_trip t;
        set(t);
        return test::green_row(t);
    };
    CHECK(reason(line([](raw_trip& t) { t.pickup = "2016-13-03 21:02:35"; })) ==
          "malformed datetime in lpepPickupDatetime: '2016-13-03 21:02:35'");
    CHECK(reason(line([](raw_trip& t) { t.dropoff = ""; })) == "missing value in lpepDropoffDatetime");
    CHECK(reason(line([](raw_trip& t) { t.vendor = "two"; })) == "not a number in vendorID: 'two'");
    CHECK(reason(line([](raw_trip& t) { t.passengers = "1.5"; })) == "not an integer in passengerCount: '1.5'");
    CHECK(reason(line([](raw_trip& t) { t.passengers = ""; })) == "missing value in passengerCount");
    CHECK(reason(line([](raw_trip& t) { t.pickup_lat = "40,7"; })) == "long row: 24 fields, header has 23");
    CHECK(reason(line([](raw_trip& t) { t.dropoff_lon = "-73.9x"; })) == "not a number in dropoffLongitude: '-73.9x'");
    CHECK(reason(line([](raw_trip& t) { t.fare = "free"; })) == "not a number in fareAmount: 'free'");
    CHECK(reason(line([](raw_trip& t) { t.distance = "far"; })) == "not a number in tripDistance: 'far'");
    CHECK(reason("2,2016-01-03 21:02:35,2016-01-03 21:05:52,1") == "short row: 4 fields, header has 23");
}

TEST_CASE("taxi row: integers written as floats are accepted") {
    feature_row row;
    raw_trip t;
    t.vendor = "2.0";
    t.passengers = " 1 ";
    REQUIRE(run_green(t, row).outcome == row_outcome::keep);
    CHECK(row.features[feature_index("vendor")] == 2);
    CHECK(row.features[feature_index("passengers")] == 1);
}

TEST_CASE("taxi output: header and number formatting") {
    std::string header;
    append_csv_header(header);
    CHECK(header == test::feature_header + "\n");
    feature_row row;
    row.features.fill(3);
    row.features[feature_index("distance")] = 0.1;
    row.features[feature_index("pickup_latitude")] = 40.0;
    row.cost = 1e21;
    CHECK(csv_of(row) == "0.1,3,3,3,40,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,1e+21\n");
}

TEST_CASE("taxi output: integer features are written as std::to_chars writes them, at every width") {
    // The small-integer pieces (0-99 with their comma) and the general path around them.
    std::vector<long long> values;
    for (long long v = -150; v <= 1150; ++v) values.push_back(v);
    for (long long v : {9999LL, 10000LL, 123456789LL, -123456789LL, 4000000000LL}) values.push_back(v);
    for (long long v : values) {
        feature_row row;
        row.features.fill(static_cast<double>(v));
        row.features[feature_index("distance")] = 0.5;
        row.cost = 7;
        std::string expected;
        for (std::size_t i = 0; i < feature_count; ++i) {
            char buf[32];
            if (i == feature_index("distance")) expected += "0.5";
            else if (is_float_feature(feature_names[i]))
                expected.append(buf, std::to_chars(buf, buf + sizeof buf, static_cast<double>(v)).ptr);
            else expected.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
            expected += ',';
        }
        expected += "7\n";
        if (csv_of(row) != expected) FAIL_CHECK("value " << v << ": " << csv_of(row) << " expected " << expected);
    }
}

TEST_CASE("taxi row: featurize_row serves scoring (no fare column, no cleaning filters)") {
    std::string header = test::rename_column(test::yellow_header, "fareAmount", "otherAmount");
    CHECK_THROWS_WITH(layout_of(header), Catch::Contains("missing column 'fareAmount'"));
    auto layout = taxi_layout::from_header(data::csv_header(split_line(header)), "request", false);
    CHECK_FALSE(layout.has_cost());
    raw_trip t;
    t.pickup_lat = "41.5";  // outside the box: training would drop it, scoring still needs features
    t.distance = ".00";
    auto owned = split_line(test::yellow_row(t));
    std::vector<std::string_view> fields(owned.begin(), owned.end());
    feature_row row;
    REQUIRE(featurize_row(layout, fields, row).outcome == row_outcome::keep);
    CHECK(row.features[feature_index("pickup_latitude")] == 41.5);
    CHECK(row.features[feature_index("distance")] == 0);
    CHECK(row.features[feature_index("pickup_hour")] == 21);
    CHECK(std::isnan(row.cost));
    CHECK(process_row(layout, fields, row).rule == drop_rule::outside_bounding_box);
}

TEST_CASE("taxi output: copying source text gives the same bytes as converting") {
    static const taxi_layout green = layout_of(test::green_header);
    std::vector<raw_trip> trips(6);
    trips[1].fare = "4.50";  // not shortest: must be reformatted
    trips[2].distance = " 2.0 ";
    trips[3].pickup_lat = "40.69383621215820";
    trips[4].fare = "+12.25";
    trips[5].dropoff_lon = "-73.9761123657226562";  // 18 digits, parses to a shorter shortest form
    for (const auto& t : trips) {
        auto owned = split_line(test::green_row(t));
        std::vector<std::string_view> fields(owned.begin(), owned.end());
        feature_row row;
        REQUIRE(process_row(green, fields, row).outcome == row_outcome::keep);
        std::string converted, copied;
        append_csv(converted, row);
        append_csv(copied, row, green, fields);
        CHECK(copied == converted);
    }
}
