#pragma once
// Writes an MLflow model folder for an xgboost Booster, in the layout mlflow.xgboost.save_model
// produces with model_format="json", so that mlflow.pyfunc.load_model, Azure ML's MLflow
// deployments and `type: mlflow_model` registration accept it:
//   MLmodel, model.json, conda.yaml, python_env.yaml, requirements.txt, input_example.json.

#include "amlops/core/json.hpp"
#include "amlops/core/output_set.hpp"
#include "amlops/model/signature.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace amlops::model {

/// File names inside the folder.
inline constexpr const char* mlmodel_file = "MLmodel";
inline constexpr const char* model_data_file = "model.json";

/// Versions recorded in MLmodel and pinned in the Python environment files. The Python xgboost
/// that loads model.json must be able to read this library's JSON: pin the linked version.
struct python_environment {
    std::string python_version = "3.10.12";
    std::string mlflow_version = "2.9.2";
    std::string xgboost_version;  ///< default: the linked libxgboost's version
    std::vector<std::string> extra_requirements{"pandas<3", "numpy<2"};
};

/// Everything MLmodel describes besides the fixed layout.
struct mlflow_model_spec {
    std::string model_json;        ///< xgboost JSON model bytes (written verbatim as model.json)
    model_signature signature;
    json::object input_example;    ///< pandas "split" orientation: {"columns": [...], "data": [[...]]}
    std::string model_uuid;        ///< hex uuid without dashes, as MLflow writes it
    std::string utc_time_created;  ///< "YYYY-MM-DD HH:MM:SS.ffffff", as MLflow writes it
    std::string run_id;            ///< empty: not recorded
    std::string artifact_path = "model";
    python_environment environment;
};

/// The folder's files, name -> content (MLmodel included), as write_mlflow_model writes them.
std::map<std::string, std::string> mlflow_model_files(const mlflow_model_spec& spec);

/// Stages the folder's files into `outputs` (MLmodel last, as the commit record), for a caller
/// that replaces the model together with its other outputs.
void stage_mlflow_model(output_set& outputs, const std::filesystem::path& dir, const mlflow_model_spec& spec);

/// Writes the folder (created if needed). Every file is written atomically and MLmodel last, so
/// a reader that finds MLmodel finds the files it names. Existing files of the same names are
/// replaced; other files in the folder are left alone. Throws error(io).
void write_mlflow_model(const std::filesystem::path& dir, const mlflow_model_spec& spec);

/// The MLmodel YAML text for `spec` (exposed for tests).
std::string mlmodel_text(const mlflow_model_spec& spec);

/// The first `max_rows` rows of a dense matrix as an input example; "long" columns hold
/// integers, the rest shortest round-trip decimals of the float values.
json::object make_input_example(const std::vector<column_spec>& inputs, const std::vector<float>& row_major,
                                std::size_t rows, std::size_t max_rows = 5);

/// "2024-05-01 12:34:56.000000" from an ISO-8601 "2024-05-01T12:34:56Z" (MLflow's format).
std::string mlflow_time(const std::string& iso8601);

}  // namespace amlops::model
