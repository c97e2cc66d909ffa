#pragma once
// Human logs to stderr (`aml-<tool>: <level>: <message>`) or JSON lines with --log-format=json.
// Messages pass through redact() so that a token or key that slips into a message is masked.

#include <chrono>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace amlops {

enum class log_level { debug = 0, info = 1, warn = 2, error = 3, quiet = 4 };
enum class log_format { text, json };

/// Masks secrets in free text: values of `Authorization:`/`Bearer`, `sig=`/SAS query parameters,
/// `client_secret=`, `client_assertion=`, `AccountKey=`, `password=`, `key=` and JWT-shaped strings.
std::string redact(std::string_view text);

/// A logger bound to one tool. Thread-safe. Sink is injectable for tests.
class logger {
public:
    using sink_fn = std::function<void(std::string_view line)>;

    explicit logger(std::string tool_name, log_level level = log_level::info,
                    log_format format = log_format::text, sink_fn sink = {});

    void set_level(log_level l) noexcept { level_ = l; }
    void set_format(log_format f) noexcept { format_ = f; }
    log_level level() const noexcept { return level_; }

    void log(log_level l, std::string_view message);
    void debug(std::string_view m) { log(log_level::debug, m); }
    void info(std::string_view m) { log(log_level::info, m); }
    void warn(std::string_view m) { log(log_level::warn, m); }
    void error(std::string_view m) { log(log_level::error, m); }

private:
    std::string tool_;
    log_level level_;
    log_format format_;
    sink_fn sink_;
    std::mutex mutex_;
};

/// Parses "debug|info|warn|error|quiet"; throws error(usage).
log_level parse_log_level(std::string_view s);

}  // namespace amlops
