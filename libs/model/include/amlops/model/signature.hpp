#pragma once
// The MLflow model signature: named input columns with MLflow column types, and the output.
// MLmodel stores each side as a JSON string, e.g. '[{"type": "double", "name": "distance"}]'.

#include <string>
#include <string_view>
#include <vector>

namespace amlops::model {

/// One named column of an MLflow column-based signature; type is an MLflow DataType name
/// ("double", "long", "float", "integer", "string", "boolean", "binary").
struct column_spec {
    std::string name;
    std::string type;
    bool operator==(const column_spec&) const = default;
};

/// Inputs (in model order) and the single output column.
struct model_signature {
    std::vector<column_spec> inputs;
    column_spec output;
};

/// The taxi-fare model's signature: the 20 features of amlops/features/schema.hpp ("double" for
/// float features, "long" for integer ones) and output {"cost", "double"}.
model_signature taxi_signature();

/// Serializes columns the way MLflow writes them into MLmodel: a JSON array of
/// {"type": ..., "name": ...} objects on one line.
std::string columns_to_json(const std::vector<column_spec>& columns);

/// Parses such a JSON array. Throws error(bad_input) naming `origin` when it is not an array of
/// objects with a string "type", when a column is unnamed, or when it is a tensor spec.
std::vector<column_spec> columns_from_json(std::string_view text, std::string_view origin);

/// xgboost feature type for an MLflow column type: "int" for integer types, else "float".
std::string xgboost_feature_type(std::string_view mlflow_type);

}  // namespace amlops::model
