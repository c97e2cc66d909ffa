// The Beast + OpenSSL transport. Every socket operation is asynchronous on a per-connection
// io_context and driven to completion right away: that is how Beast's tcp_stream timeouts work,
// and it keeps the public interface synchronous.

#include "amlops/http/transport.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>

namespace amlops::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

bool is_loopback_host(std::string_view host) noexcept {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (iequals(host, "localhost")) return true;
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(std::string(host), ec);
    return !ec && addr.is_loopback();
}

namespace {

std::string describe(const url& u) { return u.scheme + "://" + u.authority(); }

/// One kept-alive connection with its own io_context (declared first so it outlives the streams).
struct connection {
    asio::io_context ioc{1};
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
    beast::flat_buffer buffer;

    beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

/// Starts `start(handler)` and runs the io_context until the handler ran; returns its error.
template <class Start>
beast::error_code run_op(asio::io_context& ioc, Start&& start) {
    beast::error_code result = asio::error::would_block;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
}

std::string ms_text(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

}  // namespace

struct beast_transport::impl {
    transport_options options;
    ssl::context ctx{ssl::context::tls_client};
    std::mutex mutex;
    std::map<std::string, std::vector<std::unique_ptr<connection>>> pool;
    std::atomic<std::uint64_t> opened{0}, sent{0}, reused{0};

    explicit impl(transport_options o) : options(std::move(o)) {
        if (!options.env) options.env = system_env();
        ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        if (SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION) != 1)
            throw error(error_kind::internal, "cannot require TLS 1.2 in OpenSSL");
        ctx.set_verify_mode(ssl::verify_peer);
    }

    // The trust store is loaded on the first TLS connection, not at construction: a transport
    // used only for plain http to loopback (emulators, the local endpoint) must work on a machine
    // without a CA bundle. A load failure is kept and reported on every TLS attempt.
    std::once_flag trust_once;
    std::optional<error> trust_error;

    void load_trust_store() {
        std::filesystem::path ca = options.ca_file;
        std::string origin = "CA file";
        if (ca.empty()) {
            if (auto env_ca = options.env("SSL_CERT_FILE"); env_ca && !env_ca->empty()) {
                ca = *env_ca;
                origin = "CA file from SSL_CERT_FILE";
            }
        }
        boost::system::error_code ec;
        if (!ca.empty()) {
            ctx.load_verify_file(ca.string(), ec);
            if (ec) trust_error = error(error_kind::config, origin + " '" + ca.string() + "' cannot be loaded: " + ec.message());
        } else {
            ctx.set_default_verify_paths(ec);
            if (ec) trust_error = error(error_kind::config, "cannot load the system CA store: " + ec.message());
        }
    }

    ssl::context& tls_context() {
        std::call_once(trust_once, [this] { load_trust_store(); });
        if (trust_error) throw *trust_error;
        return ctx;
    }

    static std::string pool_key(const url& u) { return u.scheme + "://" + u.authority(); }

    std::unique_ptr<connection> take(const std::string& key) {
        std::lock_guard lock(mutex);
        auto it = pool.find(key);
        if (it == pool.end() || it->second.empty()) return nullptr;
        auto c = std::move(it->second.back());
        it->second.pop_back();
        return c;
    }

    void give_back(const std::string& key, std::unique_ptr<connection> c) {
        std::lock_guard lock(mutex);
        auto& idle = pool[key];
        if (idle.size() < options.max_idle_per_host) idle.push_back(std::move(c));
    }

    void check_allowed(const url& u) const {
        if (u.scheme == "https" || is_loopback_host(u.host)) return;
        for (const auto& h : options.plain_http_hosts)
            if (iequals(h, u.host)) return;
        throw error(error_kind::config, "refusing plain http to non-loopback host '" + u.host +
                                            "': use https (http:// is only allowed to 127.0.0.0/8, ::1 and localhost)");
    }

