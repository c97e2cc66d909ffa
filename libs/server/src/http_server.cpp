// Implementation of the generic HTTP/1.1 server on Boost.Beast. Each I/O thread runs its own
// io_context and every connection belongs to one of them (round robin at accept), so all of a
// connection's handlers run on one thread; the server-wide objects (acceptor, signals, drain
// timer) share a control strand on the first context, so no Asio object is ever touched from two
// threads at once.
//
// Why a context per thread and not N threads on one shared context: with a shared context every
// readiness event goes through one scheduler queue and lock, and a thread that collects events
// from epoll wakes another (a futex call and a context switch) to run some of them, so requests
// hop between cores. Per-thread contexts keep a connection's request on the core that read it.
#include "amlops/server/http_server.hpp"

#include "amlops/core/error.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <csignal>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

namespace amlops::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto x = static_cast<unsigned char>(a[i]);
        auto y = static_cast<unsigned char>(b[i]);
        if (std::tolower(x) != std::tolower(y)) return false;
    }
    return true;
}

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (u < 0x20) {
                out += "\\u00";
                out += hex[u >> 4];
                out += hex[u & 0xF];
            } else {
                out += c;
            }
        }
    }
    out += '"';
}

bool is_loopback(const net::ip::address& a) {
    if (a.is_loopback()) return true;
    // An IPv4 client on a dual-stack socket shows up as ::ffff:127.x.y.z.
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
        return net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6()).is_loopback();
    }
    return false;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// request / response helpers

std::string_view request::header_value(std::string_view name) const noexcept {
    for (const auto& [k, v] : headers) {
        if (iequals(k, name)) return v;
    }
    return {};
}

bool request::has_header(std::string_view name) const noexcept {
    return std::any_of(headers.begin(), headers.end(), [&](const header& h) { return iequals(h.first, name); });
}

std::string_view request::path() const noexcept {
    std::string_view t = target;
    return t.substr(0, t.find('?'));
}

std::string_view request::query() const noexcept {
    std::string_view t = target;
    auto q = t.find('?');
    return q == std::string_view::npos ? std::string_view{} : t.substr(q + 1);
}

std::string_view response::header_value(std::string_view name) const noexcept {
    for (const auto& [k, v] : headers) {
        if (iequals(k, name)) return v;
    }
    return {};
}

response error_response(unsigned status, std::string_view message) {
    response r;
    r.status = status;
    r.body.reserve(message.size() + 48);
    r.body = R"({"error":{"status":)" + std::to_string(status) + R"(,"message":)";
    append_json_string(r.body, message);
    r.body += "}}";
    return r;
}

// ---------------------------------------------------------------------------------------------
// server state

class connection;

std::vector<std::unique_ptr<net::io_context>> make_contexts(unsigned threads) {
    std::vector<std::unique_ptr<net::io_context>> out;
    for (unsigned i = 0; i < std::max(1u, threads); ++i) out.push_back(std::make_unique<net::io_context>(1));
    return out;
}

struct http_server::impl : std::enable_shared_from_this<http_server::impl> {
    impl(server_config c, handler h) : cfg(std::move(c)), handle(std::move(h)) {
        for (auto& ctx : contexts) keep_running.emplace_back(ctx->get_executor());
    }

    server_config cfg;
    handler handle;
    std::vector<std::unique_ptr<net::io_context>> contexts = make_contexts(cfg.threads);  // one per I/O thread
    // A context without connections would return from run() at once: each is held open until a
    // stop has drained every connection (release_contexts).
    std::vector<net::executor_work_guard<net::io_context::executor_type>> keep_running;
    std::size_t next_context = 0;  // round robin of accepted connections (control strand only)
    net::strand<net::io_context::executor_type> control{net::make_strand(*contexts.front())};
    tcp::acceptor acceptor{control};
    std::optional<net::signal_set> signals;
    net::steady_timer drain_timer{control};
    std::function<void(int)> on_signal;
    std::uint16_t bound_port = 0;

    std::vector<std::thread> threads;
    std::mutex join_mu;

