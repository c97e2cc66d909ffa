#include "amlops/data/table.hpp"

#include "amlops/core/error.hpp"
#include "amlops/data/csv.hpp"
#include "amlops/data/numbers.hpp"
#include "amlops/data/pipeline.hpp"

#include <algorithm>
#include <cmath>

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

[[noreturn]] void bad_cell(const fs::path& file, const csv_record& rec, const std::string& column,
                           std::string_view cell, const value_bounds* bounds = nullptr, double value = 0) {
    const std::string quoted = "'" + printable_excerpt(cell, 40) + "'";
    std::string what = trim(cell).empty() ? std::string("empty cell, expected a number")
                       : is_overflowing_number(cell) ? "not a finite number (beyond the double range): " + quoted
                                                     : "not a number: " + quoted;
    if (bounds && !trim(cell).empty()) {
        if (!std::isfinite(value)) {
            what = "not a finite number: " + quoted;
        } else {
            what = "out of range [";
            append_double(what, bounds->min);
            what += ", ";
            append_double(what, bounds->max);
            what += "]: " + quoted;
        }
    }
    throw error(error_kind::bad_input, what + " (column '" + column + "')")
        .in_file(file.string())
        .at_line(rec.line())
        .on_field(column);
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

numeric_table_stream::numeric_table_stream(const fs::path& path, const table_request& request, std::size_t chunk_bytes)
    : request_(request), files_(csv_files(path)), chunk_bytes_(chunk_bytes) {
    for (std::size_t i = 0; i < files_.size(); ++i) {
        const fs::path& file = files_[i];
        csv_reader reader(file, std::size_t{64} << 10);
        const csv_header& header = reader.header();
        if (i == 0)
            with_target_ = !request_.target_column.empty() &&
                           (!request_.target_optional || header.find(request_.target_column));
        column_plan plan;
        plan.width = header.size();
        for (const auto& name : request_.feature_columns) plan.feature_index.push_back(header.require(name, file));
        if (!request_.feature_bounds.empty() && request_.feature_bounds.size() != request_.feature_columns.size())
            throw error(error_kind::internal, "feature_bounds must match feature_columns");
        if (with_target_) plan.target_index = header.require(request_.target_column, file);
        plans_.push_back(std::move(plan));
    }
}

numeric_table_stream::~numeric_table_stream() = default;

bool numeric_table_stream::next(table_piece& out) {
    while (current_ < files_.size()) {
        if (!chunker_) chunker_.emplace(files_[current_], chunk_bytes_ ? chunk_bytes_ : chunk_size_for(files_[current_]));
        if (chunker_->next(out.chunk)) {
            out.file = current_;
            return true;
        }
        chunker_.reset();
        ++current_;
    }
    return false;
}

void numeric_table_stream::parse(const table_piece& piece, numeric_table& out) const {
    const column_plan& plan = plans_.at(piece.file);
    const fs::path& file = files_[piece.file];
    if (out.columns != request_.feature_columns) out.columns = request_.feature_columns;
    out.features.clear();
    out.target.clear();
    out.rows = 0;
    csv_parser parser;
    csv_record rec;
    parser.reset(piece.chunk.text, piece.chunk.first_line, true);
    const std::size_t cols = plan.feature_index.size();
    const value_bounds any_float;
    auto bounds = [&](std::size_t c) -> const value_bounds& {
        return request_.feature_bounds.empty() ? any_float : request_.feature_bounds[c];
    };
    while (parser.next(rec) == csv_status::record) {
        if (!rec.problem().empty())
            throw error(error_kind::bad_input, std::string(rec.problem())).in_file(file.string()).at_line(rec.line());
        if (rec.size() != plan.width)
            throw error(error_kind::bad_input, "expected " + std::to_string(plan.width) + " fields, found " +
                                                   std::to_string(rec.size()))
                .in_file(file.string())
                .at_line(rec.line());
        std::size_t base = out.features.size();
        out.features.resize(base + cols);
        for (std::size_t c = 0; c < cols; ++c) {
            double v;
            std::string_view cell = rec[plan.feature_index[c]];
            if (!parse_double(cell, v)) bad_cell(file, rec, request_.feature_columns[c], cell);
            const value_bounds& b = bounds(c);
            if (!(v >= b.min && v <= b.max)) bad_cell(file, rec, request_.feature_columns[c], cell, &b, v);  // also NaN
            out.features[base + c] = static_cast<float>(v);
        }
        if (plan.target_index) {
            double v;
            std::string_view cell = rec[*plan.target_index];
            if (!parse_double(cell, v)) bad_cell(file, rec, request_.target_column, cell);
            const value_bounds& b = request_.target_bounds;
            if (!(v >= b.min && v <= b.max)) bad_cell(file, rec, request_.target_column, cell, &b, v);
            out.target.push_back(v);
        }
        ++out.rows;
    }
}

namespace {

// One chunk on its way through load_numeric_table's pipeline.
struct table_chunk {
    table_piece input;
    numeric_table rows;
};

}  // namespace

numeric_table load_numeric_table(const fs::path& path, const table_request& request) {
    numeric_table_stream stream(path, request);
    numeric_table table;
    table.columns = request.feature_columns;
    const unsigned workers = default_workers();
    run_ordered<table_chunk>(
        workers, 2 * workers + 2, [&](table_chunk& c) { return stream.next(c.input); },
        [&](table_chunk& c) { stream.parse(c.input, c.rows); },
        [&](table_chunk& c) {
            table.features.insert(table.features.end(), c.rows.features.begin(), c.rows.features.end());
            table.target.insert(table.target.end(), c.rows.target.begin(), c.rows.target.end());
            table.rows += c.rows.rows;
        });
    return table;
}

}  // namespace amlops::data
