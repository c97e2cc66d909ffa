#pragma once
// Parsing YAML into yaml-cpp nodes with one error mapping: a syntax error is `kind` (config for
// configuration files, bad_input for data such as an MLmodel file) naming the file (`origin`)
// and the 1-based line; an unreadable file is not_found / io like core::read_file.

#include "amlops/core/error.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace amlops::yaml {

/// Parses `text`; `origin` names it in errors. `what` prefixes the message ("invalid <what>").
YAML::Node parse(std::string_view text, const std::string& origin, error_kind kind = error_kind::config,
                 std::string_view what = "YAML");

/// Reads and parses a file (see parse()).
YAML::Node load_file(const std::filesystem::path& file, error_kind kind = error_kind::config, std::string_view what = "YAML");

}  // namespace amlops::yaml
