#pragma once
// The batch transform behind aml-transform: raw green/yellow/merged taxi CSVs in, train.csv,
// test.csv, rejects.csv and transform_report.json out. Streams in bounded memory (chunks parsed
// on all cores, written in input order), so any input size works.

#include "amlops/core/json.hpp"
#include "amlops/features/taxi.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace amlops::features {

/// Row accounting, per input and in total. rows_read = kept + rejected + sum(dropped).
struct row_counts {
    std::uint64_t rows_read = 0;                           ///< records after the header (blank lines skipped)
    std::array<std::uint64_t, drop_rule_count> dropped{};  ///< by drop_rule
    std::uint64_t rejected = 0;                            ///< unparseable rows (listed in rejects.csv)
    std::uint64_t kept = 0;                                ///< = train + test
    std::uint64_t train = 0;
    std::uint64_t test = 0;

    row_counts& operator+=(const row_counts& o) noexcept;
};

/// One input file as read.
struct input_summary {
    std::filesystem::path path;
    taxi_schema schema = taxi_schema::merged;
    std::uint64_t bytes = 0;
    std::string sha256;  ///< of the file's bytes as read; empty unless transform_options::hash_inputs
    row_counts counts;
};

/// One written output file.
struct output_summary {
    std::filesystem::path path;
    std::string sha256;
    std::uint64_t rows = 0;  ///< data rows (header excluded)
    std::uint64_t bytes = 0;
};

/// Everything transform_report.json records.
struct transform_summary {
    std::vector<input_summary> inputs;
    row_counts totals;
    output_summary train, test, rejects;
    double test_ratio = 0;
    std::uint64_t seed = 0;
    double max_reject_ratio = 0;
    double seconds = 0;  ///< wall time from start to the report
    std::string status = "ok";  ///< "ok", or "failed" (too many rejects: no train/test written)
    std::string failure;        ///< why the run failed, empty when ok
};

/// Settings of one run.
struct transform_options {
    double test_ratio = 0.2;         ///< share of kept rows in test.csv, in [0, 1]
    std::uint64_t seed = 42;         ///< split seed (see split.hpp)
    double max_reject_ratio = 0.01;  ///< fail when rejected / rows_read exceeds this, in [0, 1]
    unsigned workers = 0;            ///< parsing threads; 0 = one per core
    std::size_t chunk_bytes = std::size_t{1024} << 10;  ///< bytes per parallel work unit
    /// Hash every input (input_summary::sha256, the report's inputs[].sha256). Off by default:
    /// SHA-256 of the inputs was ~12% of a run's CPU and nothing reads it (the pipeline runner
    /// digests step inputs itself for reuse); the outputs are always hashed.
    bool hash_inputs = false;
    /// Folders for train.csv / test.csv when they must not share the output folder (Azure ML
    /// pipelines bind each to its own uri_folder output); empty = the output folder.
    std::filesystem::path train_dir, test_dir;
    /// Clock for the report's "seconds" (injectable so tests can pin it).
    std::function<std::chrono::steady_clock::time_point()> clock = [] { return std::chrono::steady_clock::now(); };
    /// Called after each input file is fully processed (e.g. to log progress). Optional.
    std::function<void(const input_summary&)> on_input_done;
};

/// Transforms `inputs` (files, or folders meaning their sorted *.csv; processed in the given
/// order) into `output_dir`: train.csv and test.csv (header: the 20 features then cost),
/// rejects.csv (file,line,reason) and transform_report.json, each written atomically.
///
/// Every header is checked before any row is read: a missing or duplicated column ->
/// error(bad_input) naming the column and the file. Options out of range -> error(usage). No
/// data rows at all (header-only inputs) -> error(bad_input), nothing written.
/// The outputs are one set (core/output_set.hpp): replaced together, report last, or left as
/// they were when the run throws before committing. When rejected / rows_read exceeds
/// max_reject_ratio, overall or for any single input, the set is replaced by the failure:
/// rejects.csv and the report (status "failed"), previous train/test removed; then
/// error(bad_input) says how many rows were rejected (naming the file for a per-input breach)
/// and where rejects.csv is. I/O failures -> error(not_found|io), outputs untouched.
transform_summary run_transform(const std::vector<std::filesystem::path>& inputs,
                                const std::filesystem::path& output_dir, const transform_options& options);

/// The report document (what transform_report.json holds).
json::value to_json(const transform_summary& summary);

}  // namespace amlops::features