    std::atomic<bool> stopping{false};
    std::atomic<std::uint64_t> accepted{0}, rejected{0}, timeouts{0}, requests{0};
    std::atomic<std::size_t> open{0}, in_flight{0};

    std::mutex conn_mu;
    std::unordered_set<std::shared_ptr<connection>> conns;

    void do_accept();
    void begin_stop();
    void close_idle_connections();
    void force_close_all();
    void on_connection_closed(const std::shared_ptr<connection>& c);
    void reject(tcp::socket socket);
    /// Lets every I/O thread return once its context has no work left (control strand only).
    void release_contexts() {
        for (auto& g : keep_running) g.reset();
    }

    /// An exception that escaped a handler or an I/O thread: never silent.
    void report(const std::string& what) {
        if (cfg.log) cfg.log->error(what);
        else std::fprintf(stderr, "amlops server: %s\n", what.c_str());
    }
};

/// The request's correlation id for log lines: x-request-id, else x-ms-client-request-id, else "-".
std::string request_id(const request& r) {
    for (const char* name : {"x-request-id", "x-ms-client-request-id"})
        if (auto v = r.header_value(name); !v.empty()) return std::string(v);
    return "-";
}

/// One client connection: reads requests, calls the handler, writes responses. Only ever runs on
/// its own strand.
class connection : public std::enable_shared_from_this<connection> {
public:
    connection(std::shared_ptr<http_server::impl> srv, tcp::socket&& socket)
        : srv_(std::move(srv)), stream_(std::move(socket)) {
        beast::error_code ec;
        auto ep = stream_.socket().remote_endpoint(ec);
        if (!ec) {
            req_.remote_address = ep.address().to_string();
            req_.remote_is_loopback = is_loopback(ep.address());
        }
        stream_.socket().set_option(tcp::no_delay(true), ec);  // small responses: no Nagle delay
    }

    void start() {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
    }

    /// Posted on stop(): closes the connection if it is waiting for a request that has not begun.
    void close_if_idle() {
        net::post(stream_.get_executor(), [self = shared_from_this()] {
            if (self->state_ == state::reading_header && self->buffer_.size() == 0 &&
                (!self->parser_ || !self->parser_->got_some())) {
                self->close();
            }
        });
    }

    /// Posted when the drain deadline passes.
    void force_close() {
        net::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
    }

private:
    enum class state { reading_header, reading_body, writing, closed };
    static constexpr std::size_t body_read_size = 64 * 1024;
    static constexpr std::size_t idle_buffer_capacity = 16 * 1024;

