#pragma once
// The transport: sends one request and returns the response. The Beast + OpenSSL implementation
// lives in the library's .cpp; callers see only this interface, and tests substitute fakes.

#include "amlops/core/environment.hpp"
#include "amlops/core/error.hpp"
#include "amlops/http/message.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace amlops::http {

/// Sends requests. Implementations are safe to call from several threads at once.
class transport {
public:
    virtual ~transport() = default;
    /// Sends `req` and returns the full response, whatever its status. Throws transport_error
    /// when no response was received (DNS, connect, TLS, timeout, connection reset), and
    /// amlops::error(config) when the request is refused before any connection is made
    /// (plain http to a non-loopback host, malformed URL).
    virtual response send(const request& req) = 0;
};

/// No response arrived. `retryable()` is true for transient failures (connection refused or
/// reset, timeouts, DNS) and false for ones a retry cannot fix (certificate verification).
/// Kind is always error_kind::network.
class transport_error : public amlops::error {
public:
    transport_error(const std::string& message, bool retryable)
        : amlops::error(error_kind::network, message), retryable_(retryable) {}
    bool retryable() const noexcept { return retryable_; }

private:
    bool retryable_;
};

/// Options of the Beast transport.
struct transport_options {
    /// PEM bundle of trusted CAs (the `--ca-file` option). When empty, $SSL_CERT_FILE (read
    /// through `env`) is used, else the system store (OpenSSL default paths).
    std::filesystem::path ca_file;
    /// TCP connect timeout (per resolved address attempt, whole handshake included).
    std::chrono::milliseconds connect_timeout{10'000};
    /// Limit for each read/write of a request or response (idle time, not total time).
    std::chrono::milliseconds read_timeout{60'000};
    /// Idle keep-alive connections kept per scheme://host:port (0 disables reuse).
    std::size_t max_idle_per_host = 4;
    /// Hosts besides loopback that may be reached over plain http, e.g. the IMDS address
    /// "169.254.169.254" for a managed-identity-only transport. Empty for every other use.
    std::vector<std::string> plain_http_hosts;
    /// Environment lookup (for SSL_CERT_FILE); default system_env().
    env_lookup env;
};

/// Counters for tests and diagnostics.
struct transport_stats {
    std::uint64_t connections_opened = 0;  ///< TCP connections established
    std::uint64_t requests_sent = 0;       ///< requests written
    std::uint64_t reused = 0;              ///< requests sent on a pooled connection
};

/// The real transport (Boost.Beast, OpenSSL 3): TLS 1.2+ with peer and hostname verification,
/// SNI, a small keep-alive pool per host, connect/read timeouts. Plain `http://` is allowed only
/// to loopback hosts (127.0.0.0/8, ::1, localhost) and `options.plain_http_hosts`; anything else
/// throws error(config) before resolving or connecting.
class beast_transport : public transport {
public:
    /// Throws error(config) when the CA file cannot be loaded.
    explicit beast_transport(transport_options options = {});
    ~beast_transport() override;
    beast_transport(const beast_transport&) = delete;
    beast_transport& operator=(const beast_transport&) = delete;

    response send(const request& req) override;
    /// Snapshot of the counters.
    transport_stats stats() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// A shared default transport (system CA store, default timeouts).
std::shared_ptr<transport> make_transport(transport_options options = {});

/// True for "localhost", IPv4 127.0.0.0/8 and "::1" (brackets allowed).
bool is_loopback_host(std::string_view host) noexcept;

}  // namespace amlops::http
