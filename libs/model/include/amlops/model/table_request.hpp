#pragma once
// The table a model reads, with every column's plausible bounds (features/schema.hpp), so that
// train, score, compare and predict apply one rule to every numeric cell: finite and plausible,
// else exit 2 naming file, line and column.

#include "amlops/data/table.hpp"

#include <string>
#include <vector>

namespace amlops::model {

class loaded_model;

/// `features` (+ `target` unless empty) with plausible_range_of bounds for each.
data::table_request bounded_table_request(std::vector<std::string> features, std::string target, bool target_optional);

/// The model's input columns and output column.
data::table_request model_table_request(const loaded_model& model, bool target_optional);

}  // namespace amlops::model
