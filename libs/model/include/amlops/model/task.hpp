#pragma once
// The two tasks a model folder can hold. A classifier's folder carries fare_classes.json (the
// labels and the cost boundaries it was trained with); its presence is how score, predict and
// serve know the task, so none of them needs a --task flag to read a model.

#include "amlops/core/error.hpp"

#include <string>
#include <string_view>

namespace amlops::model {

/// The file in the model folder (also listed, with its hash, in manifest.json's "files").
inline constexpr const char* fare_classes_file = "fare_classes.json";

/// True for "classification", false for "regression"; any other name is a usage error naming
/// the --task flag.
inline bool is_classification(std::string_view task) {
    if (task == "classification") return true;
    if (task == "regression") return false;
    throw error(error_kind::usage, "unknown task '" + std::string(task) + "' (expected regression or classification)").on_field("--task");
}

}  // namespace amlops::model
