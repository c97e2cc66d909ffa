#include "loopback_server.hpp"

#include "test_support.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <sys/socket.h>

namespace amlops::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

struct loopback_server::impl {
    handler h;
    asio::io_context ioc;
    tcp::acceptor acceptor{ioc};
    std::unique_ptr<ssl::context> tls;
    std::atomic<int> accepted{0};
    std::atomic<bool> stopping{false};
    std::mutex mutex;
    std::vector<int> fds;
    std::vector<std::thread> threads;
    std::thread accept_thread;

    template <class Stream>
    void serve(Stream& stream) {
        beast::flat_buffer buffer;
        for (;;) {
            bhttp::request_parser<bhttp::string_body> parser;
            parser.body_limit(boost::none);
            beast::error_code ec;
            bhttp::read(stream, buffer, parser, ec);
            if (ec) return;
            auto& in = parser.get();
            http::request req;
            req.method = std::string(in.method_string());
            req.url = std::string(in.target());
            for (const auto& f : in) req.headers.add(std::string(f.name_string()), std::string(f.value()));
            req.body = in.body();
            http::response r;
            try {
                r = h(req);
            } catch (...) {
                return;  // a handler that throws drops the connection unanswered (fault injection)
            }
            bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(r.status), 11};
            for (const auto& [k, v] : r.headers) out.insert(k, v);
            out.body() = r.body;
            out.keep_alive(in.keep_alive() && !r.headers.contains("connection"));
            out.prepare_payload();
            bhttp::write(stream, out, ec);
            if (ec || !out.keep_alive()) return;
        }
    }

    void on_socket(tcp::socket socket) {
        if (tls) {
            beast::ssl_stream<tcp::socket> stream(std::move(socket), *tls);
            beast::error_code ec;
            stream.handshake(ssl::stream_base::server, ec);
            if (ec) return;  // e.g. the client rejected our certificate
            serve(stream);
        } else {
            serve(socket);
        }
    }

    void accept_loop() {
        for (;;) {
            tcp::socket socket(ioc);
            beast::error_code ec;
            acceptor.accept(socket, ec);
            if (ec || stopping) return;
            ++accepted;
            std::lock_guard lock(mutex);
            fds.push_back(socket.native_handle());
            threads.emplace_back([this, s = std::move(socket)]() mutable { on_socket(std::move(s)); });
        }
    }
};

loopback_server::loopback_server(handler h, const tls_files* tls) : impl_(std::make_unique<impl>()) {
    impl_->h = std::move(h);
    if (tls) {
        impl_->tls = std::make_unique<ssl::context>(ssl::context::tls_server);
        impl_->tls->use_certificate_chain_file(tls->cert_chain.string());
        impl_->tls->use_private_key_file(tls->key.string(), ssl::context::pem);
    }
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    impl_->acceptor.open(ep.protocol());
    impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor.bind(ep);
    impl_->acceptor.listen();
    impl_->accept_thread = std::thread([this] { impl_->accept_loop(); });
}

loopback_server::~loopback_server() {
    impl_->stopping = true;
    ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
    impl_->accept_thread.join();
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(impl_->mutex);
        for (int fd : impl_->fds) ::shutdown(fd, SHUT_RDWR);
        threads = std::move(impl_->threads);
    }
    for (auto& t : threads) t.join();
}

std::uint16_t loopback_server::port() const noexcept { return impl_->acceptor.local_endpoint().port(); }

std::string loopback_server::base_url(const std::string& host) const {
    return std::string(impl_->tls ? "https" : "http") + "://" + host + ":" + std::to_string(port());
}

int loopback_server::accepts() const noexcept { return impl_->accepted.load(); }

test_pki make_test_pki(const std::filesystem::path& dir) {
    test_pki p{dir / "ca.pem",          dir / "other-ca.pem",     dir / "server-chain.pem",
               dir / "server.key",      dir / "wrong-chain.pem",  dir / "wrong.key"};
    auto run = [](std::vector<std::string> argv) {
        auto r = run_process(argv);
        if (r.exit_code != 0) throw std::runtime_error("openssl failed: " + r.err);
    };
    const std::string d = dir.string();
    for (const char* name : {"ca", "other-ca"})
        run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
             std::string("/CN=amlops test ") + name, "-keyout", d + "/" + name + ".key", "-out", d + "/" + name + ".pem"});
    auto leaf = [&](const std::string& name, const std::string& cn, const std::string& san) {
        write_text(dir / (name + ".ext"),
                   "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                   "extendedKeyUsage=serverAuth\nsubjectAltName=" + san + "\n");
        run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=" + cn, "-keyout", d + "/" + name + ".key",
             "-out", d + "/" + name + ".csr"});
        run({"openssl", "x509", "-req", "-in", d + "/" + name + ".csr", "-CA", p.ca_cert.string(), "-CAkey", d + "/ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", d + "/" + name + ".ext", "-out", d + "/" + name + ".pem"});
        write_text(dir / (name + "-chain.pem"), read_text(dir / (name + ".pem")) + read_text(p.ca_cert));
    };
    leaf("server", "localhost", "DNS:localhost,IP:127.0.0.1");
    leaf("wrong", "wrong.example", "DNS:wrong.example");
    return p;
}

}  // namespace amlops::test
