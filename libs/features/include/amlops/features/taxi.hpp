#pragma once
// The taxi merge + clean + feature rules of docs/TAXI-DATA.md, one raw row at a time. Pure and
// allocation-free, so the batch transform (millions of rows, many threads) and the online
// scoring server (one request's rows) run exactly the same code:
//
//     auto layout = taxi_layout::from_header(header, file);   // green, yellow or merged
//     feature_row row;
//     row_verdict v = process_row(layout, fields, row);       // keep / drop(rule) / reject(reason)

#include "amlops/data/csv.hpp"
#include "amlops/features/schema.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace amlops::features {

/// The raw layouts accepted, recognised by their pickup-time column.
enum class taxi_schema : std::uint8_t {
    green,   ///< lpepPickupDatetime, pickupLongitude, ... (23 columns, optional transactionID)
    yellow,  ///< tpepPickupDateTime, startLon, ... (21 columns, optional transactionID)
    merged,  ///< already renamed: vendor, pickup_datetime, ... (the prep step's output)
};

/// "green", "yellow" or "merged".
std::string_view to_string(taxi_schema s) noexcept;

/// The 11 columns the merge keeps, under their merged names.
enum class taxi_field : std::uint8_t {
    vendor, pickup_datetime, dropoff_datetime, store_forward, pickup_longitude, pickup_latitude,
    dropoff_longitude, dropoff_latitude, passengers, cost, distance,
};
inline constexpr std::size_t taxi_field_count = 11;

/// Merged name of a field ("pickup_datetime", ...).
std::string_view merged_name(taxi_field f) noexcept;

/// Where the 11 fields are in one file's rows.
class taxi_layout {
public:
    /// Detects the schema from `header` and locates every field. Throws error(bad_input) "missing
    /// column 'fareAmount' (cost) in <file>" for the first absent column, or naming the accepted
    /// pickup-time columns when the schema is not recognised.
    /// With `require_cost` false (scoring raw rows, which have no fare yet) the cost column may
    /// be absent; then has_cost() is false and featurize_row leaves cost NaN.
    static taxi_layout from_header(const data::csv_header& header, const std::filesystem::path& file,
                                   bool require_cost = true);

    taxi_schema schema() const noexcept { return schema_; }
    /// Column index of `f` in a row (absent_column for a missing optional cost column).
    std::size_t column(taxi_field f) const noexcept { return columns_[static_cast<std::size_t>(f)]; }
    /// False when the layout was built with require_cost = false and the file has no cost column.
    bool has_cost() const noexcept { return column(taxi_field::cost) != absent_column; }
    static constexpr std::size_t absent_column = static_cast<std::size_t>(-1);
    /// Name of `f`'s column in this file's header (e.g. "startLon").
    std::string_view source_name(taxi_field f) const noexcept;
    /// Number of header columns; rows must have exactly this many fields.
    std::size_t width() const noexcept { return width_; }

private:
    taxi_schema schema_ = taxi_schema::merged;
    std::array<std::size_t, taxi_field_count> columns_{};
    std::size_t width_ = 0;
};

/// A kept row: the 20 model features in feature_names order, and the target.
struct feature_row {
    std::array<double, feature_count> features{};
    double cost = 0;
    /// Bit i (i < feature_count: features[i]; i == feature_count: cost) set when the row's raw
    /// text for that value already is its shortest form, so that append_csv with the raw fields
    /// can copy it instead of converting the number back to text.
    std::uint32_t text_is_shortest = 0;
};

/// What happened to a raw row.
enum class row_outcome : std::uint8_t { keep, drop, reject };

/// The cleaning rule that dropped a row (docs/TAXI-DATA.md), in the order they are applied.
enum class drop_rule : std::uint8_t {
    empty_row,             ///< every field empty (pandas dropna(how="all"))
    outside_bounding_box,  ///< a coordinate missing or outside the inclusive NYC box
    distance_not_positive, ///< distance <= 0 (missing and ".00" count as 0)
    cost_not_positive,     ///< cost <= 0 or missing
};
inline constexpr std::size_t drop_rule_count = 4;

