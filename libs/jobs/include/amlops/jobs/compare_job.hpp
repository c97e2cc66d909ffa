#pragma once
// aml-compare as a library call: the candidate and the current champion predict the SAME test
// rows, and the gate policy decides whether the candidate replaces the champion.

#include "amlops/core/json.hpp"
#include "amlops/core/log.hpp"
#include "amlops/jobs/train_job.hpp"

#include <filesystem>
#include <string>

namespace amlops::model {

/// Inputs of one comparison.
struct compare_request {
    std::filesystem::path candidate;  ///< MLflow model folder of the new model
    /// MLflow model folder of the current model. "none", empty text or an empty folder mean there
    /// is none yet (a pipeline step that found no champion still hands over an empty folder).
    std::string champion;
    std::filesystem::path test;    ///< CSV file or folder with both models' inputs and the target
    std::filesystem::path policy;  ///< gate policy (YAML, or JSON by .json)
    std::filesystem::path output;  ///< folder for decision.json
};

/// What the comparison decided; `document` is decision.json's content.
struct compare_result {
    json::object document;
    bool approved = false;
};

/// True when `champion` names no model: "none", empty, or an existing empty folder.
bool names_no_champion(const std::string& champion);

/// Loads the policy (first, so a bad policy fails before any work), predicts the test rows with
/// both models (the test file is read once when both models take the same input columns), decides,
/// and writes decision.json ({decision, reasons[], metrics{candidate, champion, delta}, ...}).
/// Logs the reasons. Throws error(bad_input) when the models predict different targets, and
/// every error of loading models, data and policy.
compare_result run_compare_job(const compare_request& request, logger& log, const output_sink& add_output = {});

}  // namespace amlops::model