    void read_header() {
        if (srv_->stopping.load()) return close();
        // An idle keep-alive connection keeps no body-sized buffer (see read_body).
        if (buffer_.size() == 0 && buffer_.capacity() > idle_buffer_capacity) buffer_.shrink_to_fit();
        state_ = state::reading_header;
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(srv_->cfg.max_header, UINT32_MAX)));
        parser_->body_limit(srv_->cfg.max_body);
        stream_.expires_after(srv_->cfg.header_timeout);
        http::async_read_header(stream_, buffer_, *parser_,
                                [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
    }

    void on_header(beast::error_code ec) {
        if (ec) return on_read_error(ec);
        auto& msg = parser_->get();
        if (auto len = parser_->content_length(); len && *len > srv_->cfg.max_body) {
            return send_error(413, "request body of " + std::to_string(*len) + " bytes exceeds the limit of " +
                                       std::to_string(srv_->cfg.max_body) + " bytes");
        }
        state_ = state::reading_body;
        if (iequals(msg[http::field::expect], "100-continue") && !parser_->is_done()) {
            continue_.emplace(http::status::continue_, msg.version());
            stream_.expires_after(srv_->cfg.write_timeout);
            http::async_write(stream_, *continue_, [self = shared_from_this()](beast::error_code e, std::size_t) {
                if (e) return self->close();
                self->read_body();
            });
            return;
        }
        read_body();
    }

    void read_body() {
        if (parser_->is_done()) return dispatch_request();
        // Beast reads at most the buffer's free capacity (at least 512 bytes) per call, and the
        // parser empties the buffer after every read, so a buffer that never grew reads a 100 KB
        // body 512 bytes at a time: ~200 system calls, strand hops and timer updates per request.
        // Size it for the body (Beast reads at most 64 KB per call anyway).
        if (auto len = parser_->content_length(); len && *len > buffer_.capacity())
            buffer_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*len, body_read_size)));
        stream_.expires_after(srv_->cfg.body_timeout);
        http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->on_read_error(ec);
            self->dispatch_request();
        });
    }

    void on_read_error(beast::error_code ec) {
        if (ec == beast::error::timeout) {
            ++srv_->timeouts;
            return close();
        }
        if (ec == http::error::body_limit) {
            return send_error(413, "request body exceeds the limit of " + std::to_string(srv_->cfg.max_body) + " bytes");
        }
        if (ec == http::error::header_limit) {
            return send_error(431, "request header exceeds " + std::to_string(srv_->cfg.max_header) + " bytes");
        }
        if (ec.category() == beast::error_code(http::error::end_of_stream).category() && ec != http::error::end_of_stream &&
            ec != http::error::partial_message) {
            return send_error(400, "malformed HTTP request: " + ec.message());
        }
        close();  // EOF, reset, aborted: nothing to answer
    }

    void dispatch_request() {
        auto& msg = parser_->get();
        req_.method.assign(msg.method_string());
        req_.target.assign(msg.target());
        req_.version = msg.version();
        req_.headers.clear();
        for (const auto& f : msg) {
            std::string name(f.name_string());
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            req_.headers.emplace_back(std::move(name), std::string(f.value()));
        }
        req_.body = std::move(msg.body());
        const bool keep_alive = msg.keep_alive();
        head_request_ = msg.method() == http::verb::head;

        ++srv_->requests;
        ++srv_->in_flight;
        response res;
        try {
            res = srv_->handle(req_);
        } catch (const std::exception& e) {
            srv_->report("request " + request_id(req_) + " " + req_.method + " " + req_.target + " failed: " + e.what());
            res = error_response(500, "internal server error");
        } catch (...) {
            srv_->report("request " + request_id(req_) + " " + req_.method + " " + req_.target + " failed: unknown exception");
            res = error_response(500, "internal server error");
        }
        --srv_->in_flight;
        write(std::move(res), keep_alive);
    }

    void send_error(unsigned status, const std::string& message) {
        head_request_ = false;
        auto res = error_response(status, message);
        res.close = true;
        write(std::move(res), false);
    }

    /// True when `r` is an ordinary response whose head write_plain() writes exactly as Beast
    /// would: a final status with a body Beast accepts, and handler headers with distinct names
    /// none of which the server sets itself (Beast's set() would merge or replace those).
    static bool plain_response(const response& r) noexcept {
        if (r.status < 200 || r.status > 599 || r.status == 204 || r.status == 304) return false;
        for (std::size_t i = 0; i < r.headers.size(); ++i) {
            const std::string_view name = r.headers[i].first;
            for (std::string_view reserved : {"server", "content-type", "connection", "content-length", "transfer-encoding"})
                if (iequals(name, reserved)) return false;
            for (std::size_t j = 0; j < i; ++j)
                if (iequals(name, r.headers[j].first)) return false;
        }
        return true;
    }

    /// Writes the head of a plain_response() by hand, byte for byte what Beast's serializer
    /// produces for write()'s message (start line, Server, Content-Type, the handler's headers,
    /// Connection when needed, Content-Length), and sends head and body in one gathered write.
    /// Beast's basic_fields allocate every header and its serializer walks a generic buffer
    /// sequence: about a tenth of a single-row request's CPU.
    void write_plain(response&& r, bool keep_alive) {
        const unsigned version = req_.version == 10 ? 10 : 11;
        auto add_header = [this](std::string_view name, std::string_view value) {
            head_ += name;
            head_ += ": ";
            head_ += value;
            head_ += "\r\n";
        };
        head_.clear();
        head_ += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
        head_ += std::to_string(r.status);
        head_ += ' ';
        head_ += http::obsolete_reason(static_cast<http::status>(r.status));
        head_ += "\r\n";
        add_header("Server", srv_->cfg.server_name);
        if (!r.content_type.empty()) add_header("Content-Type", r.content_type);
        for (const auto& [k, v] : r.headers) add_header(k, v);
        if (version == 11 && !keep_alive) add_header("Connection", "close");
        if (version == 10 && keep_alive) add_header("Connection", "keep-alive");
        add_header("Content-Length", std::to_string(r.body.size()));
        head_ += "\r\n";
        body_ = std::move(r.body);
        if (head_request_) body_.clear();  // HEAD: the GET response's Content-Length, no body
        plain_keep_alive_ = keep_alive;
        stream_.expires_after(srv_->cfg.write_timeout);
        const std::array<net::const_buffer, 2> buffers{net::buffer(head_), net::buffer(body_)};
        net::async_write(stream_, buffers, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->body_ = std::string();  // an idle connection keeps no response-sized buffer
            self->on_written(ec, self->plain_keep_alive_);
        });
    }

    void write(response&& r, bool keep_alive) {
        state_ = state::writing;
        if (plain_response(r)) return write_plain(std::move(r), keep_alive && !r.close && !srv_->stopping.load());
        res_ = {};
        res_.version(req_.version == 10 ? 10 : 11);
        res_.result(r.status);
        res_.set(http::field::server, srv_->cfg.server_name);
        if (!r.content_type.empty()) res_.set(http::field::content_type, r.content_type);
        for (auto& [k, v] : r.headers) res_.set(k, v);
        res_.body() = std::move(r.body);
        res_.keep_alive(keep_alive && !r.close && !srv_->stopping.load());
        res_.prepare_payload();
        // HEAD: the headers (Content-Length included) of the GET response, without its body.
        if (head_request_) res_.body().clear();
        stream_.expires_after(srv_->cfg.write_timeout);
        http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->on_written(ec, self->res_.keep_alive());
        });
    }

    /// A response has been written (or failed to be): next request, or close.
    void on_written(beast::error_code ec, bool keep_alive) {
        if (ec) {
            if (ec == beast::error::timeout) ++srv_->timeouts;
            return close();
        }
        if (!keep_alive) return close();
        read_header();
    }

    void close() {
        if (state_ == state::closed) return;
        state_ = state::closed;
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream_.close();
        srv_->on_connection_closed(shared_from_this());
    }

    std::shared_ptr<http_server::impl> srv_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::optional<http::response<http::empty_body>> continue_;
    http::response<http::string_body> res_;
    std::string head_, body_;  // write_plain's head (its capacity is reused across requests) and body
    bool plain_keep_alive_ = false;
    request req_;
    bool head_request_ = false;
    state state_ = state::reading_header;
};

