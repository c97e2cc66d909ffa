#pragma once
// aml-train as a library call: load the train (and optional test) data, resolve parameters,
// train, and write the MLflow model folder plus metrics, feature importance and manifest.

#include "amlops/core/environment.hpp"
#include "amlops/core/json.hpp"
#include "amlops/core/log.hpp"
#include "amlops/model/params.hpp"

#include <filesystem>
#include <functional>
#include <string>

namespace amlops::model {

/// Called once per written file, with a short name ("model", "metrics", ...) and its path.
using output_sink = std::function<void(const std::string& name, const std::filesystem::path& path)>;

/// Inputs of one training run.
struct train_request {
    std::filesystem::path train;        ///< CSV file or folder of CSVs with the features and `cost`
    std::filesystem::path test;         ///< optional: scored after training (empty = none)
    std::filesystem::path params_file;  ///< optional JSON/YAML parameter file
    param_overrides overrides;          ///< flag values, applied over the file
    std::filesystem::path output;       ///< the model folder to write
    /// optional sweep file (docs/sweep.md): the parameters come from a cross-validated search on
    /// the training rows, and the folder also gets sweep.json
    std::filesystem::path sweep_file{};
    /// "regression" (predict cost) or "classification" (fare deciles A..J of the training rows'
    /// cost, metrics/fare_classes.hpp; the boundaries go into fare_classes.json in the folder).
    std::string task = "regression";
};

/// Runs training and writes into `request.output`: the MLflow files (MLmodel, model.json,
/// conda.yaml, python_env.yaml, requirements.txt, input_example.json) and metrics.json,
/// feature_importance.json, manifest.json. Returns the result summary for the tool's JSON
/// document. Provenance (commit, run id) comes from `env`. Throws amlops::error.
json::object run_train_job(const train_request& request, logger& log, const env_lookup& env,
                           const output_sink& add_output = {});

}  // namespace amlops::model
