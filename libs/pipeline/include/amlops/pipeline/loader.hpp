#pragma once
// Reads Azure ML CLI v2 YAML (pipeline jobs, command jobs, command components) into spec.hpp
// types, applying `az ml job create --set` style overrides first.

#include "amlops/pipeline/spec.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace amlops::pipeline {

/// Loads a pipeline job (`type: pipeline`) or a command job (`type: command`) file, with its
/// components. Unknown keys, missing required keys, bad types, undeclared references inside
/// component commands, unsupported node types (sweep, if_else, ...), and remote references
/// (azureml:..., http://...) throw error(config) naming the file, line and key path (exit 2);
/// a broken YAML file names the file and line of the syntax error. Keys that have no local
/// meaning (compute, resources, ...) are accepted and listed in job_spec::ignored.
job_spec load_job(const std::filesystem::path& file, const std::vector<std::string>& overrides = {});

/// Strict mode: throws error(config) naming the file and the first key in job.ignored (a key the
/// local runner cannot honour, such as compute or resources), so nothing is silently dropped.
void require_no_ignored_keys(const job_spec& job);

/// Loads one command component file (exposed for tests and `aml-pipeline validate`).
std::shared_ptr<const component_spec> load_component(const std::filesystem::path& file);

/// Literal typing shared by the loader and the planner: the text of a boolean literal (YAML 1.1
/// spellings true/yes/on/... in any case) normalized to "True"/"False", the way Azure ML's Python
/// client prints it into commands; nullopt when `text` is not a boolean.
std::optional<std::string> normalize_boolean(std::string_view text);

/// Checks a literal against a declared input (type, enum, min/max). Returns the text to use (a
/// boolean normalized); throws error_at(where) describing the violation.
std::string check_literal(const input_decl& decl, const std::string& text, const source_location& where);

}  // namespace amlops::pipeline
