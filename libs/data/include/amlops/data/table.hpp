#pragma once
// Loads the numeric feature tables that aml-transform writes (train.csv / test.csv) — or any
// CSV(s) with a header and numeric cells — into a dense row-major float matrix, columns matched
// by name.

#include <filesystem>
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

/// Options for load_numeric_table.
struct table_request {
    std::vector<std::string> feature_columns;  ///< required, matched by header name, any order in the file
    std::string target_column;                 ///< empty: no target; else required in the file
    bool target_optional = false;              ///< true: missing target column is fine (target empty)
};

/// Loads `path`: a CSV file, or a folder meaning every `*.csv` in it (sorted by name, as an
/// Azure ML uri_folder). A missing column -> error(bad_input) naming the column and the file;
/// an unparseable cell -> error(bad_input) naming file, line and column. Uses all cores.
numeric_table load_numeric_table(const std::filesystem::path& path, const table_request& request);

/// The CSV files `path` stands for: itself if a file, else the sorted `*.csv` in the folder.
/// Throws error(not_found) when the path does not exist or the folder has no CSV.
std::vector<std::filesystem::path> csv_files(const std::filesystem::path& path);

}  // namespace amlops::data
