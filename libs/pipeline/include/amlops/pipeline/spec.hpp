#pragma once
// The parsed form of an Azure ML CLI v2 pipeline job, command job or command component, as the
// local runner understands it. Built by load_job() (loader.hpp); bindings are still unresolved
// text here; make_plan() (plan.hpp) resolves and validates them.

#include "amlops/core/error.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace amlops::pipeline {

/// Where a value was written: the YAML file, its dotted key path (e.g. "jobs.train.inputs.x")
/// and the 1-based line (0 when unknown, e.g. for a value that came from --set).
struct source_location {
    std::string file;
    std::string key_path;
    std::size_t line = 0;
};

/// An error(kind, message) carrying the file, line and key path of `where` (exit code 2 for
/// config/bad_input/not_found).
error error_at(const source_location& where, const std::string& message, error_kind kind = error_kind::config);

/// Data types: uri_file, uri_folder, mltable, mlflow_model, custom_model.
bool is_data_type(std::string_view type) noexcept;
/// Literal (primitive) types: string, number, integer, boolean.
bool is_literal_type(std::string_view type) noexcept;

/// One declared component input.
struct input_decl {
    std::string name;
    std::string type;
    std::string description;
    std::optional<std::string> default_value;  ///< literal text as written (booleans normalized)
    bool optional = false;
    std::optional<double> min, max;            ///< number/integer only
    std::vector<std::string> enum_values;      ///< string only
    source_location where;
};

/// One declared component output.
struct output_decl {
    std::string name;
    std::string type;  ///< uri_folder unless declared otherwise
    source_location where;
};

/// A command component (from a file, an inline mapping under `component:`, or synthesized from
/// an inline command job, whose inputs/outputs are then declared by the values it binds).
struct component_spec {
    std::string name;
    std::string version;
    std::string command;
    std::optional<std::filesystem::path> code_dir;  ///< absolute, when `code:` is given
    std::string environment;                         ///< recorded only; nothing is built locally
    bool is_deterministic = true;
    std::vector<input_decl> inputs;
    std::vector<output_decl> outputs;
    std::filesystem::path base_dir;  ///< absolute directory its relative paths resolve against
    source_location where;           ///< file and key path of the definition
    std::string canonical;           ///< normalized YAML text of the definition (reuse key)

    const input_decl* find_input(std::string_view name) const noexcept;
    const output_decl* find_output(std::string_view name) const noexcept;
};

/// A value as written in a job's `inputs` (or a pipeline's): a literal, whose text may contain
/// `${{...}}` expressions, or a data object `{type, path, mode}` whose path may be a binding.
struct value_spec {
    bool is_data = false;
    bool is_null = false;        ///< written empty / `null`: no value
    bool quoted = false;         ///< a quoted literal is always a string
    std::string text;            ///< literal text, or the data path
    std::string type;            ///< declared type of a mapping form; empty for bare literals
    source_location where;
};

/// A step output: bound to a pipeline output (`${{parent.outputs.p}}`) or just configured.
struct step_output {
    std::string name;
    std::optional<std::string> parent_output;
    source_location where;
};

/// One `jobs.<name>` entry (or the single job of a command job file).
struct step_spec {
    std::string name;
    source_location where;  ///< key path "jobs.<name>"
    std::shared_ptr<const component_spec> component;
    std::vector<std::pair<std::string, value_spec>> inputs;
    std::vector<step_output> outputs;
    std::vector<std::pair<std::string, value_spec>> environment_variables;
    std::optional<double> timeout_seconds;  ///< limits.timeout
};

/// A YAML key the local runner parses but cannot honour (compute, resources, ...).
struct ignored_key {
    std::string key_path;
    std::string value;
    std::string note;
};

/// A whole job file: a pipeline job, or a command job treated as a one-step pipeline whose step
/// is called "main".
struct job_spec {
    std::filesystem::path file;      ///< as given by the user (used in messages)
    std::filesystem::path base_dir;  ///< absolute directory of the file
    std::string name;                ///< display_name, else the file name without extension
    std::string type;                ///< "pipeline" or "command"
    std::string experiment_name;
    std::vector<std::pair<std::string, value_spec>> inputs;
    std::vector<output_decl> outputs;
    bool continue_on_step_failure = true;  ///< the 2022-11/2024 references' default
    bool force_rerun = false;
    std::vector<step_spec> jobs;
    std::vector<ignored_key> ignored;

    const step_spec* find_job(std::string_view name) const noexcept;
};

}  // namespace amlops::pipeline
