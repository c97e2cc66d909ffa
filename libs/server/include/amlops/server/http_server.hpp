#pragma once
// A small, generic, asynchronous HTTP/1.1 server (Boost.Beast/Asio behind this interface: the
// header pulls in no Boost.Asio, so users compile fast and never see Beast types).
//
// Shape (docs/ARCHITECTURE.md: a pure core in a thin I/O shell): the connection code only moves bytes; what to
// answer is decided by one pure function object `handler: (const request&) -> response` that the
// server calls on its I/O threads. The handler must be thread-safe (it runs concurrently on up to
// `threads` threads) and should not block for long (a blocked call holds one I/O thread).
//
// What the server does for you:
//   - N threads, each running its own io_context; each connection is given to one thread when it
//     is accepted (round robin) and stays there, so a slow handler delays that thread's other
//     connections (not the other threads'). HTTP/1.1 keep-alive (and 1.0).
//   - Timeouts: `header_timeout` covers waiting for a complete request header (including the idle
//     time of a kept-alive connection), `body_timeout` reading the body, `write_timeout` writing
//     the response: a slow or stalled client is disconnected and never holds a thread.
//   - `max_body` bytes per request body: larger -> 413 (decided from Content-Length before the
//     body is read when possible); header over `max_header` -> 431; unparsable request -> 400.
//     These three close the connection after the response.
//   - `Expect: 100-continue` is answered so curl-style clients send their bodies at once.
//   - At most `max_connections` open connections; one more is answered 503 and closed.
//   - Graceful stop(): stop accepting, close idle keep-alive connections, let requests being read,
//     handled or written finish (each then gets `Connection: close`), then return. Connections
//     still open after `drain_timeout` are closed forcibly.
//   - Handler exceptions become 500 with a generic message (the exception text is not leaked).
//
// Error bodies produced by the server itself are JSON:
//   {"error": {"status": 413, "message": "request body exceeds 10485760 bytes"}}
//
// Usage:
//   #include "amlops/server/http_server.hpp"
//   namespace srv = amlops::server;
//   srv::server_config cfg;
//   cfg.port = 0;                       // ephemeral; read the bound port with port()
//   srv::http_server server(cfg, [](const srv::request& req) {
//       srv::response res;
//       if (req.path() == "/hello") { res.body = R"({"hello":"world"})"; }
//       else { res.status = 404; res.body = R"({"error":"not found"})"; }
//       return res;
//   });
//   server.stop_on_signals();           // optional: SIGINT/SIGTERM -> graceful stop
//   server.start();                     // binds and starts the threads; throws on bind failure
//   std::cout << server.port() << "\n";
//   server.wait();                      // until stop() / a signal has drained everything
//
// Tests and embedded uses (e.g. an emulator inside a test process) call stop() directly; the
// destructor also stops and joins.

#include "amlops/core/log.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace amlops::server {

/// One HTTP header: name lower-cased on requests (HTTP names are case-insensitive), as given on
/// responses.
using header = std::pair<std::string, std::string>;

/// A complete HTTP request as the handler sees it.
struct request {
    std::string method;            ///< upper case as sent, e.g. "GET", "POST"
    std::string target;            ///< request target as sent, e.g. "/score?verbose=1"
    std::vector<header> headers;   ///< in arrival order, names lower-cased
    std::string body;              ///< the whole body (at most server_config::max_body bytes)
    std::string remote_address;    ///< peer IP address, e.g. "127.0.0.1"
    bool remote_is_loopback = false;  ///< peer is 127.0.0.0/8 or ::1
    unsigned version = 11;         ///< 10 for HTTP/1.0, 11 for HTTP/1.1

    /// Value of the first header named `name` (case-insensitive), or "" when absent.
    std::string_view header_value(std::string_view name) const noexcept;
    /// True when a header named `name` is present (case-insensitive).
    bool has_header(std::string_view name) const noexcept;
    /// The target without its query string ("/score?x=1" -> "/score").
    std::string_view path() const noexcept;
    /// The query string without '?', or "".
    std::string_view query() const noexcept;
};

