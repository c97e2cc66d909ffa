#pragma once
// Synthetic NYC-taxi raw data in the two published schemas (docs/TAXI-DATA.md): greenTaxiData.csv
// (23 columns) and yellowTaxiData.csv (21 columns). Trips are January 2016, with realistic
// distances, durations, fares and time-of-day patterns, plus a configurable share of "dirty" rows
// of known kinds so that cleaning, rejection and model quality can be tested at any size.
// Output depends only on the options (own PRNG, no clock): same options, same bytes.

#include "amlops/datagen/random.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace amlops::datagen {

/// Which raw file a row belongs to.
enum class taxi_kind { green, yellow };

/// How datetimes are written: `iso` = `2016-01-03 21:02:35` (azureml-examples copy),
/// `us` = `1/3/2016 21:02` (month/day/year, no seconds; the other published copy).
enum class date_format { iso, us };

/// The kinds of dirt injected into a dirty row; each dirty row has exactly one kind.
enum class dirty_kind : std::uint8_t {
    zero_coordinates,   ///< pickup and/or dropoff coordinates are 0.0          -> dropped by the box rule
    out_of_box,         ///< a coordinate outside the bounding box               -> dropped
    zero_distance,      ///< tripDistance 0.0                                    -> dropped
    nonpositive_fare,   ///< fareAmount 0.0 or negative (a refund line)          -> dropped
    empty_field,        ///< one field empty (distance, a coordinate, store flag or a non-feature column)
    store_flag_zero,    ///< storeAndFwdFlag "0" (means N)                        -> kept
    dot_zero_distance,  ///< tripDistance ".00"                                  -> dropped
    bad_datetime,       ///< a malformed pickup/dropoff datetime                 -> a parser must reject it
    short_row,          ///< fewer fields than the header                        -> a parser must reject it
};
inline constexpr std::size_t dirty_kind_count = 9;

/// Stable snake_case name of a kind (as in the JSON result).
std::string_view to_string(dirty_kind k) noexcept;
/// "green" or "yellow".
std::string_view to_string(taxi_kind k) noexcept;
/// "iso" or "us".
std::string_view to_string(date_format f) noexcept;
/// Parses "iso" / "us"; throws error(usage) on anything else.
date_format parse_date_format(std::string_view text);

/// What to generate.
struct options {
    std::int64_t rows = 0;        ///< total rows over both files, > 0
    std::uint64_t seed = 42;      ///< PRNG seed
    double dirty_ratio = 0.02;    ///< share of dirty rows, in [0, 1]
    double green_share = 0.5;     ///< share of rows in the green file, in [0, 1]
    date_format dates = date_format::iso;
};

/// Throws error(usage), naming the offending flag, unless rows > 0 and both ratios are in [0, 1].
void validate(const options& o);

/// Rows per file: green = round(rows * green_share), yellow = the rest.
struct row_split {
    std::uint64_t green = 0;
    std::uint64_t yellow = 0;
};
row_split split_rows(const options& o);

/// Share of the dirty rows given to each kind (sums to 1). The malformed kinds (bad_datetime,
/// short_row) together get 6%, below 1/10, so that with the default dirty ratio 0.02 a transform
/// with max-reject-ratio 0.01 still accepts the data.
const std::array<double, dirty_kind_count>& dirty_kind_weights() noexcept;

/// Counts of what one file contains.
struct file_stats {
    std::uint64_t rows = 0;                                 ///< data rows (header and blank line excluded)
    std::array<std::uint64_t, dirty_kind_count> dirty{};    ///< dirty rows per kind
    std::uint64_t kept = 0;       ///< rows the docs/TAXI-DATA.md merge+clean rules keep
    std::uint64_t malformed = 0;  ///< rows a strict parser must reject (bad datetime, short row)

    /// Total dirty rows.
    std::uint64_t dirty_rows() const noexcept;
};

/// Header line of a file, with its trailing '\n'.
std::string_view header(taxi_kind k) noexcept;
/// Number of columns of a file: 23 green, 21 yellow.
std::size_t column_count(taxi_kind k) noexcept;
/// "greenTaxiData.csv" or "yellowTaxiData.csv".
std::string_view file_name(taxi_kind k) noexcept;

/// Streams the rows of one file. Each file uses its own PRNG stream derived from the seed, so the
/// two files can be generated independently (and in parallel) with the same result.
class file_generator {
public:
    /// Throws error(usage) if `o` is invalid (see validate()).
    file_generator(taxi_kind kind, const options& o);

    /// Appends the header line.
    void append_header(std::string& out) const;
    /// Appends one data row (ending in '\n') and counts it in stats().
    void append_row(std::string& out);
    /// Appends what follows the last row: the green file ends with a blank line, as published.
    void append_footer(std::string& out) const;

    const file_stats& stats() const noexcept { return stats_; }

private:
    struct trip;
    trip make_trip();
    void format_trip(const trip& t, std::string& out) const;
    void append_dirty_row(trip& t, std::string& out);

    taxi_kind kind_;
    options options_;
    xoshiro256 rng_;
    file_stats stats_;
};

/// A whole file in memory: header, `rows` rows, footer. For tests and small samples.
std::string generate_csv(taxi_kind kind, const options& o, std::uint64_t rows, file_stats* stats = nullptr);

/// The result of write_taxi_files().
struct generated_files {
    std::filesystem::path green_path;
    std::filesystem::path yellow_path;
    file_stats green;
    file_stats yellow;
};

/// Writes greenTaxiData.csv and yellowTaxiData.csv into `dir` (created if needed), atomically,
/// the two files in parallel. Throws error(usage) for invalid options, error(io) on write failure.
generated_files write_taxi_files(const options& o, const std::filesystem::path& dir);

}  // namespace amlops::datagen
