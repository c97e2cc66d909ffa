#pragma once
// Where xgboost's own log lines (warnings about parameters, progress at higher verbosity) go.
// By default libxgboost prints them to stderr itself; tools route them into their logger.

#include <functional>
#include <string_view>

namespace amlops::xgb {

/// Sends every xgboost log line to `handler` (process-wide; may be called from xgboost's
/// threads, calls are serialized). An empty handler discards the lines.
/// Throws error(internal) if xgboost refuses the callback.
void set_log_handler(std::function<void(std::string_view)> handler);

}  // namespace amlops::xgb
