#pragma once
// The shared command-line vocabulary (docs/CLI.md): one flag name per concept, declared here once
// and composed by every tool. Each helper binds the flag to a field of the tool's options,
// names its placeholder (DIR, FILE, N, ...), validates numbers while parsing (a bad value is a
// usage error, exit 2, naming the flag), and keeps earlier spellings working as hidden aliases
// that log a deprecation warning.

#include "amlops/cli/tool.hpp"

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace amlops::cli {

/// Highest --threads value accepted: far above any machine this runs on, low enough that a typo
/// cannot make the process start a hundred thousand threads.
inline constexpr unsigned max_threads = 1024;

/// `--workspace DIR`: the amlops workspace (registries, runs, step cache). `old_names` (e.g.
/// "home") stay as deprecated aliases. Resolve with workspace_root().
void add_workspace(option_spec& s, std::string& dir, std::initializer_list<const char*> old_names = {});

/// The workspace folder: `dir` when given, else $AMLOPS_HOME, else ./.amlops.
std::filesystem::path workspace_root(const std::string& dir, const env_lookup& env);

/// Throws error(usage) naming `flag` unless min <= value <= max.
void require_range(const std::string& flag, std::int64_t value, std::int64_t min, std::int64_t max);

/// `--threads N` (0 = all cores, at most max_threads); `old_names` stay as deprecated aliases.
/// Parsed as a signed number first, so `-1` is refused instead of wrapping around. `n` is only
/// written when the flag is given, so it may hold a default (or be a std::optional).
template <class T>
void add_threads(option_spec& s, T& n, const std::string& what, const std::string& default_text,
                 std::initializer_list<const char*> old_names = {}) {
    auto store = [&n](const std::string& flag) {
        return [&n, flag](std::int64_t v) {
            require_range(flag, v, 0, max_threads);
            n = static_cast<T>(v);
        };
    };
    const std::string help = what + " (0 = all cores; default " + default_text + ")";
    s.options.add_options()("threads", po::value<std::int64_t>()->value_name("N")->notifier(store("--threads")), help.c_str());
    for (const char* old : old_names) {
        const std::string name(old);
        s.hidden.add_options()(old, po::value<std::int64_t>()->notifier(store("--" + name.substr(0, name.find(',')))), "");
        s.deprecated.emplace_back(name.substr(0, name.find(',')), "threads");
    }
}

/// `--ca-file FILE`: PEM bundle of CAs trusted for TLS to Azure instead of the system store. The
/// file must exist. Resolve with ca_file().
void add_ca_file(option_spec& s, std::string& file);

/// The CA file: `file` when given, else $AMLOPS_CA_FILE (how aml-pipeline hands its --ca-file
/// to the steps it runs), else empty (the transport's default trust).
std::filesystem::path ca_file(const std::string& file, const env_lookup& env);

/// `--model-version N` (N >= 1), a model's version number. With `version_alias`, `--version N`
/// (the old spelling) still works, deprecated; a bare `--version` prints the program version.
void add_model_version(option_spec& s, std::int64_t& version, bool version_alias = false);

/// A whole-number flag limited to [min, max], validated while parsing (exit 2 naming the flag).
/// Parsed as a signed number first, so `-1` is refused instead of wrapping around.
template <class T>
void add_bounded(option_spec& s, const std::string& name, T& value, std::int64_t min, std::int64_t max,
                 const std::string& placeholder, const std::string& help, bool required = false) {
    auto store = [&value, name, min, max](std::int64_t v) {
        require_range("--" + name, v, min, max);
        value = static_cast<T>(v);
    };
    auto* semantic = po::value<std::int64_t>()->value_name(placeholder)->notifier(store);
    if (required) semantic->required();
    s.options.add_options()(name.c_str(), semantic, help.c_str());
}

/// A fraction flag (placeholder R) limited to [min, max], validated while parsing; `value`
/// holds the default shown by --help.
void add_fraction(option_spec& s, const std::string& name, double& value, double min, double max, const std::string& help);

/// An optional real-number limit (placeholder X) in [min, max], validated while parsing (exit 2
/// naming the flag); left nullopt when the flag is not given.
void add_limit(option_spec& s, const std::string& name, std::optional<double>& value, double min, double max,
               const std::string& help);

/// Adds a hidden alias `old_name` of a flag that stores into `target`, logging a deprecation
/// warning naming `new_name` when used.
template <class T>
void add_alias(option_spec& s, const std::string& old_name, const std::string& new_name, T& target) {
    s.hidden.add_options()(old_name.c_str(), po::value(&target), "");
    s.deprecated.emplace_back(old_name, new_name);
}

/// A flag whose value is one of `choices` (placeholder: the choices joined by '|'), validated
/// while parsing (exit 2 naming the flag). `value` holds the default, or "" for none.
void add_choice(option_spec& s, const std::string& name, std::string& value, std::vector<std::string> choices,
                const std::string& help);

/// `--task regression|classification` (default regression): what aml-train fits; the model
/// folder records it, so the tools that read a model only check it when the flag is given.
inline void add_task(option_spec& s, std::string& task, const std::string& help) {
    add_choice(s, "task", task, {"regression", "classification"}, help);
}

}  // namespace amlops::cli
