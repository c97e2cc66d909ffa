#pragma once
// One error type for every amlops library. Libraries throw amlops::error with a kind and whatever
// context they know (file, line, field, HTTP status, ...); only the shared tool runner
// (amlops/cli/tool.hpp) turns it into an exit code and a JSON error document.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace amlops {

/// What went wrong, from the caller's point of view. Decides the exit code.
enum class error_kind {
    usage,      ///< bad command line                       -> exit 2
    bad_input,  ///< malformed data or files                -> exit 2
    config,     ///< invalid configuration / policy / YAML  -> exit 2
    not_found,  ///< a named file, model or version is absent -> exit 2
    io,         ///< the file system failed                 -> exit 1
    network,    ///< transport failure                      -> exit 1
    auth,       ///< authentication / authorization failure -> exit 1
    service,    ///< a remote service answered with an error -> exit 1
    internal,   ///< a bug or a failing third-party library -> exit 1
    rejected,   ///< a check ran correctly and said no       -> exit 3
};

/// Stable lower-case name of a kind, as it appears in JSON results.
constexpr std::string_view to_string(error_kind k) noexcept {
    switch (k) {
    case error_kind::usage: return "usage";
    case error_kind::bad_input: return "bad_input";
    case error_kind::config: return "config";
    case error_kind::not_found: return "not_found";
    case error_kind::io: return "io";
    case error_kind::network: return "network";
    case error_kind::auth: return "auth";
    case error_kind::service: return "service";
    case error_kind::internal: return "internal";
    case error_kind::rejected: return "rejected";
    }
    return "internal";
}

/// Exit code for a kind: 1 runtime failure, 2 usage/bad input, 3 check said no (docs/CLI.md).
constexpr int exit_code_for(error_kind k) noexcept {
    switch (k) {
    case error_kind::usage:
    case error_kind::bad_input:
    case error_kind::config:
    case error_kind::not_found: return 2;
    case error_kind::rejected: return 3;
    default: return 1;
    }
}

/// Where and why an error happened. All fields optional; the message never contains secrets.
struct error_context {
    std::optional<std::string> file;
    std::optional<std::uint64_t> line;
    std::optional<std::string> field;
    std::optional<int> http_status;
    std::optional<std::string> service_code;
    std::optional<std::string> request_id;
};

/// The amlops exception. Build it fluently: `throw error(error_kind::bad_input, "bad date")
/// .in_file(path).at_line(12).on_field("pickup_datetime");`
class error : public std::runtime_error {
public:
    error(error_kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}

    error_kind kind() const noexcept { return kind_; }
    const error_context& context() const noexcept { return ctx_; }
    int exit_code() const noexcept { return exit_code_for(kind_); }

    error& in_file(std::string f) & { ctx_.file = std::move(f); return *this; }
    error& at_line(std::uint64_t l) & { ctx_.line = l; return *this; }
    error& on_field(std::string f) & { ctx_.field = std::move(f); return *this; }
    error& with_http_status(int s) & { ctx_.http_status = s; return *this; }
    error& with_service_code(std::string c) & { ctx_.service_code = std::move(c); return *this; }
    error& with_request_id(std::string r) & { ctx_.request_id = std::move(r); return *this; }
    error&& in_file(std::string f) && { return std::move(in_file(std::move(f))); }
    error&& at_line(std::uint64_t l) && { return std::move(at_line(l)); }
    error&& on_field(std::string f) && { return std::move(on_field(std::move(f))); }
    error&& with_http_status(int s) && { return std::move(with_http_status(s)); }
    error&& with_service_code(std::string c) && { return std::move(with_service_code(std::move(c))); }
    error&& with_request_id(std::string r) && { return std::move(with_request_id(std::move(r))); }

    /// "file:line: field: message" with whatever context is known, for human logs.
    std::string describe() const {
        // Built with append() rather than operator+ chains: GCC 12 emits a false -Wrestrict there.
        std::string out;
        if (ctx_.file) {
            out.append(*ctx_.file);
            if (ctx_.line) out.append(":").append(std::to_string(*ctx_.line));
            out.append(": ");
        }
        if (ctx_.field) out.append("field '").append(*ctx_.field).append("': ");
        out.append(what());
        if (ctx_.http_status) out.append(" (HTTP ").append(std::to_string(*ctx_.http_status)).append(")");
        if (ctx_.service_code) out.append(" [").append(*ctx_.service_code).append("]");
        if (ctx_.request_id) out.append(" request-id=").append(*ctx_.request_id);
        return out;
    }

private:
    error_kind kind_;
    error_context ctx_;
};

}  // namespace amlops
