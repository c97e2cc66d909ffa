#pragma once
// Writes an xgboost model as an MLflow folder with the taxi signature and a fixed uuid and time,
// so the folder's bytes depend only on the model.

#include "amlops/model/mlflow.hpp"

#include <filesystem>
#include <string>

namespace amlops::test {

inline void write_taxi_model_folder(const std::filesystem::path& folder, std::string model_json) {
    model::mlflow_model_spec spec;
    spec.model_json = std::move(model_json);
    spec.signature = model::taxi_signature();
    spec.model_uuid = std::string(32, '0');
    spec.utc_time_created = model::mlflow_time("2024-01-01T00:00:00Z");
    model::write_mlflow_model(folder, spec);
}

}  // namespace amlops::test
