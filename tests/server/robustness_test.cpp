// Bounded robustness checks of the HTTP server: many idle connections and slow clients do not
// starve normal requests. (The 1M-request RSS check runs in bench/, not in ctest.)
#include "amlops/server/http_server.hpp"

#include "http_client.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <thread>

using namespace amlops::server;
using namespace std::chrono_literals;
namespace net = boost::asio;

TEST_CASE("1000 idle connections and 50 slowloris clients do not starve normal requests") {
    server_config cfg;
    cfg.threads = 2;
    cfg.header_timeout = 2s;
    cfg.body_timeout = 2s;
    http_server srv(cfg, [](const request&) { return response{200, "text/plain", {}, "ok", false}; });
    srv.start();

    net::io_context ioc;
    std::vector<net::ip::tcp::socket> idle;
    for (int i = 0; i < 1000; ++i) {
        idle.emplace_back(ioc);
        idle.back().connect({net::ip::make_address("127.0.0.1"), srv.port()});
    }
    std::vector<net::ip::tcp::socket> slow;
    for (int i = 0; i < 50; ++i) {
        slow.emplace_back(ioc);
        slow.back().connect({net::ip::make_address("127.0.0.1"), srv.port()});
        net::write(slow.back(), net::buffer(std::string("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")));
    }
    // Normal clients are served while all of those hold connections.
    std::vector<std::thread> clients;
    std::atomic<int> ok{0};
    for (int t = 0; t < 4; ++t) {
        clients.emplace_back([&] {
            client_connection c("127.0.0.1", srv.port(), 5s);
            for (int i = 0; i < 250; ++i) {
                if (c.send({"GET", "/", ""}).status == 200) ++ok;
            }
        });
    }
    for (auto& t : clients) t.join();
    CHECK(ok == 1000);
    CHECK(srv.stats().open_connections >= 1000);
    // The idle ones are closed by the header timeout, the slow ones by the body timeout: the server
    // holds no connection a client merely keeps open.
    std::this_thread::sleep_for(2500ms);
    CHECK(srv.stats().open_connections == 0);
    srv.stop();
}