/// The handler's answer. Content-Length, Connection and Server are set by the server.
struct response {
    unsigned status = 200;
    std::string content_type = "application/json";  ///< empty: no Content-Type header
    std::vector<header> headers;                    ///< extra headers
    std::string body;
    /// Ask the server to close the connection after this response.
    bool close = false;

    /// Value of the first header named `name` (case-insensitive) in `headers`, or "".
    std::string_view header_value(std::string_view name) const noexcept;

    /// Adds a header (no de-duplication).
    response& set(std::string name, std::string value) {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }
};

/// Builds `{"error": {"status": <status>, "message": "<message>"}}` with JSON escaping.
response error_response(unsigned status, std::string_view message);

/// The request handler: a pure function of the request (thread-safe; see file comment).
using handler = std::function<response(const request&)>;

/// Server settings. Durations are wall-clock limits per phase of one request.
struct server_config {
    std::string host = "127.0.0.1";     ///< address to bind; "0.0.0.0" / "::" for all
    std::uint16_t port = 0;             ///< 0 = ephemeral (see http_server::port())
    unsigned threads = 2;               ///< I/O threads running the handler (>= 1)
    std::size_t max_body = 10u << 20;   ///< bytes; larger bodies get 413
    std::size_t max_header = 16u << 10; ///< bytes of request line + headers; larger get 431
    std::size_t max_connections = 10000;  ///< open connections; more are answered 503
    std::chrono::milliseconds header_timeout{10'000};  ///< idle keep-alive + header read
    std::chrono::milliseconds body_timeout{30'000};
    std::chrono::milliseconds write_timeout{30'000};
    std::chrono::milliseconds drain_timeout{30'000};   ///< stop(): forced close after this
    int backlog = 1024;                 ///< listen() backlog
    std::string server_name = "amlops"; ///< Server header
    /// Where a handler's escaped exception is logged (with the request's x-request-id) before the
    /// client gets a 500; nullptr: stderr.
    amlops::logger* log = nullptr;
};

/// Counters exposed for metrics and tests (monotonic except the gauges).
struct server_stats {
    std::uint64_t connections_accepted = 0;
    std::uint64_t connections_rejected = 0;  ///< over max_connections
    std::uint64_t timeouts = 0;              ///< connections closed by a read/write timeout
    std::uint64_t requests = 0;              ///< requests handed to the handler
    std::size_t open_connections = 0;        ///< gauge
    std::size_t in_flight = 0;               ///< gauge: requests inside the handler
};

/// The server. Not copyable or movable (its threads refer to it).
class http_server {
public:
    /// Stores the settings; nothing is bound until start(). Throws error(usage) for threads == 0.
    http_server(server_config config, handler h);
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;
    /// Stops gracefully (as stop()) and joins the threads.
    ~http_server();

    /// Binds host:port, starts listening and starts the I/O threads. Throws error(network) naming
    /// the address when it cannot bind (e.g. port in use) or error(usage) for a bad host.
    void start();
    /// The bound port (useful with port 0). Valid after start().
    std::uint16_t port() const noexcept;

    /// Installs SIGINT/SIGTERM handling on the server's io_context: the first signal calls
    /// `on_signal` (if set; e.g. to flip readiness to 503) and then begins a graceful stop.
    /// Registered at once, so call it before start() (or right after, before any stop) to leave
    /// no window where a signal would still kill the process.
    void stop_on_signals(std::function<void(int signal)> on_signal = {});

    /// Begins a graceful stop (see file comment) and returns at once. Idempotent; thread-safe;
    /// may be called from the handler.
    void request_stop();
    /// request_stop() + wait().
    void stop();
    /// Blocks until the server has stopped and every I/O thread has returned.
    void wait();

    /// True once a stop has begun.
    bool stopping() const noexcept;
    /// A snapshot of the counters.
    server_stats stats() const noexcept;

    struct impl;  ///< implementation detail (public only so the .cpp's classes can name it)

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace amlops::server