void http_server::impl::do_accept() {
    // A context runs on one thread, so its executor serializes a connection's handlers as a strand
    // would, without a strand's queue and lock.
    auto& owner = *contexts[next_context++ % contexts.size()];
    acceptor.async_accept(owner.get_executor(), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
        if (ec) {
            if (!self->acceptor.is_open() || self->stopping.load()) return;
            // Transient failures (EMFILE, ECONNABORTED) must not end the accept loop.
            return self->do_accept();
        }
        if (self->stopping.load()) return;
        if (self->open.load() >= self->cfg.max_connections) {
            self->reject(std::move(socket));
        } else {
            ++self->accepted;
            ++self->open;
            auto c = std::make_shared<connection>(self, std::move(socket));
            {
                std::lock_guard lock(self->conn_mu);
                self->conns.insert(c);
            }
            c->start();
        }
        self->do_accept();
    });
}

void http_server::impl::reject(tcp::socket socket) {
    ++rejected;
    static const std::string body = R"({"error":{"status":503,"message":"too many connections"}})";
    static const std::string msg = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                                   "Connection: close\r\nContent-Length: " +
                                   std::to_string(body.size()) + "\r\n\r\n" + body;
    auto s = std::make_shared<tcp::socket>(std::move(socket));
    net::async_write(*s, net::buffer(msg), [s](beast::error_code, std::size_t) {
        beast::error_code ignored;
        s->shutdown(tcp::socket::shutdown_both, ignored);
        s->close(ignored);
    });
}

