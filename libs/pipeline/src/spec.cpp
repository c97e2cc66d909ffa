#include "amlops/pipeline/spec.hpp"

namespace amlops::pipeline {

error error_at(const source_location& where, const std::string& message, error_kind kind) {
    error e(kind, message);
    if (!where.file.empty()) e.in_file(where.file);
    if (where.line) e.at_line(where.line);
    if (!where.key_path.empty()) e.on_field(where.key_path);
    return e;
}

bool is_data_type(std::string_view type) noexcept {
    return type == "uri_file" || type == "uri_folder" || type == "mltable" || type == "mlflow_model" ||
           type == "custom_model";
}

bool is_literal_type(std::string_view type) noexcept {
    return type == "string" || type == "number" || type == "integer" || type == "boolean";
}

const input_decl* component_spec::find_input(std::string_view n) const noexcept {
    for (const auto& i : inputs)
        if (i.name == n) return &i;
    return nullptr;
}

const output_decl* component_spec::find_output(std::string_view n) const noexcept {
    for (const auto& o : outputs)
        if (o.name == n) return &o;
    return nullptr;
}

const step_spec* job_spec::find_job(std::string_view n) const noexcept {
    for (const auto& j : jobs)
        if (j.name == n) return &j;
    return nullptr;
}

}  // namespace amlops::pipeline
