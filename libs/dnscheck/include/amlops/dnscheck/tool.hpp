#pragma once
// aml-dnscheck's flags and its whole run (gather, resolve, judge, write the report, reject on a
// failure), so the tool main is only its --help text and one call.

#include "amlops/cli/tool.hpp"
#include "amlops/dnscheck/run.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace amlops::dnscheck {

/// The flags as given; turned into run_options by run_tool().
struct tool_options {
    run_options run;
    std::string format = "table", report, platform, ca_file;
    std::vector<std::string> expect;
    std::int64_t timeout_ms = 1000, retries = 1, concurrency = 256, max_hops = 16;
};

/// Binds aml-dnscheck's flags (shared vocabulary for --ca-file, ranges checked while parsing).
void describe_flags(cli::option_spec& spec, tool_options& options);

/// Runs the check, writes the report (table or JUnit to --report FILE or stderr; json: none),
/// marks the outcome rejected when a name fails and returns the JSON result.
json::value run_tool(tool_options& options, cli::context& ctx);

}  // namespace amlops::dnscheck
