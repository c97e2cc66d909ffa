#pragma once
// Scoring payload decoding: every request body form that Azure ML and MLflow scoring servers
// accept, turned into one dense row-major float matrix in the model's column order.
//
// Accepted forms (exactly one of these top-level keys; an MLflow "params" key is ignored):
//   {"input_data": {"columns": [...], "index": [...], "data": [[...], ...]}}   by column name
//   {"input_data": {"data": [[...]]}} / {"input_data": [[...], ...]}            signature order
//   {"data": [[...], ...]}                                                       signature order
//   {"dataframe_split": {"columns": [...], "data": [[...]], "index": [...]}}    by column name
//   {"dataframe_records": [{"col": v, ...}, ...]}                                by column name
//   {"instances": [{"col": v}, ...]} or {"instances": [[...], ...]}
//   {"inputs": {"col": [v, ...], ...}} (columnar) or {"inputs": [{...}] | [[...]]}
// In every list-of-rows form a row may also be an object (a record), matched by name.
//
// Values: JSON numbers (converted to float, like the CSV path), null = missing (NaN). Anything
// else (string, bool, array, object) is a wrong type. Columns not in the signature are ignored
// (MLflow drops them too). Every problem throws error(bad_input) whose message names it:
// malformed JSON (with the byte offset), missing column, wrong type (column and row), ragged row
// (row, got and expected counts), unknown or missing payload key.
//
// The decoder depends only on Boost.JSON and amlops/core/error.hpp so the fuzz target can build
// it on its own (tests/fuzz).

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace amlops::serve {

/// Which form a payload had (for metrics and tests).
enum class payload_form {
    input_data_split,   ///< input_data as a split object (columns + data)
    input_data_list,    ///< input_data as a list of rows
    data,               ///< "data": list of rows
    dataframe_split,
    dataframe_records,
    instances,
    inputs,
};

/// Stable name of a form, e.g. "dataframe_split".
std::string_view to_string(payload_form f) noexcept;

/// The model's input columns with a name -> position index, built once per model.
class column_set {
public:
    column_set() = default;
    /// Throws error(bad_input) when a name repeats.
    explicit column_set(std::vector<std::string> names);
    // The index holds views into names_: a copy must rebuild it (the implicit copy would point
    // into the source's strings). Moving the vector keeps its strings in place, so moves are safe.
    column_set(const column_set& other) : column_set(other.names_) {}
    column_set& operator=(const column_set& other) {
        if (this != &other) *this = column_set(other.names_);
        return *this;
    }
    column_set(column_set&&) noexcept = default;
    column_set& operator=(column_set&&) noexcept = default;

    const std::vector<std::string>& names() const noexcept { return names_; }
    std::size_t size() const noexcept { return names_.size(); }
    /// Position of `name`, or npos.
    std::size_t find(std::string_view name) const noexcept;
    /// Plausible bounds of column i (features::plausible_range_of): decoded values outside them
    /// are bad input, like in a CSV; NaN (JSON null) stays "missing".
    double min(std::size_t i) const noexcept { return bounds_[i].first; }
    double max(std::size_t i) const noexcept { return bounds_[i].second; }

    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

private:
    std::vector<std::string> names_;
    std::unordered_map<std::string_view, std::size_t> index_;  // views into names_
    std::vector<std::pair<double, double>> bounds_;            // per column
};

/// A decoded payload: `rows` rows of `columns.size()` floats, row-major, model column order.
struct decoded_rows {
    std::vector<float> values;
    std::size_t rows = 0;
    payload_form form = payload_form::data;
};

/// Decodes `body` into `out` (its buffers are reused). Throws error(bad_input) as described in
/// the file comment. An empty row list is valid (rows == 0).
void decode_payload(std::string_view body, const column_set& columns, decoded_rows& out);

/// Convenience overload returning a fresh result.
decoded_rows decode_payload(std::string_view body, const column_set& columns);

}  // namespace amlops::serve
