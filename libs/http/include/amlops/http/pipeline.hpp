#pragma once
// A policy pipeline around a transport, in the shape of the Azure SDKs: each policy may change
// the request, call the next stage (possibly several times) and inspect the response.
//   client request id -> user agent -> retry -> bearer token -> logging -> transport
// Clock, sleep and jitter are injectable so retry tests run instantly.

#include "amlops/core/log.hpp"
#include "amlops/http/transport.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace amlops::http {

// ---------------------------------------------------------------------------------------------
// Tokens (the interface libs/auth implements; lives here so http does not depend on auth)

/// An access token and the wall-clock time it stops being valid.
struct access_token {
    std::string token;
    std::chrono::system_clock::time_point expires_on{};
};

/// Something that can produce a bearer token for a scope such as
/// "https://management.azure.com/.default". Implementations are thread-safe.
class token_credential {
public:
    virtual ~token_credential() = default;
    /// Returns a token valid for `scope`. Throws amlops::error(auth) (or network) on failure;
    /// messages never contain secrets.
    virtual access_token get_token(const std::string& scope) = 0;
    /// Short human name for messages ("environment (client secret)", "Azure CLI", ...).
    virtual std::string name() const = 0;
};

// ---------------------------------------------------------------------------------------------
// Policies

/// The rest of the pipeline after a policy; call it to send the (possibly modified) request.
class next_policy {
public:
    using fn = std::function<response(request&)>;
    explicit next_policy(fn f) : f_(std::move(f)) {}
    response operator()(request& req) const { return f_(req); }

private:
    fn f_;
};

/// One stage of the pipeline. `send` may be called concurrently from several threads.
class policy {
public:
    virtual ~policy() = default;
    virtual response send(request& req, const next_policy& next) = 0;
};

/// Sets `x-ms-client-request-id` to a fresh UUID unless the caller already set one (kept the
/// same across retries so the service can correlate attempts).
class client_request_id_policy : public policy {
public:
    explicit client_request_id_policy(std::function<std::string()> id_source = {});
    response send(request& req, const next_policy& next) override;

private:
    std::function<std::string()> id_source_;
};

/// Sets `User-Agent` (e.g. "amlops/0.1.0 (aml-register)") unless already set.
class user_agent_policy : public policy {
public:
    explicit user_agent_policy(std::string user_agent);
    response send(request& req, const next_policy& next) override;

private:
    std::string user_agent_;
};

/// Retry settings. Defaults follow the Azure SDK guidance (docs/AZURE.md).
struct retry_options {
    int max_retries = 3;                                 ///< retries after the first attempt
    std::chrono::milliseconds base_delay{800};           ///< first backoff before jitter
    double multiplier = 2.0;                             ///< backoff growth per retry
    double jitter_min = 0.8;                             ///< jitter factor range
    double jitter_max = 1.3;
    std::chrono::milliseconds max_delay{60'000};         ///< cap for one computed backoff
    std::chrono::milliseconds max_elapsed{300'000};      ///< give up when the next wait would pass this
    std::vector<int> statuses{408, 429, 500, 502, 503, 504};  ///< retried statuses

    /// Monotonic clock for elapsed time; default std::chrono::steady_clock::now.
    std::function<std::chrono::steady_clock::time_point()> now;
    /// Wall clock for `Retry-After: <HTTP date>`; default system_clock::now.
    std::function<std::chrono::system_clock::time_point()> wall_now;
    /// Waits; default std::this_thread::sleep_for.
    std::function<void(std::chrono::milliseconds)> sleep;
    /// Returns a factor in [jitter_min, jitter_max]; default a thread-local PRNG.
    std::function<double()> jitter;
};

/// Retries retryable statuses and retryable transport_errors. The delay is the server's
/// `retry-after-ms`, `x-ms-retry-after-ms` or `Retry-After` (seconds or HTTP date), else
/// min(base * multiplier^n * jitter, max_delay) for retry n (0-based). When the retries or the elapsed budget run out
/// the last response is returned (or the last transport_error rethrown, its message noting the
/// attempts).
class retry_policy : public policy {
public:
    explicit retry_policy(retry_options options = {});
    response send(request& req, const next_policy& next) override;

    /// The wait the server asked for in `headers`, if any (exposed for the LRO poller and tests).
    static std::optional<std::chrono::milliseconds> server_delay(
        const fields& headers, std::chrono::system_clock::time_point wall_now);
    /// Backoff before retry number `retry` (0-based) for a jitter factor, without server hints.
    std::chrono::milliseconds backoff(int retry, double jitter_factor) const;

private:
    retry_options options_;
};

/// Sets `Authorization: Bearer <token>` from a credential for a scope, asking the credential on
/// every attempt (wrap the credential in auth::cached_credential to avoid new token requests).
class bearer_token_policy : public policy {
public:
    bearer_token_policy(std::shared_ptr<token_credential> credential, std::string scope);
    response send(request& req, const next_policy& next) override;

private:
    std::shared_ptr<token_credential> credential_;
    std::string scope_;
};

/// Allow-lists for logging: only these header names and query parameter names are logged with
/// their values; every other value is shown as "REDACTED". Names compare case-insensitively.
struct log_allow_list {
    std::vector<std::string> headers;
    std::vector<std::string> query_parameters;
    /// The defaults: request ids, content type/length, retry headers, api-version, ...
    static log_allow_list defaults();
};

/// Logs each attempt at debug level ("GET https://host/path?api-version=... -> 200 in 12 ms")
/// with allow-listed headers, and failures at warn level. Never logs bodies.
class logging_policy : public policy {
public:
    logging_policy(amlops::logger& log, log_allow_list allow = log_allow_list::defaults(),
                   std::function<std::chrono::steady_clock::time_point()> now = {});
    response send(request& req, const next_policy& next) override;

    /// The URL with every non-allow-listed query value replaced by REDACTED.
    std::string redact_url(const std::string& url) const;
    /// "name: value" lines with non-allow-listed values replaced by REDACTED.
    std::string redact_headers(const fields& headers) const;

private:
    amlops::logger& log_;
    log_allow_list allow_;
    std::function<std::chrono::steady_clock::time_point()> now_;
};

// ---------------------------------------------------------------------------------------------
// The pipeline

/// A transport made of policies in front of another transport. Itself a transport, so clients
/// take a `transport&` and tests pass a fake one directly.
class pipeline : public transport {
public:
    pipeline(std::vector<std::shared_ptr<policy>> policies, std::shared_ptr<transport> inner);
    /// Copies `req` and runs it through every policy, then the inner transport.
    response send(const request& req) override;

private:
    response run(std::size_t index, request& req) const;
    std::vector<std::shared_ptr<policy>> policies_;
    std::shared_ptr<transport> inner_;
};

/// What make_pipeline assembles.
struct pipeline_options {
    std::string user_agent = "amlops";
    retry_options retry;
    /// Adds bearer_token_policy when set.
    std::shared_ptr<token_credential> credential;
    std::string scope;
    /// Adds logging_policy when set (must outlive the pipeline).
    amlops::logger* log = nullptr;
    log_allow_list allow = log_allow_list::defaults();
    /// Source of client request ids; default random UUIDs.
    std::function<std::string()> request_id_source;
};

/// The standard pipeline: request id, user agent, retry, bearer token, logging, `inner`.
std::shared_ptr<pipeline> make_pipeline(pipeline_options options, std::shared_ptr<transport> inner);

}  // namespace amlops::http
