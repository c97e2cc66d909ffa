#pragma once
// Resolution and validation of a loaded job: bindings become concrete values (literals, local
// data paths, or outputs of other steps), defaults are applied, every constraint is checked, and
// the steps are put in dependency order. Nothing is executed or written.

#include "amlops/pipeline/spec.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace amlops::pipeline {

/// The value one input of a step receives.
struct bound_value {
    enum class kind { literal, data, job_output };
    kind what = kind::literal;
    std::string text;             ///< literal: the text substituted into the command
    std::filesystem::path path;   ///< data: absolute local path (exists)
    std::string type;             ///< data type for data/job_output; literal type when known
    std::string job, output;      ///< job_output: producing step and its output name
    source_location where;        ///< where the value (or the binding) was written
};

/// One step, ready to run.
struct planned_job {
    std::string name;
    std::shared_ptr<const component_spec> component;
    /// Bound inputs in component declaration order; an optional input without value is absent.
    std::vector<std::pair<std::string, bound_value>> inputs;
    std::vector<std::string> depends_on;  ///< producing steps, sorted, unique
    std::vector<std::pair<std::string, std::string>> environment;  ///< resolved environment_variables
    std::filesystem::path cwd;            ///< code folder, else the folder of the defining YAML file
    std::optional<double> timeout_seconds;
    source_location where;

    const bound_value* find_input(std::string_view name) const noexcept;
};

/// A validated pipeline.
struct plan {
    std::vector<planned_job> jobs;                                  ///< dependency order (ties: file order)
    std::vector<std::pair<std::string, bound_value>> inputs;        ///< pipeline inputs that have a value
    /// Pipeline output -> (step, step output); unbound pipeline outputs are absent.
    std::vector<std::pair<std::string, std::pair<std::string, std::string>>> outputs;

    const planned_job* find_job(std::string_view name) const noexcept;
};

/// Resolves and validates `job`. Throws error (exit 2) naming the file, line and key path for:
/// a binding to an unknown pipeline input, step, step output or pipeline output; a step input the
/// component does not declare; a required input without value or default; a literal of the wrong
/// type or outside min/max/enum; a data binding mixed with text; a missing local data path
/// (not_found); a dependency cycle (the message lists it).
plan make_plan(const job_spec& job);

}  // namespace amlops::pipeline
