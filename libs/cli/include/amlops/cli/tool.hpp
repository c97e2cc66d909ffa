#pragma once
// The one place where a tool's options are parsed, its errors become exit codes and its result
// becomes the JSON document on stdout. Every tool main is: an options aggregate, a describe()
// that binds flags to it, a run() that calls libraries, and one call to run_tool().

#include "amlops/core/environment.hpp"
#include "amlops/core/error.hpp"
#include "amlops/core/json.hpp"
#include "amlops/core/log.hpp"

#include <boost/program_options.hpp>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace amlops::cli {

namespace po = boost::program_options;

/// Static description of a tool, shown by --help.
struct tool_info {
    std::string name;      ///< executable name, e.g. "aml-transform"
    std::string summary;   ///< one line: what it does
    std::string usage;     ///< synopsis after the name, e.g. "[options] INPUT..."
    std::string epilog;    ///< optional text after the option list (examples, exit codes)
};

/// Flag declarations of one tool. Bind flags to fields of the tool's options aggregate; the
/// shared flags of the vocabulary (docs/CLI.md) come from vocabulary.hpp.
struct option_spec {
    po::options_description options{"Options"};
    po::positional_options_description positional;
    /// Old spellings kept working: parsed like `options`, never shown by --help.
    po::options_description hidden;
    /// Old spelling -> its replacement (names without dashes); using the old one logs a one-line
    /// deprecation warning.
    std::vector<std::pair<std::string, std::string>> deprecated;
};

/// What run() sees besides its options: logging, environment, output bookkeeping.
class context {
public:
    context(logger& log, env_lookup env) : log_(log), env_(std::move(env)) {}

    logger& log() noexcept { return log_; }
    const env_lookup& env() const noexcept { return env_; }

    /// Declares an output file that run() wrote; its sha256 is reported in the result document.
    void add_output(const std::string& name, const std::filesystem::path& path);
    /// Same, for a file whose SHA-256 (lower-case hex) the caller computed while writing it, so
    /// big outputs are not read back just to be hashed.
    void add_output(const std::string& name, const std::filesystem::path& path, const std::string& sha256_hex);
    const json::object& outputs() const noexcept { return outputs_; }

    /// Marks the outcome as "a check ran and said no": status "rejected", exit code 3,
    /// while run()'s result is still printed.
    void reject() noexcept { rejected_ = true; }
    bool rejected() const noexcept { return rejected_; }

    /// Prints `text` on stdout instead of the JSON result document when run() succeeds: for an
    /// output format the caller asked for (e.g. KEY=VALUE lines for $GITHUB_ENV). Errors still
    /// print the JSON error document.
    void print_instead(std::string text) { replacement_ = std::move(text); }
    const std::optional<std::string>& replacement() const noexcept { return replacement_; }

private:
    logger& log_;
    env_lookup env_;
    json::object outputs_;
    bool rejected_ = false;
    std::optional<std::string> replacement_;
};

using describe_fn = std::function<void(option_spec&)>;
using run_fn = std::function<json::value(context&)>;

/// Parses argv against the spec built by `describe` plus the common flags (--help, --version,
/// --log-level, --log-format, --quiet), calls `run`, prints the result document and returns the
/// exit code: 0 ok, 1 runtime failure, 2 usage/bad input, 3 rejected.
int run_tool(int argc, const char* const* argv, const tool_info& info, const describe_fn& describe,
             const run_fn& run, env_lookup env = system_env());

/// Convenience for mains: binds an options aggregate to describe/run.
template <class Options, class Describe, class Run>
int run_tool(int argc, const char* const* argv, const tool_info& info, Describe describe, Run run) {
    Options options{};
    return run_tool(
        argc, argv, info, [&](option_spec& spec) { describe(spec, options); },
        [&](context& ctx) -> json::value { return run(options, ctx); });
}

/// One verb of a multi-command tool (`aml-register list`, `aml-pipeline run`, ...).
struct subcommand {
    std::string name;     ///< verb, e.g. "list"
    std::string summary;  ///< one line for the tool's --help
    std::string usage;    ///< synopsis after "<tool> <verb>", e.g. "[options] URI"
    describe_fn describe;
    run_fn run;
};

/// Dispatches on argv[1]: a known verb runs that subcommand through run_tool (so it gets the
/// common flags, JSON result and exit codes); otherwise `default_verb` (if not empty) runs with
/// the full argv. `--help`/`--version` before any verb describe the tool and list the verbs.
/// An unknown verb with no default is a usage error (exit 2).
int run_subcommands(int argc, const char* const* argv, const tool_info& info,
                    const std::vector<subcommand>& verbs, const std::string& default_verb = {},
                    env_lookup env = system_env());

/// Parses "k=v" into a pair; throws error(usage) naming `flag`.
std::pair<std::string, std::string> parse_key_value(const std::string& text, const std::string& flag);

}  // namespace amlops::cli
