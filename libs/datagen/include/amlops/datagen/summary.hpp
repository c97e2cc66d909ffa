#pragma once
// The JSON result of a generation run, kept apart from generator.hpp so that code which only
// generates rows does not pull in Boost.JSON.

#include "amlops/core/json.hpp"
#include "amlops/datagen/generator.hpp"

namespace amlops::datagen {

/// Counts of one file as JSON: {file, rows, dirty_rows, dirty{kind: n} (every kind, zeros
/// included), kept, malformed}.
json::object to_json(const file_stats& s, std::string_view file);

/// The whole run: the options, per-file counts under `files.green` / `files.yellow`, and totals
/// `rows`, `dirty_rows`, `dirty{kind: n}`, `kept` (rows the clean rules keep) and `malformed`
/// (rows a strict parser rejects).
json::object summary(const options& o, const generated_files& files);

}  // namespace amlops::datagen