    std::unique_ptr<connection> open(const url& u) {
        auto c = std::make_unique<connection>();
        boost::system::error_code ec;
        std::vector<tcp::endpoint> endpoints;
        const bool plain = u.scheme == "http";
        if (iequals(u.host, "localhost")) {
            // "localhost" is the loopback interface by definition (RFC 6761 §6.3), so it is not
            // looked up: a minimal container without /etc/hosts cannot resolve it, and a resolver
            // that answers with a routable address must not be trusted with it.
            endpoints = {{asio::ip::address_v4::loopback(), u.port}, {asio::ip::address_v6::loopback(), u.port}};
        } else {
            tcp::resolver resolver(c->ioc);
            auto results = resolver.resolve(u.host, std::to_string(u.port), ec);
            if (ec) throw transport_error("cannot resolve host '" + u.host + "': " + ec.message(), true);
            for (const auto& r : results) {
                // A loopback-only name must not resolve to a routable address and carry plaintext off the host.
                if (plain && is_loopback_host(u.host) && !r.endpoint().address().is_loopback()) continue;
                endpoints.push_back(r.endpoint());
            }
        }
        if (endpoints.empty()) throw transport_error("host '" + u.host + "' resolved to no usable address", false);

        c->plain.emplace(c->ioc);
        c->plain->expires_after(options.connect_timeout);
        ec = run_op(c->ioc, [&](auto h) { c->plain->async_connect(endpoints, std::move(h)); });
        if (ec == beast::error::timeout)
            throw transport_error("connect to " + describe(u) + " timed out after " + ms_text(options.connect_timeout), true);
        if (ec) throw transport_error("cannot connect to " + describe(u) + ": " + ec.message(), true);
        ++opened;
        if (plain) return c;

        c->tls.emplace(std::move(*c->plain), tls_context());
        c->plain.reset();
        SSL* ssl_handle = c->tls->native_handle();
        boost::system::error_code addr_ec;
        asio::ip::make_address(u.host, addr_ec);
        const bool is_ip = !addr_ec;
        if (is_ip) {
            if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), u.host.c_str()) != 1)
                throw error(error_kind::internal, "OpenSSL refused IP address '" + u.host + "' for verification");
        } else {
            // SNI is for DNS names only (RFC 6066 §3); hostname verification for names and IPs.
            if (SSL_set_tlsext_host_name(ssl_handle, u.host.c_str()) != 1 || SSL_set1_host(ssl_handle, u.host.c_str()) != 1)
                throw error(error_kind::internal, "OpenSSL refused host name '" + u.host + "'");
        }
        beast::get_lowest_layer(*c->tls).expires_after(options.connect_timeout);
        ec = run_op(c->ioc, [&](auto h) { c->tls->async_handshake(ssl::stream_base::client, std::move(h)); });
        if (ec) {
            const long verify = SSL_get_verify_result(ssl_handle);
            if (verify != X509_V_OK)
                throw transport_error("TLS certificate verification failed for " + describe(u) + ": " +
                                          X509_verify_cert_error_string(verify),
                                      false);
            if (ec == beast::error::timeout)
                throw transport_error("TLS handshake with " + describe(u) + " timed out after " +
                                          ms_text(options.connect_timeout), true);
            const bool tls_level = ec.category() == asio::error::get_ssl_category();
            throw transport_error("TLS handshake with " + describe(u) + " failed: " + ec.message(), !tls_level);
        }
        return c;
    }

    /// Writes the request and reads the response; a failed exchange leaves `got_response` false
    /// when not a single response byte arrived (the signal that a pooled connection had gone stale).
    template <class Stream>
    beast::error_code exchange(connection& c, Stream& stream, bhttp::request<bhttp::string_body>& req,
                               bhttp::response_parser<bhttp::string_body>& parser, std::chrono::milliseconds timeout,
                               bool& timed_out) {
        bhttp::request_serializer<bhttp::string_body> sr(req);
        beast::error_code ec;
        while (!sr.is_done()) {
            c.lowest().expires_after(timeout);
            ec = run_op(c.ioc, [&](auto h) { bhttp::async_write_some(stream, sr, std::move(h)); });
            if (ec) break;
        }
        if (!ec) {
            ++sent;
            while (!parser.is_done()) {
                c.lowest().expires_after(timeout);
                ec = run_op(c.ioc, [&](auto h) { bhttp::async_read_some(stream, c.buffer, parser, std::move(h)); });
                if (ec) break;
            }
        }
        timed_out = ec == beast::error::timeout;
        return ec;
    }

    response send(const request& r) {
        const url u = parse_url(r.url);
        check_allowed(u);
        const std::string key = pool_key(u);

        bhttp::request<bhttp::string_body> req;
        req.method_string(r.method);
        req.target(u.target);
        req.version(11);
        for (const auto& [name, value] : r.headers) {
            if (iequals(name, "host") || iequals(name, "content-length") || iequals(name, "connection")) continue;
            req.insert(name, value);
        }
        req.set(bhttp::field::host, u.authority());
        req.body() = r.body;
        req.keep_alive(options.max_idle_per_host > 0);
        if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") req.prepare_payload();

        const auto timeout = r.timeout.value_or(options.read_timeout);
        for (int attempt = 0;; ++attempt) {
            auto c = attempt == 0 ? take(key) : nullptr;
            const bool was_pooled = c != nullptr;
            if (!c) c = open(u);
            bhttp::response_parser<bhttp::string_body> parser;
            parser.body_limit(boost::none);
            parser.header_limit(64 * 1024);
            if (iequals(r.method, "HEAD")) parser.skip(true);
            bool timed_out = false;
            beast::error_code ec = c->tls ? exchange(*c, *c->tls, req, parser, timeout, timed_out)
                                          : exchange(*c, *c->plain, req, parser, timeout, timed_out);
            if (ec) {
                // A pooled connection the server already closed fails before any response byte:
                // resend once on a fresh connection rather than surfacing a spurious error.
                if (was_pooled && !parser.got_some() && !timed_out) continue;
                if (timed_out)
                    throw transport_error("no response from " + describe(u) + " within " + ms_text(timeout), true);
                throw transport_error("connection to " + describe(u) + " failed: " + ec.message(), true);
            }
            if (was_pooled) ++reused;
            auto& res = parser.get();
            response out;
            out.status = static_cast<int>(res.result_int());
            out.reason = std::string(res.reason());
            for (const auto& f : res) out.headers.add(std::string(f.name_string()), std::string(f.value()));
            out.body = std::move(res.body());
            if (res.keep_alive() && options.max_idle_per_host > 0) give_back(key, std::move(c));
            return out;
        }
    }
};

beast_transport::beast_transport(transport_options options) : impl_(std::make_unique<impl>(std::move(options))) {}
beast_transport::~beast_transport() = default;

response beast_transport::send(const request& req) { return impl_->send(req); }

transport_stats beast_transport::stats() const {
    return {impl_->opened.load(), impl_->sent.load(), impl_->reused.load()};
}

std::shared_ptr<transport> make_transport(transport_options options) {
    return std::make_shared<beast_transport>(std::move(options));
}

}  // namespace amlops::http
