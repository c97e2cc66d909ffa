#include "amlops/datagen/generator.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <future>
#include <numeric>
#include <system_error>

namespace amlops::datagen {
namespace fs = std::filesystem;

namespace {

// ---- tables ---------------------------------------------------------------------------------

constexpr std::array<std::string_view, dirty_kind_count> dirty_names{
    "zero_coordinates", "out_of_box", "zero_distance", "nonpositive_fare", "empty_field",
    "store_flag_zero", "dot_zero_distance", "bad_datetime", "short_row"};

constexpr std::array<double, dirty_kind_count> dirty_weights{0.16, 0.14, 0.14, 0.14, 0.14,
                                                             0.12, 0.10, 0.03, 0.03};

constexpr std::string_view green_header =
    "vendorID,lpepPickupDatetime,lpepDropoffDatetime,passengerCount,tripDistance,puLocationId,"
    "doLocationId,pickupLongitude,pickupLatitude,dropoffLongitude,dropoffLatitude,rateCodeID,"
    "storeAndFwdFlag,paymentType,fareAmount,extra,mtaTax,improvementSurcharge,tipAmount,tollsAmount,"
    "ehailFee,totalAmount,tripType\n";
constexpr std::string_view yellow_header =
    "vendorID,tpepPickupDateTime,tpepDropoffDateTime,passengerCount,tripDistance,puLocationId,"
    "doLocationId,startLon,startLat,endLon,endLat,rateCodeId,storeAndFwdFlag,paymentType,fareAmount,"
    "extra,mtaTax,improvementSurcharge,tipAmount,tollsAmount,totalAmount\n";

// Column positions shared by both schemas (green inserts ehailFee before totalAmount).
constexpr std::size_t col_pickup = 1, col_distance = 4, col_pickup_lon = 7, col_rate = 11,
                      col_store = 12, col_payment = 13, col_tip = 18;

// The cleaning rule's bounding box (docs/TAXI-DATA.md), shrunk a little so float32 rounding of a
// clean coordinate can never land it outside.
constexpr double box_lon_min = -74.085, box_lon_max = -73.725;
constexpr double box_lat_min = 40.535, box_lat_max = 40.875;

// Degrees per mile around 40.75°N.
constexpr double miles_per_deg_lat = 69.05;
constexpr double miles_per_deg_lon = 52.34;

struct hotspot {
    double lon, lat, sd_lon, sd_lat;
    double green_weight, yellow_weight;  // green (boro) taxis may not pick up in Manhattan below 110th St
};
constexpr std::array<hotspot, 8> hotspots{{
    {-73.983, 40.755, 0.012, 0.011, 0.00, 0.44},  // Midtown
    {-74.004, 40.722, 0.010, 0.012, 0.00, 0.20},  // Lower Manhattan
    {-73.966, 40.780, 0.011, 0.012, 0.00, 0.22},  // Upper East/West Side
    {-73.945, 40.808, 0.010, 0.010, 0.27, 0.03},  // Harlem
    {-73.955, 40.690, 0.018, 0.016, 0.36, 0.04},  // Brooklyn
    {-73.905, 40.755, 0.022, 0.012, 0.33, 0.03},  // Queens
    {-73.872, 40.774, 0.003, 0.002, 0.04, 0.03},  // LaGuardia
    {-73.785, 40.645, 0.004, 0.003, 0.00, 0.01},  // JFK
}};

// Relative trip counts per pickup hour, weekdays and weekend days (nights busier, no morning rush).
constexpr std::array<double, 24> weekday_hours{30, 18, 12, 9,  9,  14, 35, 60, 70, 66, 60, 60,
                                               62, 62, 64, 66, 68, 78, 90, 92, 84, 80, 72, 55};
constexpr std::array<double, 24> weekend_hours{70, 60, 48, 36, 24, 14, 12, 18, 28, 42, 55, 62,
                                               66, 66, 66, 64, 64, 66, 70, 70, 66, 66, 68, 66};
// Typical speed (mph) per hour: free-flowing at night, slowest in the rush hours.
constexpr std::array<double, 24> hour_speed{17.0, 17.5, 18.0, 18.0, 18.0, 16.5, 14.0, 10.5,
                                            9.0,  9.5,  10.5, 10.5, 10.5, 10.5, 10.0, 9.5,
                                            9.0,  8.8,  9.2,  10.5, 12.0, 13.0, 14.0, 15.5};
// Relative demand per weekday, Mon..Sun.
constexpr std::array<double, 7> weekday_demand{0.90, 0.97, 1.00, 1.06, 1.12, 1.10, 0.92};

constexpr int jan2016_days = 31;
constexpr int jan1_2016_weekday = 4;  // a Friday (Mon = 0)

int weekday_of(int day_index) { return (jan1_2016_weekday + day_index) % 7; }

// Cumulative weights over (day of January, hour) for the pickup time.
struct time_table {
    std::array<double, jan2016_days * 24> cumulative{};
    time_table() {
        double sum = 0;
        for (int d = 0; d < jan2016_days; ++d) {
            const int wd = weekday_of(d);
            // New Year's Day runs like a Sunday; the blizzard of Jan 23-24 emptied the streets.
            const bool weekend = wd >= 5 || d == 0;
            double demand = weekday_demand[static_cast<std::size_t>(wd)];
            if (d == 22) demand *= 0.35;
            if (d == 23) demand *= 0.7;
            const auto& hours = weekend ? weekend_hours : weekday_hours;
            for (std::size_t h = 0; h < 24; ++h) {
                sum += demand * hours[h];
                cumulative[static_cast<std::size_t>(d) * 24 + h] = sum;
            }
        }
    }
};

const time_table& times() {
    static const time_table table;
    return table;
}

template <std::size_t N>
std::size_t pick(const std::array<double, N>& cumulative, double u) {
    const double x = u * cumulative.back();
    auto it = std::upper_bound(cumulative.begin(), cumulative.end(), x);
    return std::min(static_cast<std::size_t>(it - cumulative.begin()), N - 1);
}

template <std::size_t N>
constexpr std::array<double, N> cumulate(const std::array<double, N>& w) {
    std::array<double, N> c{};
    double s = 0;
    for (std::size_t i = 0; i < N; ++i) c[i] = (s += w[i]);
    return c;
}

constexpr auto dirty_cumulative = cumulate(dirty_weights);

constexpr std::array<double, 8> hotspot_cumulative(bool green) {
    std::array<double, 8> w{};
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = green ? hotspots[i].green_weight : hotspots[i].yellow_weight;
    return cumulate(w);
}
constexpr auto green_hotspots = hotspot_cumulative(true);
constexpr auto yellow_hotspots = hotspot_cumulative(false);

constexpr auto passenger_cumulative = cumulate(std::array<double, 6>{78.0, 11.0, 2.7, 1.3, 4.5, 2.5});
constexpr auto payment_cumulative = cumulate(std::array<double, 4>{57.0, 42.0, 0.7, 0.3});

bool inside_box(double lon, double lat) {
    return lon >= box_lon_min && lon <= box_lon_max && lat >= box_lat_min && lat <= box_lat_max;
}

// ---- formatting (hot path: no streams, no locale) --------------------------------------------

void append_uint(std::string& out, std::uint64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_2digits(std::string& out, int v) {
    out.push_back(static_cast<char>('0' + v / 10));
    out.push_back(static_cast<char>('0' + v % 10));
}

// Money and miles as the published files print them (pandas float repr of a cent amount):
// 450 -> "4.5", 600 -> "6.0", 1236 -> "12.36", -250 -> "-2.5".
void append_cents(std::string& out, std::int64_t cents) {
    if (cents < 0) {
        out.push_back('-');
        cents = -cents;
    }
    append_uint(out, static_cast<std::uint64_t>(cents / 100));
    out.push_back('.');
    const int frac = static_cast<int>(cents % 100);
    if (frac % 10 == 0) out.push_back(static_cast<char>('0' + frac / 10));
    else append_2digits(out, frac);
}

// Coordinates were stored as float32 and printed as the shortest double, e.g. -73.98726654052734.
void append_coordinate(std::string& out, float v) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<double>(v));
    out.append(buf, r.ptr);
    if (std::find_if(buf, r.ptr, [](char c) { return c == '.' || c == 'e'; }) == r.ptr) out.append(".0");
}

// Days per month of 2016 (a leap year); dropoffs may run past January.
constexpr std::array<int, 12> month_days{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

void append_datetime(std::string& out, std::int64_t seconds, date_format f) {
    int day = static_cast<int>(seconds / 86400);
    int month = 0;
    while (month < 11 && day >= month_days[static_cast<std::size_t>(month)]) day -= month_days[static_cast<std::size_t>(month++)];
    const int s = static_cast<int>(seconds % 86400);
    const int hour = s / 3600, minute = s / 60 % 60, second = s % 60;
    if (f == date_format::iso) {
        out.append("2016-");
        append_2digits(out, month + 1);
        out.push_back('-');
        append_2digits(out, day + 1);
        out.push_back(' ');
        append_2digits(out, hour);
        out.push_back(':');
        append_2digits(out, minute);
        out.push_back(':');
        append_2digits(out, second);
    } else {
        append_uint(out, static_cast<std::uint64_t>(month + 1));
        out.push_back('/');
        append_uint(out, static_cast<std::uint64_t>(day + 1));
        out.append("/2016 ");
        append_uint(out, static_cast<std::uint64_t>(hour));
        out.push_back(':');
        append_2digits(out, minute);
    }
}

// ---- editing one already formatted row (dirty rows only, so simplicity beats speed) ----------

// [begin, end) of field `col` of the row starting at `row_start` (the row ends with '\n').
std::pair<std::size_t, std::size_t> field_span(const std::string& out, std::size_t row_start, std::size_t col) {
    std::size_t begin = row_start;
    for (std::size_t c = 0; c < col; ++c) begin = out.find(',', begin) + 1;
    std::size_t end = out.find_first_of(",\n", begin);
    return {begin, end};
}

void replace_field(std::string& out, std::size_t row_start, std::size_t col, std::string_view text) {
    auto [b, e] = field_span(out, row_start, col);
    out.replace(b, e - b, text);
}

// Keeps the first `fields` fields of the row.
void truncate_row(std::string& out, std::size_t row_start, std::size_t fields) {
    out.resize(field_span(out, row_start, fields - 1).second);
    out.push_back('\n');
}

std::int64_t to_cents(double v) { return std::llround(v * 100.0); }

}  // namespace

// ---- names and options --------------------------------------------------------------------

std::string_view to_string(dirty_kind k) noexcept { return dirty_names[static_cast<std::size_t>(k)]; }
std::string_view to_string(taxi_kind k) noexcept { return k == taxi_kind::green ? "green" : "yellow"; }
std::string_view to_string(date_format f) noexcept { return f == date_format::iso ? "iso" : "us"; }

date_format parse_date_format(std::string_view text) {
    if (text == "iso") return date_format::iso;
    if (text == "us") return date_format::us;
    throw error(error_kind::usage, "expected iso or us, got '" + std::string(text) + "'").on_field("--date-format");
}

void validate(const options& o) {
    if (o.rows <= 0)
        throw error(error_kind::usage, "must be a positive number of rows, got " + std::to_string(o.rows)).on_field("--rows");
    // Written as negations so NaN is rejected too.
    if (!(o.dirty_ratio >= 0.0 && o.dirty_ratio <= 1.0))
        throw error(error_kind::usage, "must be in [0, 1], got " + std::to_string(o.dirty_ratio)).on_field("--dirty-ratio");
    if (!(o.green_share >= 0.0 && o.green_share <= 1.0))
        throw error(error_kind::usage, "must be in [0, 1], got " + std::to_string(o.green_share)).on_field("--green-share");
}

row_split split_rows(const options& o) {
    validate(o);
    const auto total = static_cast<std::uint64_t>(o.rows);
    auto green = static_cast<std::uint64_t>(std::llround(static_cast<double>(total) * o.green_share));
    green = std::min(green, total);
    return {green, total - green};
}

const std::array<double, dirty_kind_count>& dirty_kind_weights() noexcept { return dirty_weights; }

std::uint64_t file_stats::dirty_rows() const noexcept {
    return std::accumulate(dirty.begin(), dirty.end(), std::uint64_t{0});
}

std::string_view header(taxi_kind k) noexcept { return k == taxi_kind::green ? green_header : yellow_header; }
std::size_t column_count(taxi_kind k) noexcept { return k == taxi_kind::green ? 23 : 21; }
std::string_view file_name(taxi_kind k) noexcept {
    return k == taxi_kind::green ? "greenTaxiData.csv" : "yellowTaxiData.csv";
}

// ---- the trip model -----------------------------------------------------------------------

struct file_generator::trip {
    std::int64_t pickup = 0;   // seconds since 2016-01-01 00:00:00
    std::int64_t dropoff = 0;
    int vendor = 2;
    int passengers = 1;
    std::int64_t distance = 0;  // hundredths of a mile
    float pickup_lon = 0, pickup_lat = 0, dropoff_lon = 0, dropoff_lat = 0;
    int rate_code = 1;
    char store_flag = 'N';
    int payment = 1;
    std::int64_t fare = 0, extra = 0, mta = 50, improvement = 30, tip = 0, tolls = 0;  // cents
    int trip_type = 1;

