#pragma once
// A classifier's answers in aml-predict and the scoring server: the class label of each row and,
// on request, its probability per class.
//
// Request: the payload's MLflow "params" object, {"params": {"probabilities": true}, ...}, or
// aml-predict --probabilities. Answer per row: "C", or with probabilities
// {"label": "C", "probabilities": {"A": 0.01, ..., "J": 0.0}} (floats as shortest text).

#include "amlops/metrics/fare_classes.hpp"

#include <span>
#include <string>
#include <string_view>

namespace amlops::serve {

/// True when the JSON payload `body` holds "params": {"probabilities": true}. A payload that is
/// not JSON (the decoder reports that) or has no such key answers false; a "probabilities" that
/// is not a boolean is error(bad_input).
bool wants_probabilities(std::string_view body);

/// Appends the rows' answers as comma-separated JSON values (no brackets). `probabilities` holds
/// classes.size() values per row, row-major.
void append_class_json(std::string& out, std::span<const double> probabilities, const metrics::fare_classes& classes,
                       bool with_probabilities);

/// The rows as CSV: header `predicted` (and `p_A,...,p_J` with probabilities), one line a row.
std::string class_csv(std::span<const double> probabilities, const metrics::fare_classes& classes, bool with_probabilities);

}  // namespace amlops::serve
