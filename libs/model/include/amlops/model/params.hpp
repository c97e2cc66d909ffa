#pragma once
// Training parameters of the taxi-fare regressor: defaults (the published sample's settings),
// loading from a JSON or YAML file, overriding from command-line flags, range validation and the
// translation into xgboost parameter strings. One table of fields drives all of these.

#include "amlops/core/json.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace amlops::model {

/// Hyper-parameters of aml-train. Names match the file keys; flags use dashes
/// (`n_estimators` -> `--n-estimators`).
struct train_params {
    std::string objective = "reg:squarederror";
    int n_estimators = 200;          ///< boosting rounds (maximum, with early stopping)
    int max_depth = 8;               ///< 0 = unlimited depth
    double eta = 0.1;                ///< learning rate, in (0, 1]
    double subsample = 1.0;          ///< row sampling per tree, in (0, 1]
    double colsample_bytree = 1.0;   ///< column sampling per tree, in (0, 1]
    double min_child_weight = 1.0;   ///< >= 0
    double lambda = 1.0;             ///< L2 regularization, >= 0
    double alpha = 0.0;              ///< L1 regularization, >= 0
    int max_bin = 256;               ///< histogram bins, >= 2
    std::string tree_method = "hist";
    int nthread = 0;                 ///< 0 = all cores
    std::int64_t seed = 42;          ///< xgboost seed and validation split seed, >= 0
    int early_stopping_rounds = 0;   ///< 0 = off; else stop after this many rounds without improvement
    double validation_fraction = 0.1;  ///< share of training rows held out for validation, in [0, 0.5]

    /// Sets field `key` from text (a flag value or a YAML scalar). Throws error(config) with
    /// field `key` and `origin` as the file: "unknown parameter" or "expected <type>, got '<text>'".
    void set_text(std::string_view key, std::string_view text, std::string_view origin);
    /// Sets field `key` from a JSON value, requiring the JSON type to match the field's type.
    void set_json(std::string_view key, const json::value& v, std::string_view origin);

    /// Checks every range; throws error(config) naming the first invalid field.
    void validate() const;

    /// xgboost parameter name/value pairs (n_estimators, early stopping and validation_fraction
    /// are handled by the training loop, not by xgboost).
    std::vector<std::pair<std::string, std::string>> xgboost_params() const;

    /// All fields, for manifests and metrics.
    json::object to_json() const;
};

/// Names of all parameters, in declaration order.
const std::vector<std::string>& param_names();

/// Reads a parameter file: JSON when it ends in .json or starts with '{', else YAML. The file
/// must be a mapping of known keys, or a sweep.json, which stands for its best.params. Unknown key or wrong type -> error(config) naming the file
/// and the key; unreadable/invalid syntax -> error(config|not_found) naming the file.
train_params load_params_file(const std::filesystem::path& path, train_params base = {});

/// Flag values given on the command line, by parameter name (as text, parsed when applied).
using param_overrides = std::map<std::string, std::string>;

/// The effective parameters: defaults, then `params_file` (if not empty), then `overrides`;
/// validated. Errors name the file or the flag (origin "command line").
train_params resolve_params(const std::filesystem::path& params_file, const param_overrides& overrides);

}  // namespace amlops::model
