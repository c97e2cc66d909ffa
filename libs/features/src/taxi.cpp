#include "amlops/features/taxi.hpp"

#include "amlops/core/error.hpp"
#include "amlops/data/numbers.hpp"
#include "amlops/features/datetime.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

namespace amlops::features {

namespace {

constexpr std::size_t schema_count = 3;

// Column names per field: green, yellow, merged (docs/TAXI-DATA.md rename table).
constexpr std::array<std::array<std::string_view, schema_count>, taxi_field_count> source_names{{
    {"vendorID", "vendorID", "vendor"},
    {"lpepPickupDatetime", "tpepPickupDateTime", "pickup_datetime"},
    {"lpepDropoffDatetime", "tpepDropoffDateTime", "dropoff_datetime"},
    {"storeAndFwdFlag", "storeAndFwdFlag", "store_forward"},
    {"pickupLongitude", "startLon", "pickup_longitude"},
    {"pickupLatitude", "startLat", "pickup_latitude"},
    {"dropoffLongitude", "endLon", "dropoff_longitude"},
    {"dropoffLatitude", "endLat", "dropoff_latitude"},
    {"passengerCount", "passengerCount", "passengers"},
    {"fareAmount", "fareAmount", "cost"},
    {"tripDistance", "tripDistance", "distance"},
}};

// The published copies differ in the case of one letter ("*PickupDate[tT]ime"); accept both.
constexpr std::array<std::string_view, schema_count> alternate_pickup{"lpepPickupDateTime", "tpepPickupDatetime", ""};
constexpr std::array<std::string_view, schema_count> alternate_dropoff{"lpepDropoffDateTime", "tpepDropoffDatetime", ""};

constexpr std::size_t idx(taxi_field f) { return static_cast<std::size_t>(f); }

// Output positions, resolved at compile time from the shared schema so a reordering there can
// never silently shuffle columns here.
constexpr std::size_t at(std::string_view name) {
    std::size_t i = feature_index(name);
    if (i == feature_count) throw "unknown feature name";  // compile-time failure
    return i;
}
constexpr std::size_t f_distance = at("distance"), f_dropoff_lat = at("dropoff_latitude"),
                      f_dropoff_lon = at("dropoff_longitude"), f_passengers = at("passengers"),
                      f_pickup_lat = at("pickup_latitude"), f_pickup_lon = at("pickup_longitude"),
                      f_store_forward = at("store_forward"), f_vendor = at("vendor");
constexpr std::array<std::size_t, 6> f_pickup_parts{at("pickup_weekday"), at("pickup_month"), at("pickup_monthday"),
                                                    at("pickup_hour"),    at("pickup_minute"), at("pickup_second")};
constexpr std::array<std::size_t, 6> f_dropoff_parts{at("dropoff_weekday"), at("dropoff_month"), at("dropoff_monthday"),
                                                     at("dropoff_hour"),    at("dropoff_minute"), at("dropoff_second")};

constexpr std::array<bool, feature_count> float_features = [] {
    std::array<bool, feature_count> a{};
    for (std::size_t i = 0; i < feature_count; ++i) a[i] = is_float_feature(feature_names[i]);
    return a;
}();

// The published bounding box (inclusive; -74.72 for the dropoff longitude as published).
constexpr double pickup_lon_min = -74.09, pickup_lon_max = -73.72;
constexpr double dropoff_lon_min = -74.72, dropoff_lon_max = -73.72;
constexpr double lat_min = 40.53, lat_max = 40.88;

row_verdict reject(reject_reason r, taxi_field f) noexcept {
    row_verdict v;
    v.outcome = row_outcome::reject;
    v.reason = r;
    v.field = f;
    return v;
}

row_verdict drop(drop_rule r) noexcept {
    row_verdict v;
    v.outcome = row_outcome::drop;
    v.rule = r;
    return v;
}

// Plausible bounds per raw field, under its merged name (schema.hpp: one rule for every tool).
constexpr std::array<plausible_range, taxi_field_count> field_ranges = [] {
    std::array<plausible_range, taxi_field_count> a{};
    for (std::size_t f = 0; f < taxi_field_count; ++f) a[f] = plausible_range_of(source_names[f][2]);
    return a;
}();

// Every parsed number passes here: non-finite text ("inf", "NaN", "1e309") and implausible
// magnitudes ("1e308") are rejected rows, never features.
reject_reason check_value(double v, std::size_t field) noexcept {
    if (!std::isfinite(v)) return reject_reason::not_finite;
    return field_ranges[field].contains(v) ? reject_reason::none : reject_reason::out_of_range;
}

// A present-or-missing float: missing becomes NaN (so the filters drop it, as in pandas).
// Records in row.text_is_shortest whether the text can be copied to the output as is.
[[gnu::always_inline]] inline reject_reason optional_number(std::string_view cell, double& out, feature_row& row, std::size_t bit,
                              taxi_field field) noexcept {
    if (data::trim(cell).empty()) {
        out = std::numeric_limits<double>::quiet_NaN();
        return reject_reason::none;
    }
    bool shortest;
    if (!data::parse_double(cell, out, shortest))
        return data::is_overflowing_number(cell) ? reject_reason::not_finite : reject_reason::not_a_number;
    if (auto r = check_value(out, idx(field)); r != reject_reason::none) return r;
    if (shortest) row.text_is_shortest |= std::uint32_t{1} << bit;
    return reject_reason::none;
}

// A required integer; accepts "2" and "2.0" (some exports write integers as floats).
[[gnu::always_inline]] inline reject_reason required_integer(std::string_view cell, double& out, taxi_field field) noexcept {
    // A lone digit (vendor, passengers: nearly every row) is an exact small integer, so only the
    // range check of the general path below can say no.
    if (cell.size() == 1 && static_cast<unsigned char>(cell[0] - '0') < 10) {
        out = cell[0] - '0';
        return field_ranges[idx(field)].contains(out) ? reject_reason::none : reject_reason::out_of_range;
    }
    if (data::trim(cell).empty()) return reject_reason::missing_value;
    if (!data::parse_double(cell, out))
        return data::is_overflowing_number(cell) ? reject_reason::not_finite : reject_reason::not_a_number;
    if (auto r = check_value(out, idx(field)); r != reject_reason::none) return r;
    if (out != std::trunc(out)) return reject_reason::not_an_integer;
    return reject_reason::none;
}

// Parses first: a blank cell never parses, so only a refused one needs the (out-of-line) trim
// that tells "missing" from "malformed" (two calls per row saved).
reject_reason required_datetime(std::string_view cell, datetime_parts& out) noexcept {
    if (parse_datetime(cell, out)) return reject_reason::none;
    return data::trim(cell).empty() ? reject_reason::missing_value : reject_reason::malformed_datetime;
}

[[gnu::always_inline]] inline void store_parts(feature_row& row, const std::array<std::size_t, 6>& at_pos,
                                            const datetime_parts& t) noexcept {
    row.features[at_pos[0]] = t.weekday;
    row.features[at_pos[1]] = t.month;
    row.features[at_pos[2]] = t.monthday;
    row.features[at_pos[3]] = t.hour;
    row.features[at_pos[4]] = t.minute;
    row.features[at_pos[5]] = t.second;
}

}  // namespace

std::string_view to_string(taxi_schema s) noexcept {
    switch (s) {
    case taxi_schema::green: return "green";
    case taxi_schema::yellow: return "yellow";
    case taxi_schema::merged: return "merged";
    }
    return "merged";
}

std::string_view merged_name(taxi_field f) noexcept { return source_names[idx(f)][2]; }

std::string_view to_string(drop_rule r) noexcept {
    switch (r) {
    case drop_rule::empty_row: return "empty_row";
    case drop_rule::outside_bounding_box: return "outside_bounding_box";
    case drop_rule::distance_not_positive: return "distance_not_positive";
    case drop_rule::cost_not_positive: return "cost_not_positive";
    }
    return "empty_row";
}

taxi_layout taxi_layout::from_header(const data::csv_header& header, const std::filesystem::path& file,
                                     bool require_cost) {
    taxi_layout layout;
    layout.width_ = header.size();
    std::size_t s = schema_count;
    for (std::size_t k = 0; k < schema_count && s == schema_count; ++k) {
        const auto pickup = idx(taxi_field::pickup_datetime);
        if (header.find(source_names[pickup][k]) || (!alternate_pickup[k].empty() && header.find(alternate_pickup[k])))
            s = k;
    }
    if (s == schema_count)
        throw error(error_kind::bad_input,
                    "unrecognised taxi data: no pickup time column (lpepPickupDatetime for green, tpepPickupDateTime "
                    "for yellow, pickup_datetime for merged data) in " + file.string())
            .in_file(file.string())
            .on_field("pickup_datetime");
    layout.schema_ = static_cast<taxi_schema>(s);
    for (std::size_t f = 0; f < taxi_field_count; ++f) {
        std::string_view name = source_names[f][s];
        // Unique: with a name twice, "first wins" would read the wrong column for every row.
        auto found = header.find_unique(name, file);
        if (!found && f == idx(taxi_field::pickup_datetime)) found = header.find_unique(alternate_pickup[s], file);
        if (!found && f == idx(taxi_field::dropoff_datetime)) found = header.find_unique(alternate_dropoff[s], file);
        if (!found && f == idx(taxi_field::cost) && !require_cost) {
            layout.columns_[f] = absent_column;
            continue;
        }
        if (!found) {
            std::string what = "missing column '" + std::string(name) + "'";
            if (name != source_names[f][2]) what += " (" + std::string(source_names[f][2]) + ")";
            throw error(error_kind::bad_input, what + " in " + std::string(to_string(layout.schema_)) + " taxi file " +
                                                   file.string())
                .in_file(file.string())
                .on_field(std::string(name));
        }
        layout.columns_[f] = *found;
    }
    return layout;
}

std::string_view taxi_layout::source_name(taxi_field f) const noexcept {
    return source_names[idx(f)][static_cast<std::size_t>(schema_)];
}

row_verdict featurize_row(const taxi_layout& layout, std::span<const std::string_view> fields,
                          feature_row& out) noexcept {
    // Stops at the first non-empty field (nearly always the first).
    if (std::all_of(fields.begin(), fields.end(), [](std::string_view f) { return f.empty(); }))
        return drop(drop_rule::empty_row);
    if (fields.size() < layout.width()) return reject(reject_reason::short_row, taxi_field::vendor);
    if (fields.size() > layout.width()) return reject(reject_reason::long_row, taxi_field::vendor);
    auto cell = [&](taxi_field f) { return fields[layout.column(f)]; };
    auto& x = out.features;
    out.text_is_shortest = 0;

    reject_reason r;
    if ((r = required_integer(cell(taxi_field::vendor), x[f_vendor], taxi_field::vendor)) != reject_reason::none)
        return reject(r, taxi_field::vendor);
    datetime_parts pickup, dropoff;
    if ((r = required_datetime(cell(taxi_field::pickup_datetime), pickup)) != reject_reason::none)
        return reject(r, taxi_field::pickup_datetime);
    if ((r = required_datetime(cell(taxi_field::dropoff_datetime), dropoff)) != reject_reason::none)
        return reject(r, taxi_field::dropoff_datetime);
    auto number = [&](taxi_field f, double& value, std::size_t bit) __attribute__((always_inline)) {
        return optional_number(cell(f), value, out, bit, f);
    };
    if ((r = number(taxi_field::pickup_longitude, x[f_pickup_lon], f_pickup_lon)) != reject_reason::none)
        return reject(r, taxi_field::pickup_longitude);
    if ((r = number(taxi_field::pickup_latitude, x[f_pickup_lat], f_pickup_lat)) != reject_reason::none)
        return reject(r, taxi_field::pickup_latitude);
    if ((r = number(taxi_field::dropoff_longitude, x[f_dropoff_lon], f_dropoff_lon)) != reject_reason::none)
        return reject(r, taxi_field::dropoff_longitude);
    if ((r = number(taxi_field::dropoff_latitude, x[f_dropoff_lat], f_dropoff_lat)) != reject_reason::none)
        return reject(r, taxi_field::dropoff_latitude);
    if ((r = required_integer(cell(taxi_field::passengers), x[f_passengers], taxi_field::passengers)) !=
        reject_reason::none)
        return reject(r, taxi_field::passengers);
    if (!layout.has_cost()) out.cost = std::numeric_limits<double>::quiet_NaN();
    else if ((r = number(taxi_field::cost, out.cost, feature_count)) != reject_reason::none)
        return reject(r, taxi_field::cost);

    x[f_distance] = 0;
    std::string_view distance_text = data::trim(cell(taxi_field::distance));
    // Spelled out: string_view's operator!= is a memcmp call here (1% of a transform).
    const bool zero_text = distance_text.size() == 3 && distance_text[0] == '.' && distance_text[1] == '0' &&
                           distance_text[2] == '0';
    if (!distance_text.empty() && !zero_text &&
        (r = number(taxi_field::distance, x[f_distance], f_distance)) != reject_reason::none)
        return reject(r, taxi_field::distance);

    std::string_view flag = data::trim(cell(taxi_field::store_forward));
    x[f_store_forward] = (flag.empty() || (flag.size() == 1 && (flag[0] == '0' || flag[0] == 'N'))) ? 0.0 : 1.0;
    store_parts(out, f_pickup_parts, pickup);
    store_parts(out, f_dropoff_parts, dropoff);
    return row_verdict{};
}

row_verdict process_row(const taxi_layout& layout, std::span<const std::string_view> fields,
                        feature_row& out) noexcept {
    row_verdict v = featurize_row(layout, fields, out);
    if (v.outcome != row_outcome::keep) return v;
    const auto& x = out.features;
    // Comparisons with NaN are false, so missing coordinates fall outside the box.
    if (!(x[f_pickup_lon] >= pickup_lon_min && x[f_pickup_lon] <= pickup_lon_max && x[f_pickup_lat] >= lat_min &&
          x[f_pickup_lat] <= lat_max && x[f_dropoff_lon] >= dropoff_lon_min && x[f_dropoff_lon] <= dropoff_lon_max &&
          x[f_dropoff_lat] >= lat_min && x[f_dropoff_lat] <= lat_max))
        return drop(drop_rule::outside_bounding_box);
    if (!(x[f_distance] > 0)) return drop(drop_rule::distance_not_positive);
    if (!(out.cost > 0)) return drop(drop_rule::cost_not_positive);
    return v;
}

std::string describe_reject(const row_verdict& verdict, const taxi_layout& layout,
                            std::span<const std::string_view> fields) {
    switch (verdict.reason) {
    case reject_reason::short_row:
    case reject_reason::long_row:
        return std::string(verdict.reason == reject_reason::short_row ? "short row: " : "long row: ") +
               std::to_string(fields.size()) + " fields, header has " + std::to_string(layout.width());
    default: break;
    }
    std::string what;
    switch (verdict.reason) {
    case reject_reason::missing_value: what = "missing value"; break;
    case reject_reason::not_a_number: what = "not a number"; break;
    case reject_reason::not_an_integer: what = "not an integer"; break;
    case reject_reason::malformed_datetime: what = "malformed datetime"; break;
    case reject_reason::not_finite: what = "not a finite number"; break;
    case reject_reason::out_of_range: {
        const auto range = field_ranges[idx(verdict.field)];
        what = "out of range [";
        data::append_double(what, range.min);
        what += ", ";
        data::append_double(what, range.max);
        what += "]";
        break;
    }
    default: what = "rejected"; break;
    }
    what += " in ";
    what += layout.source_name(verdict.field);
    std::size_t col = layout.column(verdict.field);
    if (col < fields.size() && !fields[col].empty()) {
        what += ": '";
        what += data::printable_excerpt(fields[col], 60);
        what += "'";
    }
    return what;
}

void append_csv_header(std::string& out) {
    for (auto name : feature_names) {
        out += name;
        out += ',';
    }
    out += target_name;
    out += '\n';
}

namespace {

// The raw field each float feature is parsed from (vendor marks "none": integer features).
constexpr std::array<taxi_field, feature_count> float_sources = [] {
    std::array<taxi_field, feature_count> a{};
    a.fill(taxi_field::vendor);
    a[f_distance] = taxi_field::distance;
    a[f_pickup_lon] = taxi_field::pickup_longitude;
    a[f_pickup_lat] = taxi_field::pickup_latitude;
    a[f_dropoff_lon] = taxi_field::dropoff_longitude;
    a[f_dropoff_lat] = taxi_field::dropoff_latitude;
    return a;
}();
static_assert([] {
    for (std::size_t i = 0; i < feature_count; ++i)
        if (float_features[i] != (float_sources[i] != taxi_field::vendor)) return false;
    return true;
}(), "every float feature needs its source field");

// Writes float i (i == feature_count: cost): the text `copy(i)` gives, or the number converted
// when that is empty.
template <class Copy>
[[gnu::always_inline]] inline char* put_float(char* p, std::size_t i, double v, Copy& copy) {
    std::string_view text = copy(i);
    const std::size_t n = text.size();
    if (n == 0 || n > data::max_number_chars) return data::format_double(p, v);
    // Copies of 1-32 bytes as two fixed-size, possibly overlapping copies within the text (the
    // compiler makes each a load and a store), instead of a memcpy call per value.
    const char* s = text.data();
    if (n >= 16) {
        std::memcpy(p, s, 16);
        std::memcpy(p + n - 16, s + n - 16, 16);
    } else if (n >= 8) {
        std::memcpy(p, s, 8);
        std::memcpy(p + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        std::memcpy(p, s, 4);
        std::memcpy(p + n - 4, s + n - 4, 4);
    } else {
        p[0] = s[0];
        p[n / 2] = s[n / 2];
        p[n - 1] = s[n - 1];
    }
    return p + n;
}

// "0," ... "99," as 4-byte pieces whose last byte holds the piece's length: an integer feature
// below 100 (every time part, nearly every count) is one 4-byte copy and an add, with no branch on
// its number of digits. The byte past the piece is scratch: the next value overwrites it.
struct int_piece {
    char text[3];
    std::uint8_t length;
};
constexpr std::array<int_piece, 100> int_pieces = [] {
    std::array<int_piece, 100> t{};
    for (int i = 0; i < 100; ++i) {
        if (i < 10) t[static_cast<std::size_t>(i)] = {{static_cast<char>('0' + i), ',', 0}, 2};
        else t[static_cast<std::size_t>(i)] = {{static_cast<char>('0' + i / 10), static_cast<char>('0' + i % 10), ','}, 3};
    }
    return t;
}();
static_assert(sizeof(int_piece) == 4);

// Integer feature `v` and its comma (what format_int writes, then ',').
[[gnu::always_inline]] inline char* put_int_and_comma(char* p, double v) noexcept {
    const auto i = static_cast<std::int64_t>(v);
    if (static_cast<std::uint64_t>(i) < int_pieces.size()) {
        const int_piece& piece = int_pieces[static_cast<std::size_t>(i)];
        std::memcpy(p, &piece, sizeof piece);
        return p + piece.length;
    }
    p = data::format_int(p, i);
    *p = ',';
    return p + 1;
}

// One feature and its comma; unrolled over the compile-time column list, so each column is
// straight-line code of its own kind (no per-column float/int test, no loop).
template <std::size_t I, class Copy>
char* put_feature(char* p, const feature_row& row, Copy& copy) {
    if constexpr (!float_features[I]) return put_int_and_comma(p, row.features[I]);
    p = put_float(p, I, row.features[I], copy);
    *p = ',';
    return p + 1;
}

template <class Copy, std::size_t... I>
char* put_features(char* p, const feature_row& row, Copy& copy, std::index_sequence<I...>) {
    ((p = put_feature<I>(p, row, copy)), ...);
    return p;
}

// Writes one line at `p` (at most max_csv_line_bytes); `copy(i)` gives the text to copy for
// float i (i == feature_count: cost), or an empty view to convert the number.
template <class Copy>
char* write_line(char* p, const feature_row& row, Copy&& copy) {
    p = put_features(p, row, copy, std::make_index_sequence<feature_count>{});
    p = put_float(p, feature_count, row.cost, copy);
    *p++ = '\n';
    return p;
}

// Every value has max_number_chars + 1 bytes of room, so an int_piece's scratch byte (4 bytes
// written, at most 3 kept) lands in the room of the value after it (the last feature is followed
// by the cost).
static_assert(max_csv_line_bytes >= (feature_count + 1) * (data::max_number_chars + 1));

}  // namespace

void append_csv(std::string& out, const feature_row& row) {
    char buf[max_csv_line_bytes];
    out.append(buf, write_line(buf, row, [](std::size_t) { return std::string_view{}; }));
}

char* write_csv(char* out, const feature_row& row, const taxi_layout& layout,
                std::span<const std::string_view> fields) {
    return write_line(out, row, [&](std::size_t i) {
        if (!(row.text_is_shortest >> i & 1)) return std::string_view{};
        std::size_t col = layout.column(i == feature_count ? taxi_field::cost : float_sources[i]);
        return col < fields.size() ? data::trim(fields[col]) : std::string_view{};
    });
}

void append_csv(std::string& out, const feature_row& row, const taxi_layout& layout,
                std::span<const std::string_view> fields) {
    char buf[max_csv_line_bytes];
    out.append(buf, write_csv(buf, row, layout, fields));
}

}  // namespace amlops::features
