// Blocking loopback HTTP client on Beast's synchronous API; timeouts come from SO_RCVTIMEO /
// SO_SNDTIMEO so a hung server surfaces as an error instead of a hung test.
#include "http_client.hpp"

#include "amlops/core/error.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <optional>

namespace amlops::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct client_connection::impl {
    std::string host;
    std::uint16_t port;
    std::chrono::milliseconds timeout;
    net::io_context ioc;
    std::optional<tcp::socket> socket;
    beast::flat_buffer buffer;

    std::string where() const { return host + ":" + std::to_string(port); }

    void connect() {
        socket.reset();
        buffer.clear();
        beast::error_code ec;
        tcp::resolver resolver(ioc);
        auto results = resolver.resolve(host, std::to_string(port), ec);
        if (ec) throw error(error_kind::network, "cannot resolve " + where() + ": " + ec.message());
        tcp::socket s(ioc);
        net::connect(s, results, ec);
        if (ec) throw error(error_kind::network, "cannot connect to " + where() + ": " + ec.message());
        s.set_option(tcp::no_delay(true), ec);
        timeval tv{};
        tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
        tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
        ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(s.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        socket.emplace(std::move(s));
    }

    // Returns nullopt when the kept-alive connection turned out to be closed before any byte of
    // the response arrived (the caller may retry once on a new connection).
    std::optional<client_response> exchange(const http::request<http::string_body>& req) {
        beast::error_code ec;
        http::write(*socket, req, ec);
        if (ec) {
            if (ec == net::error::broken_pipe || ec == net::error::connection_reset) return std::nullopt;
            throw error(error_kind::network, "sending to " + where() + " failed: " + ec.message());
        }
        http::response_parser<http::string_body> parser;
        parser.body_limit(std::numeric_limits<std::uint64_t>::max());
        http::read(*socket, buffer, parser, ec);
        if (ec) {
            if ((ec == http::error::end_of_stream || ec == net::error::connection_reset) && !parser.got_some()) {
                return std::nullopt;
            }
            throw error(error_kind::network, "reading the response from " + where() + " failed: " + ec.message());
        }
        auto& msg = parser.get();
        client_response out;
        out.status = msg.result_int();
        out.content_type = std::string(msg[http::field::content_type]);
        for (const auto& f : msg) {
            std::string name(f.name_string());
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            out.headers.emplace_back(std::move(name), std::string(f.value()));
        }
        out.body = std::move(msg.body());
        out.close = !msg.keep_alive();
        if (out.close) {
            beast::error_code ignored;
            socket->shutdown(tcp::socket::shutdown_both, ignored);
            socket.reset();
        }
        return out;
    }
};

client_connection::client_connection(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<impl>()) {
    impl_->host = host;
    impl_->port = port;
    impl_->timeout = timeout;
    impl_->connect();
}

client_connection::client_connection(client_connection&&) noexcept = default;
client_connection& client_connection::operator=(client_connection&&) noexcept = default;
client_connection::~client_connection() = default;

bool client_connection::is_open() const noexcept { return impl_ && impl_->socket.has_value(); }

client_response client_connection::send(const client_request& r, const std::vector<header>& headers) {
    http::request<http::string_body> req;
    req.method_string(r.method);
    req.target(r.target);
    req.version(11);
    req.set(http::field::host, impl_->host);
    bool has_type = false;
    for (const auto& [k, v] : headers) {
        req.set(k, v);
        std::string lower = k;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        has_type = has_type || lower == "content-type";
    }
    if (!r.body.empty() && !has_type) req.set(http::field::content_type, "application/json");
    req.body() = r.body;
    req.prepare_payload();
    req.keep_alive(true);
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (!impl_->socket) impl_->connect();
        if (auto res = impl_->exchange(req)) return std::move(*res);
        impl_->socket.reset();
    }
    throw error(error_kind::network, "connection to " + impl_->where() + " closed before a response");
}

client_response fetch(const std::string& host, std::uint16_t port, const client_request& r,
                      const std::vector<header>& headers, std::chrono::milliseconds timeout) {
    client_connection c(host, port, timeout);
    return c.send(r, headers);
}

}  // namespace amlops::server
