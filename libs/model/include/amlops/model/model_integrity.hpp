#pragma once
// Integrity of a model folder: manifest.json (written by aml-train) records the sha256 of every
// file of the MLflow model; whoever loads or ships a model checks them first, so a one-digit
// edit of model.json (or a folder mixed from two runs) is refused instead of predicting
// silently different values. And model.json must be an xgboost JSON document of the expected
// shape before libxgboost sees it: its loader is not hardened against arbitrary bytes.

#include "amlops/core/json.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace amlops::model {

/// manifest.json's name inside a model folder.
inline constexpr const char* manifest_file = "manifest.json";

/// Checks `<dir>/manifest.json` against the folder's files: every entry of its "files" object
/// ({"MLmodel": "<sha256>", ...}) and its "model_sha256" (model.json; the only hash in manifests
/// of older amlops versions). `already_read` maps file names to bytes the caller has in memory,
/// so that no file is read or hashed twice per load. Returns the number of files checked (0:
/// the folder has no manifest.json, e.g. a model logged by MLflow itself, or one without
/// hashes; nothing to check).
/// Throws error(bad_input) naming the file whose hash differs or that is missing, or the
/// manifest when it is not a JSON object of that shape.
/// When `manifest_out` is given and some file was checked, it receives the manifest.
std::size_t verify_model_folder(const std::filesystem::path& dir,
                                const std::map<std::string, std::string_view>& already_read = {},
                                json::object* manifest_out = nullptr);

/// The "files" object of a manifest: name -> sha256 of `contents`.
json::object file_hashes(const std::map<std::string, std::string>& contents);

/// Throws error(bad_input) naming `origin` unless `bytes` is a JSON document shaped like an
/// xgboost model ({"learner": {"gradient_booster": {...}, "learner_model_param": {...}, ...},
/// "version": [...]}), so random bytes never reach libxgboost.
void require_xgboost_json(std::string_view bytes, const std::string& origin);


/// Parses MLmodel text: a YAML mapping with a "flavors" mapping, else error(bad_input) naming
/// `origin` (and the line of a YAML syntax error).
YAML::Node parse_mlmodel(std::string_view text, const std::string& origin);

/// The model file MLmodel's xgboost (or python_function) flavor names, which must be a relative
/// path inside `dir`; error(bad_input) otherwise.
std::filesystem::path mlmodel_data_path(const YAML::Node& doc, const std::filesystem::path& dir, const std::string& origin);

}  // namespace amlops::model