void http_server::impl::on_connection_closed(const std::shared_ptr<connection>& c) {
    {
        std::lock_guard lock(conn_mu);
        conns.erase(c);
    }
    if (--open == 0 && stopping.load()) {
        net::post(control, [self = shared_from_this()] {
            self->drain_timer.cancel();
            self->release_contexts();
        });
    }
}

void http_server::impl::close_idle_connections() {
    std::lock_guard lock(conn_mu);
    for (const auto& c : conns) c->close_if_idle();
}

void http_server::impl::force_close_all() {
    std::lock_guard lock(conn_mu);
    for (const auto& c : conns) c->force_close();
}

void http_server::impl::begin_stop() {
    if (stopping.exchange(true)) return;
    net::post(control, [self = shared_from_this()] {
        beast::error_code ec;
        self->acceptor.close(ec);
        if (self->signals) self->signals->cancel(ec);
        if (self->open.load() > 0) {
            self->drain_timer.expires_after(self->cfg.drain_timeout);
            self->drain_timer.async_wait([self](beast::error_code e) {
                if (!e) self->force_close_all();
            });
        } else {
            self->release_contexts();
        }
        self->close_idle_connections();
    });
}

// ---------------------------------------------------------------------------------------------
// http_server

http_server::http_server(server_config config, handler h) {
    if (config.threads == 0) throw error(error_kind::usage, "the server needs at least one thread");
    if (!h) throw error(error_kind::usage, "the server needs a request handler");
    impl_ = std::make_shared<impl>(std::move(config), std::move(h));
}

http_server::~http_server() {
    try {
        stop();
    } catch (...) {  // a destructor must not throw; threads are joined by wait() regardless
    }
}

void http_server::start() {
    auto& s = *impl_;
    beast::error_code ec;
    auto address = net::ip::make_address(s.cfg.host, ec);
    if (ec) throw error(error_kind::usage, "invalid listen address '" + s.cfg.host + "': " + ec.message());
    tcp::endpoint ep(address, s.cfg.port);
    const std::string where = s.cfg.host + ":" + std::to_string(s.cfg.port);
    s.acceptor.open(ep.protocol(), ec);
    if (!ec) s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) s.acceptor.bind(ep, ec);
    if (!ec) s.acceptor.listen(s.cfg.backlog, ec);
    if (ec) throw error(error_kind::network, "cannot listen on " + where + ": " + ec.message());
    s.bound_port = s.acceptor.local_endpoint().port();
    s.do_accept();
    for (auto& context : s.contexts) {
        s.threads.emplace_back([ioc = context.get(), srv = &s] {
            for (;;) {
                try {
                    ioc->run();
                    return;
                } catch (const std::exception& e) {  // a throwing completion handler must not take the server down
                    srv->report(std::string("I/O thread: ") + e.what());
                } catch (...) {
                    srv->report("I/O thread: unknown exception");
                }
            }
        });
    }
}

std::uint16_t http_server::port() const noexcept { return impl_->bound_port; }

void http_server::stop_on_signals(std::function<void(int)> on_signal) {
    // Registered synchronously (not posted) so that a signal arriving right after this call is
    // already ours; callers do this before start() or before any other thread touches `signals`.
    auto self = impl_;
    if (self->signals) return;
    self->on_signal = std::move(on_signal);
    self->signals.emplace(self->control, SIGINT, SIGTERM);
    self->signals->async_wait([self](beast::error_code ec, int signo) {
        if (ec) return;
        if (self->on_signal) self->on_signal(signo);
        self->begin_stop();
    });
}

void http_server::request_stop() { impl_->begin_stop(); }

void http_server::stop() {
    request_stop();
    wait();
}

void http_server::wait() {
    std::lock_guard lock(impl_->join_mu);
    for (auto& t : impl_->threads) {
        if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
    }
}

bool http_server::stopping() const noexcept { return impl_->stopping.load(); }

server_stats http_server::stats() const noexcept {
    const auto& s = *impl_;
    return {s.accepted.load(), s.rejected.load(), s.timeouts.load(), s.requests.load(), s.open.load(), s.in_flight.load()};
}

}  // namespace amlops::server