    std::int64_t total() const { return fare + extra + mta + improvement + tip + tolls; }
};

file_generator::file_generator(taxi_kind kind, const options& o)
    : kind_(kind), options_(o), rng_(o.seed, kind == taxi_kind::green ? 1 : 2) {
    validate(o);
}

file_generator::trip file_generator::make_trip() {
    trip t;
    auto& r = rng_;

    // When: day and hour by demand, minute and second uniform.
    const std::size_t slot = pick(times().cumulative, r.uniform());
    const int day = static_cast<int>(slot / 24), hour = static_cast<int>(slot % 24);
    t.pickup = static_cast<std::int64_t>(day) * 86400 + hour * 3600 + r.below(3600);
    const bool weekend = weekday_of(day) >= 5;

    // How far: log-normal miles, median 1.8, printed to the hundredth.
    double miles = 1.8 * std::exp(0.85 * r.normal());
    if (miles < 0.1) miles = r.uniform(0.1, 0.3);
    if (miles > 45.0) miles = r.uniform(30.0, 45.0);
    t.distance = std::max<std::int64_t>(1, to_cents(miles));
    miles = static_cast<double>(t.distance) / 100.0;

    // How long: hour-dependent speed, faster on longer trips (highways), plus boarding time.
    double mph = hour_speed[static_cast<std::size_t>(hour)] * (weekend ? 1.12 : 1.0) *
                 std::exp(0.22 * r.normal()) * (1.0 + 0.1 * std::log1p(miles));
    mph = std::clamp(mph, 2.5, 50.0);
    const double minutes = miles / mph * 60.0 + r.uniform(0.3, 1.5);
    t.dropoff = t.pickup + std::max<std::int64_t>(20, std::llround(minutes * 60.0));

    // Where: a hotspot of this taxi colour, then the dropoff moved by the (detoured) distance.
    const auto& spots = kind_ == taxi_kind::green ? green_hotspots : yellow_hotspots;
    const hotspot& h = hotspots[pick(spots, r.uniform())];
    double plon = 0, plat = 0;
    for (int tries = 0; tries < 8; ++tries) {
        plon = h.lon + h.sd_lon * r.normal();
        plat = h.lat + h.sd_lat * r.normal();
        if (inside_box(plon, plat)) break;
    }
    plon = std::clamp(plon, box_lon_min, box_lon_max);
    plat = std::clamp(plat, box_lat_min, box_lat_max);
    const double straight = miles / r.uniform(1.2, 1.45);
    double angle = r.uniform(0.0, 6.283185307179586);
    double dlon = plon, dlat = plat;
    for (int tries = 0; tries < 8; ++tries, angle += 0.7853981633974483) {
        dlon = plon + straight * std::cos(angle) / miles_per_deg_lon;
        dlat = plat + straight * std::sin(angle) / miles_per_deg_lat;
        if (inside_box(dlon, dlat)) break;
    }
    t.pickup_lon = static_cast<float>(plon);
    t.pickup_lat = static_cast<float>(plat);
    t.dropoff_lon = static_cast<float>(std::clamp(dlon, box_lon_min, box_lon_max));
    t.dropoff_lat = static_cast<float>(std::clamp(dlat, box_lat_min, box_lat_max));

    // Who and how they paid.
    t.vendor = r.chance(0.66) ? 2 : 1;
    t.passengers = static_cast<int>(pick(passenger_cumulative, r.uniform())) + 1;
    t.payment = static_cast<int>(pick(payment_cumulative, r.uniform())) + 1;
    const double u_rate = r.uniform();
    t.rate_code = u_rate < 0.985 ? 1 : (u_rate < 0.995 ? 5 : 2);
    t.store_flag = r.chance(0.005) ? 'Y' : 'N';
    t.trip_type = r.chance(0.02) ? 2 : 1;

    // The meter: 2.50 flag drop + 2.50/mile + 0.35/minute, noise, never below the flag drop.
    const double fare = 2.5 + 2.5 * miles + 0.35 * minutes + 0.6 * r.normal();
    t.fare = std::max<std::int64_t>(250, to_cents(fare));
    const bool weekday_peak = !weekend && hour >= 16 && hour < 20;
    t.extra = (hour >= 20 || hour < 6) ? 50 : (weekday_peak ? 100 : 0);
    if (t.payment == 1 && r.chance(0.85)) t.tip = to_cents(static_cast<double>(t.fare) / 100.0 * r.uniform(0.12, 0.28));
    if (r.chance(kind_ == taxi_kind::green ? 0.013 : 0.045)) t.tolls = 554;
    return t;
}

void file_generator::format_trip(const trip& t, std::string& out) const {
    const bool green = kind_ == taxi_kind::green;
    out.push_back(static_cast<char>('0' + t.vendor));
    out.push_back(',');
    append_datetime(out, t.pickup, options_.dates);
    out.push_back(',');
    append_datetime(out, t.dropoff, options_.dates);
    out.push_back(',');
    out.push_back(static_cast<char>('0' + t.passengers));
    out.push_back(',');
    append_cents(out, t.distance);
    out.append(",,,");  // puLocationId, doLocationId are empty in the published data
    append_coordinate(out, t.pickup_lon);
    out.push_back(',');
    append_coordinate(out, t.pickup_lat);
    out.push_back(',');
    append_coordinate(out, t.dropoff_lon);
    out.push_back(',');
    append_coordinate(out, t.dropoff_lat);
    out.push_back(',');
    out.push_back(static_cast<char>('0' + t.rate_code));
    out.push_back(',');
    out.push_back(t.store_flag);
    out.push_back(',');
    out.push_back(static_cast<char>('0' + t.payment));
    for (std::int64_t cents : {t.fare, t.extra, t.mta, t.improvement, t.tip, t.tolls}) {
        out.push_back(',');
        append_cents(out, cents);
    }
    out.append(green ? ",," : ",");  // green: empty ehailFee
    append_cents(out, t.total());
    if (green) out.append(t.trip_type == 1 ? ",1.0" : ",2.0");
    out.push_back('\n');
}

void file_generator::append_row(std::string& out) {
    trip t = make_trip();
    ++stats_.rows;
    if (rng_.chance(options_.dirty_ratio)) {
        append_dirty_row(t, out);
    } else {
        format_trip(t, out);
        ++stats_.kept;
    }
}

void file_generator::append_dirty_row(trip& t, std::string& out) {
    auto& r = rng_;
    const auto kind = static_cast<dirty_kind>(pick(dirty_cumulative, r.uniform()));
    ++stats_.dirty[static_cast<std::size_t>(kind)];
    const std::size_t columns = column_count(kind_);
    const std::size_t col_total = columns - (kind_ == taxi_kind::green ? 2 : 1);
    bool kept = false, malformed = false;

    // Value-level dirt first, then format, then text-level dirt on the formatted row.
    switch (kind) {
    case dirty_kind::zero_coordinates: {
        const auto v = r.below(3);
        if (v != 1) t.pickup_lon = t.pickup_lat = 0.0f;
        if (v != 0) t.dropoff_lon = t.dropoff_lat = 0.0f;
        break;
    }
    case dirty_kind::out_of_box:
        switch (r.below(4)) {
        case 0: t.pickup_lat = static_cast<float>(r.uniform(40.89, 41.05)); break;    // north of the Bronx line
        case 1: t.pickup_lon = static_cast<float>(r.uniform(-74.35, -74.10)); break;  // New Jersey
        case 2: t.dropoff_lat = static_cast<float>(r.uniform(40.89, 41.00)); break;
        default: t.dropoff_lon = static_cast<float>(r.uniform(-73.70, -73.45)); break;  // Long Island
        }
        break;
    case dirty_kind::zero_distance: t.distance = 0; break;
    case dirty_kind::nonpositive_fare:
        if (r.chance(0.3)) {
            t.fare = 0;
        } else {  // a refund line: every charge negated
            t.fare = -t.fare;
            t.extra = -t.extra;
            t.mta = -t.mta;
            t.improvement = -t.improvement;
            t.tip = 0;
        }
        break;
    case dirty_kind::store_flag_zero:
        t.store_flag = '0';
        kept = true;
        break;
    default: break;
    }

    const std::size_t start = out.size();
    format_trip(t, out);

    switch (kind) {
    case dirty_kind::empty_field: {
        // Half of the choices make the row fail the clean rules (missing distance or coordinate),
        // half are harmless (the store flag defaults to N; the rest are not model columns).
        static constexpr std::array<std::size_t, 9> choices{col_distance,       col_pickup_lon,     col_pickup_lon + 1,
                                                            col_pickup_lon + 2, col_pickup_lon + 3, col_store,
                                                            col_payment,        col_rate,           col_tip};
        const std::size_t pick_index = r.below(static_cast<std::uint32_t>(choices.size() + 1));
        const std::size_t col = pick_index < choices.size() ? choices[pick_index] : col_total;
        replace_field(out, start, col, "");
        kept = col >= col_rate;
        break;
    }
    case dirty_kind::dot_zero_distance: replace_field(out, start, col_distance, ".00"); break;
    case dirty_kind::bad_datetime: {
        const bool iso = options_.dates == date_format::iso;
        static constexpr std::array<std::string_view, 5> iso_bad{"2016-13-05 10:11:12", "2016-01-05 25:11:12",
                                                                 "2016-01-32 10:11:12", "2016-01-0", "N/A"};
        static constexpr std::array<std::string_view, 5> us_bad{"13/5/2016 10:11", "1/5/2016 25:11",
                                                                "1/32/2016 10:11", "1/5/20", "N/A"};
        const auto which = r.below(static_cast<std::uint32_t>(iso_bad.size()));
        replace_field(out, start, col_pickup + r.below(2), iso ? iso_bad[which] : us_bad[which]);
        malformed = true;
        break;
    }
    case dirty_kind::short_row:
        // Keep at least the datetimes; drop at least the last column.
        truncate_row(out, start, 3 + r.below(static_cast<std::uint32_t>(columns - 3)));
        malformed = true;
        break;
    default: break;
    }
    if (kept) ++stats_.kept;
    if (malformed) ++stats_.malformed;
}

void file_generator::append_header(std::string& out) const { out.append(header(kind_)); }

void file_generator::append_footer(std::string& out) const {
    if (kind_ == taxi_kind::green) out.push_back('\n');
}

// ---- whole files ----------------------------------------------------------------------------

std::string generate_csv(taxi_kind kind, const options& o, std::uint64_t rows, file_stats* stats) {
    file_generator gen(kind, o);
    std::string out;
    gen.append_header(out);
    for (std::uint64_t i = 0; i < rows; ++i) gen.append_row(out);
    gen.append_footer(out);
    if (stats) *stats = gen.stats();
    return out;
}

namespace {

file_stats write_one(taxi_kind kind, const options& o, std::uint64_t rows, const fs::path& path) {
    // Rows are formatted into a large buffer and handed to the file in few big writes.
    constexpr std::size_t chunk = std::size_t{4} << 20;
    file_generator gen(kind, o);
    atomic_file file(path);
    std::string buf;
    buf.reserve(chunk + 4096);
    gen.append_header(buf);
    for (std::uint64_t i = 0; i < rows; ++i) {
        gen.append_row(buf);
        if (buf.size() >= chunk) {
            file.write(buf);
            buf.clear();
        }
    }
    gen.append_footer(buf);
    file.write(buf);
    file.commit();
    return gen.stats();
}

}  // namespace

generated_files write_taxi_files(const options& o, const fs::path& dir) {
    const row_split split = split_rows(o);
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
        throw error(error_kind::bad_input, "output exists and is not a folder").in_file(dir.string());
    generated_files result;
    result.green_path = dir / file_name(taxi_kind::green);
    result.yellow_path = dir / file_name(taxi_kind::yellow);
    // One file per core; each file has its own PRNG stream, so the bytes do not depend on timing.
    auto yellow = std::async(std::launch::async, write_one, taxi_kind::yellow, o, split.yellow, result.yellow_path);
    result.green = write_one(taxi_kind::green, o, split.green, result.green_path);
    result.yellow = yellow.get();
    return result;
}

}  // namespace amlops::datagen