/// "empty_row", "outside_bounding_box", "distance_not_positive", "cost_not_positive".
std::string_view to_string(drop_rule r) noexcept;

/// Why a row could not be interpreted at all (it is reported, never silently skipped).
enum class reject_reason : std::uint8_t {
    none,
    short_row,           ///< fewer fields than the header
    long_row,            ///< more fields than the header
    missing_value,       ///< vendor, passengers or a datetime is empty
    not_a_number,        ///< a numeric field does not parse
    not_an_integer,      ///< vendor/passengers has a fraction
    malformed_datetime,  ///< not one of the accepted timestamp forms, or an impossible date
    not_finite,          ///< a numeric field is inf, Infinity or NaN (or overflows: 1e309)
    out_of_range,        ///< finite but outside the field's plausible_range_of (e.g. 1e308 miles)
};

/// Outcome of process_row.
struct row_verdict {
    row_outcome outcome = row_outcome::keep;
    drop_rule rule = drop_rule::empty_row;      ///< meaningful when outcome == drop
    reject_reason reason = reject_reason::none; ///< meaningful when outcome == reject
    taxi_field field = taxi_field::vendor;      ///< the offending field, for value-level rejects
};

/// Merges and featurizes one raw row whose fields follow `layout`, without the cleaning filters
/// (for scoring, where every row needs a prediction or a reason why not): every field empty ->
/// drop(empty_row); wrong field count or an unparseable value -> reject; otherwise keep, with
/// missing coordinates and a missing cost as NaN. On keep, `out` holds every feature.
row_verdict featurize_row(const taxi_layout& layout, std::span<const std::string_view> fields,
                          feature_row& out) noexcept;

/// Merges, cleans and featurizes one raw row whose fields follow `layout` (featurize_row, then
/// the cleaning rules; the training data path):
/// - every field empty -> drop(empty_row); wrong field count -> reject;
/// - parse vendor, passengers (integers), both datetimes, coordinates, cost, distance (rejecting
///   values that are present but unparseable);
/// - store_forward: "0"/missing -> N; N -> 0, anything else -> 1;
/// - distance ".00"/missing -> 0; missing coordinates/cost -> NaN, so the rules below drop them;
/// - drop outside the bounding box (inclusive), then distance <= 0, then cost <= 0.
/// On keep, `out` holds the features; otherwise its content is unspecified.
row_verdict process_row(const taxi_layout& layout, std::span<const std::string_view> fields,
                        feature_row& out) noexcept;

/// One-line reason for a rejected row, e.g. "malformed datetime in lpepPickupDatetime: '2016-13-01'"
/// or "short row: 5 fields, header has 23".
std::string describe_reject(const row_verdict& verdict, const taxi_layout& layout,
                            std::span<const std::string_view> fields);

/// Appends "distance,...,dropoff_second,cost\n" (feature_names then target_name).
void append_csv_header(std::string& out);

/// Appends one output line: floats in shortest round-trip form, integer features as integers.
void append_csv(std::string& out, const feature_row& row);

/// Room write_csv needs at `out`: 21 values of at most 32 characters, each with its separator.
inline constexpr std::size_t max_csv_line_bytes = (feature_count + 1) * 33;

/// What append_csv(out, row, layout, fields) appends, written at `out` (max_csv_line_bytes of
/// room); returns the end. For callers that keep their own output buffer.
char* write_csv(char* out, const feature_row& row, const taxi_layout& layout, std::span<const std::string_view> fields);

/// The same bytes as append_csv(out, row), faster: floats flagged in row.text_is_shortest are
/// copied from `fields`, which must be the raw row `row` was made from by
/// process_row/featurize_row with `layout`.
void append_csv(std::string& out, const feature_row& row, const taxi_layout& layout,
                std::span<const std::string_view> fields);

}  // namespace amlops::features
