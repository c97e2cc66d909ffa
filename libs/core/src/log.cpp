#include "amlops/core/log.hpp"

#include "amlops/core/error.hpp"

#include <boost/json.hpp>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <regex>

namespace amlops {

namespace {
// Each pattern keeps its first group (the "name" part) and masks the secret value that follows.
// The list is the allow-list of shapes we know secrets take; new credential types add a row here.
const std::vector<std::regex>& secret_patterns() {
    static const std::vector<std::regex> patterns = [] {
        const auto flags = std::regex::ECMAScript | std::regex::icase;
        return std::vector<std::regex>{
            std::regex(R"((authorization\s*[:=]\s*)([^\r\n,;]+))", flags),
            std::regex(R"((bearer\s+)([A-Za-z0-9._~+/=-]+))", flags),
            std::regex(R"(((?:^|[?&\s])(?:sig|se|skoid|sktid|skt|ske|sks|skv|code)=)([^&\s"]+))", flags),
            std::regex(R"(((?:client_secret|client_assertion|password|accountkey|access_token|refresh_token|api[_-]?key|key|secret|token)\s*["']?\s*[:=]\s*["']?)([^&\s"',;}]+))", flags),
            std::regex(R"(()(eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*))", flags),
        };
    }();
    return patterns;
}

std::string_view level_name(log_level l) {
    switch (l) {
    case log_level::debug: return "debug";
    case log_level::info: return "info";
    case log_level::warn: return "warning";
    case log_level::error: return "error";
    case log_level::quiet: return "quiet";
    }
    return "info";
}
}  // namespace

std::string redact(std::string_view text) {
    std::string out(text);
    for (const auto& re : secret_patterns()) out = std::regex_replace(out, re, "$1***");
    return out;
}

logger::logger(std::string tool_name, log_level level, log_format format, sink_fn sink)
    : tool_(std::move(tool_name)), level_(level), format_(format), sink_(std::move(sink)) {
    if (!sink_) {
        sink_ = [](std::string_view line) {
            std::fwrite(line.data(), 1, line.size(), stderr);
            std::fflush(stderr);
        };
    }
}

void logger::log(log_level l, std::string_view message) {
    if (l < level_ || level_ == log_level::quiet) return;
    const std::string safe = redact(message);
    std::string line;
    if (format_ == log_format::json) {
        char ts[32];
        std::time_t now = std::time(nullptr);
        std::tm tm{};
        gmtime_r(&now, &tm);
        std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
        boost::json::object o{{"time", ts}, {"tool", tool_}, {"level", level_name(l)}, {"message", safe}};
        line = boost::json::serialize(o);
    } else {
        line = tool_ + ": " + std::string(level_name(l)) + ": " + safe;
    }
    line += '\n';
    std::lock_guard lock(mutex_);
    sink_(line);
}

log_level parse_log_level(std::string_view s) {
    if (s == "debug") return log_level::debug;
    if (s == "info") return log_level::info;
    if (s == "warn" || s == "warning") return log_level::warn;
    if (s == "error") return log_level::error;
    if (s == "quiet") return log_level::quiet;
    throw error(error_kind::usage, "unknown log level '" + std::string(s) + "' (debug|info|warn|error|quiet)")
        .on_field("--log-level");
}

}  // namespace amlops
