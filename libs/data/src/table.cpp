#include "amlops/data/table.hpp"

#include "amlops/core/error.hpp"
#include "amlops/data/csv.hpp"
#include "amlops/data/numbers.hpp"
#include "amlops/data/pipeline.hpp"

#include <algorithm>

namespace amlops::data {
namespace fs = std::filesystem;

std::vector<fs::path> csv_files(const fs::path& path) {
    std::error_code ec;
    auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) throw error(error_kind::not_found, "no such file or folder").in_file(path.string());
    if (!fs::is_directory(status)) return {path};
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
        if (entry.path().extension() == ".csv" && !entry.is_directory()) files.push_back(entry.path());
    }
    if (ec) throw error(error_kind::io, "cannot list folder: " + ec.message()).in_file(path.string());
    if (files.empty()) throw error(error_kind::not_found, "folder contains no *.csv file").in_file(path.string());
    std::sort(files.begin(), files.end());
    return files;
}

namespace {

// One chunk of one file on its way through the pipeline.
struct table_chunk {
    csv_chunk input;
    std::vector<float> features;
    std::vector<double> target;
    std::size_t rows = 0;
};

struct column_plan {
    std::vector<std::size_t> feature_index;  // file column of each requested feature
    std::optional<std::size_t> target_index;
    std::size_t width = 0;                   // header size
};

column_plan plan_columns(const csv_header& header, const table_request& request, bool with_target,
                         const fs::path& file) {
    column_plan plan;
    plan.width = header.size();
    for (const auto& name : request.feature_columns) plan.feature_index.push_back(header.require(name, file));
    if (with_target) plan.target_index = header.require(request.target_column, file);
    return plan;
}

[[noreturn]] void bad_cell(const fs::path& file, const csv_record& rec, const std::string& column,
                           std::string_view cell) {
    std::string what = cell.empty() ? std::string("empty cell, expected a number")
                                    : "not a number: '" + std::string(cell.substr(0, 40)) + "'";
    throw error(error_kind::bad_input, what + " (column '" + column + "')")
        .in_file(file.string())
        .at_line(rec.line())
        .on_field(column);
}

void parse_chunk(table_chunk& chunk, const column_plan& plan, const table_request& request, const fs::path& file) {
    chunk.features.clear();
    chunk.target.clear();
    chunk.rows = 0;
    csv_parser parser;
    csv_record rec;
    parser.reset(chunk.input.text, chunk.input.first_line, true);
    const std::size_t cols = plan.feature_index.size();
    while (parser.next(rec) == csv_status::record) {
        if (!rec.problem().empty())
            throw error(error_kind::bad_input, std::string(rec.problem())).in_file(file.string()).at_line(rec.line());
        if (rec.size() != plan.width)
            throw error(error_kind::bad_input, "expected " + std::to_string(plan.width) + " fields, found " +
                                                   std::to_string(rec.size()))
                .in_file(file.string())
                .at_line(rec.line());
        std::size_t base = chunk.features.size();
        chunk.features.resize(base + cols);
        for (std::size_t c = 0; c < cols; ++c) {
            double v;
            std::string_view cell = rec[plan.feature_index[c]];
            if (!parse_double(cell, v)) bad_cell(file, rec, request.feature_columns[c], cell);
            chunk.features[base + c] = static_cast<float>(v);
        }
        if (plan.target_index) {
            double v;
            std::string_view cell = rec[*plan.target_index];
            if (!parse_double(cell, v)) bad_cell(file, rec, request.target_column, cell);
            chunk.target.push_back(v);
        }
        ++chunk.rows;
    }
}

// Small files still get several chunks so both cores help; big files get large chunks so the
// per-chunk overhead vanishes.
std::size_t chunk_size_for(const fs::path& file) {
    std::error_code ec;
    auto size = static_cast<std::size_t>(fs::file_size(file, ec));
    if (ec) return std::size_t{1} << 20;
    return std::clamp<std::size_t>(size / (8 * default_workers()), std::size_t{64} << 10, std::size_t{4} << 20);
}

}  // namespace

numeric_table load_numeric_table(const fs::path& path, const table_request& request) {
    numeric_table table;
    table.columns = request.feature_columns;
    // An optional target is loaded when the first file has it; then every file must have it.
    std::optional<bool> with_target;
    for (const auto& file : csv_files(path)) {
        csv_chunker chunker(file, chunk_size_for(file));
        if (!with_target)
            with_target = !request.target_column.empty() &&
                          (!request.target_optional || chunker.header().find(request.target_column));
        column_plan plan = plan_columns(chunker.header(), request, *with_target, file);
        unsigned workers = default_workers();
        run_ordered<table_chunk>(
            workers, 2 * workers + 2, [&](table_chunk& c) { return chunker.next(c.input); },
            [&](table_chunk& c) { parse_chunk(c, plan, request, file); },
            [&](table_chunk& c) {
                table.features.insert(table.features.end(), c.features.begin(), c.features.end());
                table.target.insert(table.target.end(), c.target.begin(), c.target.end());
                table.rows += c.rows;
            });
    }
    return table;
}

}  // namespace amlops::data
