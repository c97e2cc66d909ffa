#pragma once
// Loads the numeric feature tables that aml-transform writes (train.csv / test.csv) — or any
// CSV(s) with a header and numeric cells — into a dense row-major float matrix, columns matched
// by name.

#include "amlops/data/csv.hpp"

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace amlops::data {

/// A dense, row-major table of the requested feature columns plus an optional target column.
struct numeric_table {
    std::vector<std::string> columns;  ///< feature names, in the order requested
    std::vector<float> features;       ///< rows * columns.size(), row-major (xgboost's layout)
    std::vector<double> target;        ///< one per row when a target was requested, else empty
    std::size_t rows = 0;

    std::span<const float> row(std::size_t i) const {
        return {features.data() + i * columns.size(), columns.size()};
    }
};

/// Inclusive bounds a cell must lie in. The default is what a float column can hold, so NaN,
/// infinities and values that would overflow to infinity as float (1e39) never get through.
struct value_bounds {
    double min = -3.4028234663852886e38;  // -FLT_MAX
    double max = 3.4028234663852886e38;
};

/// Options for load_numeric_table.
struct table_request {
    std::vector<std::string> feature_columns;  ///< required, matched by header name, any order in the file
    std::string target_column;                 ///< empty: no target; else required in the file
    bool target_optional = false;              ///< true: missing target column is fine (target empty)
    /// Bounds per feature column (same order); empty: value_bounds{} for every column.
    std::vector<value_bounds> feature_bounds{};
    value_bounds target_bounds{};
};

/// Loads `path`: a CSV file, or a folder meaning every `*.csv` in it (sorted by name, as an
/// Azure ML uri_folder). A missing column -> error(bad_input) naming the column and the file;
/// an unparseable cell -> error(bad_input) naming file, line and column. Uses all cores.
numeric_table load_numeric_table(const std::filesystem::path& path, const table_request& request);

/// A run of whole records of one file of a numeric_table_stream, not parsed yet.
struct table_piece {
    std::size_t file = 0;  ///< index into numeric_table_stream::files()
    csv_chunk chunk;
};

/// A table (file or folder, as load_numeric_table) read in pieces of whole records, for jobs
/// that parse and use the rows on several threads in bounded memory:
///
///     numeric_table_stream in(path, request);
///     run_ordered<item>(workers, n, [&](item& i) { return in.next(i.piece); },
///                       [&](item& i) { in.parse(i.piece, i.rows); use(i.rows); }, write_in_order);
///
/// Every file's header is read and checked by the constructor, so a missing column fails before
/// any row is read (same errors as load_numeric_table).
class numeric_table_stream {
public:
    /// Opens `path` (see csv_files). `chunk_bytes` 0 sizes pieces per file so that both small
    /// and large files split into enough pieces for all cores; otherwise pieces are about that
    /// many bytes (at least one record). Throws error(not_found|io|bad_input).
    numeric_table_stream(const std::filesystem::path& path, const table_request& request, std::size_t chunk_bytes = 0);
    ~numeric_table_stream();
    numeric_table_stream(const numeric_table_stream&) = delete;
    numeric_table_stream& operator=(const numeric_table_stream&) = delete;

    /// True when the rows carry the target column (always for a required target; for an
    /// optional one, when the first file has it, and then every file must).
    bool has_target() const noexcept { return with_target_; }
    const std::vector<std::filesystem::path>& files() const noexcept { return files_; }

    /// Replaces `out` with the next piece, in file order; false at the end. One producer thread.
    bool next(table_piece& out);

    /// Parses `piece` into `out` (replaced: columns = the requested features, target filled
    /// when has_target()). Safe to call from several threads at once. An unparseable cell or a
    /// row of the wrong width -> error(bad_input) naming file, line and column.
    void parse(const table_piece& piece, numeric_table& out) const;

private:
    struct column_plan {
        std::vector<std::size_t> feature_index;  // file column of each requested feature
        std::optional<std::size_t> target_index;
        std::size_t width = 0;  // header size
    };
    table_request request_;
    std::vector<std::filesystem::path> files_;
    std::vector<column_plan> plans_;
    bool with_target_ = false;
    std::size_t chunk_bytes_ = 0;
    std::size_t current_ = 0;
    std::optional<csv_chunker> chunker_;
};

/// The CSV files `path` stands for: itself if a file, else the sorted `*.csv` in the folder.
/// Throws error(not_found) when the path does not exist or the folder has no CSV.
std::vector<std::filesystem::path> csv_files(const std::filesystem::path& path);

}  // namespace amlops::data
