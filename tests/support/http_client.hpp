#pragma once
// A minimal blocking HTTP/1.1 client over plain TCP, for talking to http_server instances on
// loopback: tests, local tools (an emulator, a local endpoint's admin API). Not a general web
// client: no TLS, no redirects, no proxies. Uses the same request/response types as the server.
//
//   amlops::server::client_connection c("127.0.0.1", port);
//   auto res = c.send({.method = "POST", .target = "/score", .body = R"({"data": [[1,2]]})"},
//                     {{"content-type", "application/json"}});
//   // res.status, res.body, res.headers (names lower-cased)

#include "amlops/server/http_server.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace amlops::server {

/// A request to send: method, target, body; headers go in the `headers` argument of send().
struct client_request {
    std::string method = "GET";
    std::string target = "/";
    std::string body;
};

/// A received response. Header names are lower-cased; `content_type` is filled from them.
using client_response = response;

/// One keep-alive connection to host:port. Not thread-safe (one request at a time); cheap enough
/// to make one per thread.
class client_connection {
public:
    /// Connects (blocking). Throws error(network) naming host:port when it cannot connect.
    client_connection(const std::string& host, std::uint16_t port,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30));
    client_connection(client_connection&&) noexcept;
    client_connection& operator=(client_connection&&) noexcept;
    ~client_connection();

    /// Sends one request and reads the response. Sets Host, Content-Length and (when a body is
    /// given and no content-type header is) `Content-Type: application/json`. Reconnects once if
    /// the server had closed the kept-alive connection. Throws error(network) on a transport
    /// failure or timeout (each send must finish within the timeout).
    client_response send(const client_request& r, const std::vector<header>& headers = {});

    /// True while the connection is open (the server has not asked to close it).
    bool is_open() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// One request on a fresh connection (see client_connection::send).
client_response fetch(const std::string& host, std::uint16_t port, const client_request& r,
                      const std::vector<header>& headers = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace amlops::server
