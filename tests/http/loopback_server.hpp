#pragma once
// A tiny HTTP(S) server on 127.0.0.1 with an ephemeral port, for tests: one thread per connection,
// keep-alive honoured, a handler maps each request to a response. Counts accepted connections so
// tests can prove connection reuse. Beast stays out of this header like it does for the library.

#include "amlops/http/message.hpp"

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace amlops::test {

/// Certificate chain + private key files (PEM) for a TLS server.
struct tls_files {
    std::filesystem::path cert_chain;
    std::filesystem::path key;
};

class loopback_server {
public:
    /// Maps a request to a response; a handler that throws makes the server drop the connection
    /// without answering (fault injection).
    using handler = std::function<http::response(const http::request&)>;
    /// Starts listening on 127.0.0.1:0 (plain http, or TLS when `tls` is given).
    explicit loopback_server(handler h, const tls_files* tls = nullptr);
    ~loopback_server();
    loopback_server(const loopback_server&) = delete;
    loopback_server& operator=(const loopback_server&) = delete;

    std::uint16_t port() const noexcept;
    /// "http(s)://<host>:<port>".
    std::string base_url(const std::string& host = "127.0.0.1") const;
    /// TCP connections accepted so far.
    int accepts() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// Test PKI (EC P-256 keys, fast to generate) made with the `openssl` CLI: a CA, and a server certificate signed by it for
/// `localhost` and IP 127.0.0.1; a second, unrelated CA (for the wrong-CA test); and a server
/// certificate from the right CA for `wrong.example` only (for the hostname-mismatch test).
struct test_pki {
    std::filesystem::path ca_cert, other_ca_cert, server_chain, server_key, wrong_name_chain, wrong_name_key;
};
/// Generates the files under `dir`; throws std::runtime_error when openssl fails.
test_pki make_test_pki(const std::filesystem::path& dir);

}  // namespace amlops::test
