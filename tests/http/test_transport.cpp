#include "amlops/http/transport.hpp"

#include "loopback_server.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace amlops;

namespace {

http::response echo(const http::request& req) {
    http::response r;
    r.status = 200;
    r.headers.set("Content-Type", "text/plain");
    r.body = req.method + " " + req.url + " " + req.body;
    return r;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const amlops::error& e) {
        return e.what();
    }
    return "<no error>";
}

}  // namespace

TEST_CASE("plain http is allowed to loopback only, refused elsewhere before connecting") {
    CHECK(http::is_loopback_host("127.0.0.1"));
    CHECK(http::is_loopback_host("127.3.2.1"));
    CHECK(http::is_loopback_host("::1"));
    CHECK(http::is_loopback_host("[::1]"));
    CHECK(http::is_loopback_host("LocalHost"));
    CHECK_FALSE(http::is_loopback_host("10.0.0.1"));
    CHECK_FALSE(http::is_loopback_host("localhost.example.com"));
    CHECK_FALSE(http::is_loopback_host("128.0.0.1"));
    CHECK_FALSE(http::is_loopback_host("::2"));

    http::beast_transport t;
    for (const char* url : {"http://example.com/", "http://10.1.2.3:8080/x", "http://169.254.169.254/metadata",
                            "http://[2001:db8::1]/", "http://localhost.example.com/"}) {
        INFO(url);
        try {
            t.send({"GET", url, {}, "", {}});
            FAIL("expected a refusal");
        } catch (const amlops::error& e) {
            CHECK(e.kind() == error_kind::config);
            CHECK_THAT(e.what(), Catch::Contains("refusing plain http to non-loopback host"));
        }
    }
    CHECK(t.stats().connections_opened == 0);

    // An explicit allow-list entry (the IMDS transport) lifts the rule for that host only.
    http::transport_options o;
    o.plain_http_hosts = {"169.254.169.254"};
    o.connect_timeout = std::chrono::milliseconds(1);
    http::beast_transport imds(o);
    CHECK_THAT(error_of([&] { imds.send({"GET", "http://example.com/", {}, "", {}}); }),
               Catch::Contains("refusing plain http"));
}

TEST_CASE("plain http to a loopback server works and reuses one connection") {
    test::loopback_server server(echo);
    http::beast_transport t;
    const auto a = t.send({"POST", server.base_url() + "/first?x=1", {{"X-Test", "1"}}, "hello", {}});
    const auto b = t.send({"GET", server.base_url() + "/second", {}, "", {}});
    CHECK(a.status == 200);
    CHECK(a.body == "POST /first?x=1 hello");
    CHECK(a.headers.get("content-type") == "text/plain");
    CHECK(b.body == "GET /second ");
    CHECK(server.accepts() == 1);
    CHECK(t.stats().connections_opened == 1);
    CHECK(t.stats().reused == 1);
}

TEST_CASE("a connection the server closed is replaced transparently") {
    test::loopback_server server([](const http::request& req) {
        http::response r = echo(req);
        r.headers.set("Connection", "close");
        return r;
    });
    http::beast_transport t;
    CHECK(t.send({"GET", server.base_url() + "/a", {}, "", {}}).status == 200);
    CHECK(t.send({"GET", server.base_url() + "/b", {}, "", {}}).status == 200);
    CHECK(server.accepts() == 2);
}

TEST_CASE("connect failures and timeouts are retryable transport errors") {
    std::uint16_t dead_port = 0;
    {
        test::loopback_server s(echo);
        dead_port = s.port();
    }
    http::beast_transport t;
    try {
        t.send({"GET", "http://127.0.0.1:" + std::to_string(dead_port) + "/", {}, "", {}});
        FAIL("expected a transport error");
    } catch (const http::transport_error& e) {
        CHECK(e.retryable());
        CHECK_THAT(e.what(), Catch::Contains("cannot connect to http://127.0.0.1:"));
    }

    test::loopback_server slow([](const http::request& req) {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        return echo(req);
    });
    http::request req{"GET", slow.base_url() + "/", {}, "", std::chrono::milliseconds(50)};
    try {
        t.send(req);
        FAIL("expected a timeout");
    } catch (const http::transport_error& e) {
        CHECK(e.retryable());
        CHECK_THAT(e.what(), Catch::Contains("no response from http://127.0.0.1:") && Catch::Contains("within 50 ms"));
    }
}

TEST_CASE("TLS: right CA succeeds, wrong CA and hostname mismatch fail clearly") {
    // Catch re-runs the test case for each SECTION: generate the PKI once per process.
    static test::scratch_dir dir("http-tls");
    static const auto pki = test::make_test_pki(dir.path());
    const test::tls_files files{pki.server_chain, pki.server_key};
    test::loopback_server server(echo, &files);
    const std::string port = std::to_string(server.port());

    SECTION("right CA, by name and by IP; connection reused") {
        http::transport_options o;
        o.ca_file = pki.ca_cert;
        http::beast_transport t(o);
        CHECK(t.send({"GET", "https://localhost:" + port + "/hello", {}, "", {}}).body == "GET /hello ");
        CHECK(t.send({"GET", "https://localhost:" + port + "/again", {}, "", {}}).body == "GET /again ");
        CHECK(t.send({"GET", "https://127.0.0.1:" + port + "/ip", {}, "", {}}).body == "GET /ip ");
        CHECK(t.stats().connections_opened == 2);  // one per host:port key
        CHECK(server.accepts() == 2);
    }
    SECTION("SSL_CERT_FILE is honoured when no CA file is given") {
        http::transport_options o;
        const std::string ca = pki.ca_cert.string();
        o.env = [ca](const std::string& name) -> std::optional<std::string> {
            if (name == "SSL_CERT_FILE") return ca;
            return std::nullopt;
        };
        http::beast_transport t(o);
        CHECK(t.send({"GET", "https://localhost:" + port + "/env", {}, "", {}}).status == 200);
    }
    SECTION("wrong CA") {
        http::transport_options o;
        o.ca_file = pki.other_ca_cert;
        http::beast_transport t(o);
        try {
            t.send({"GET", "https://localhost:" + port + "/", {}, "", {}});
            FAIL("expected a verification failure");
        } catch (const http::transport_error& e) {
            CHECK_FALSE(e.retryable());
            CHECK(std::string(e.what()) == "TLS certificate verification failed for https://localhost:" + port +
                                               ": self-signed certificate in certificate chain");
        }
    }
    SECTION("system store does not trust the test CA") {
        http::transport_options o;
        o.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
        http::beast_transport t(o);
        CHECK_THAT(error_of([&] { t.send({"GET", "https://localhost:" + port + "/", {}, "", {}}); }),
                   Catch::Contains("TLS certificate verification failed"));
    }
    SECTION("hostname mismatch") {
        test::tls_files wrong{pki.wrong_name_chain, pki.wrong_name_key};
        test::loopback_server impostor(echo, &wrong);
        http::transport_options o;
        o.ca_file = pki.ca_cert;
        http::beast_transport t(o);
        const std::string wport = std::to_string(impostor.port());
        try {
            t.send({"GET", "https://localhost:" + wport + "/", {}, "", {}});
            FAIL("expected a hostname mismatch");
        } catch (const http::transport_error& e) {
            CHECK_FALSE(e.retryable());
            CHECK(std::string(e.what()) ==
                  "TLS certificate verification failed for https://localhost:" + wport + ": hostname mismatch");
        }
        CHECK_THAT(error_of([&] { t.send({"GET", "https://127.0.0.1:" + wport + "/", {}, "", {}}); }),
                   Catch::Contains("IP address mismatch"));
    }
    SECTION("a missing CA file is a configuration error at the first TLS request, not for plain http") {
        http::transport_options o;
        o.ca_file = dir.path() / "missing.pem";
        http::beast_transport t(o);
        try {
            t.send({"GET", "https://localhost:" + port + "/", {}, "", {}});
            FAIL("expected a config error");
        } catch (const amlops::error& e) {
            CHECK(e.kind() == error_kind::config);
            CHECK_THAT(e.what(), Catch::Contains("missing.pem' cannot be loaded"));
        }
    }
}

TEST_CASE("plain http to loopback works on a machine whose CA bundle is missing") {
    test::loopback_server server(echo);
    http::transport_options o;
    o.env = [](const std::string& name) -> std::optional<std::string> {
        if (name == "SSL_CERT_FILE") return "/nonexistent/ca-certificates.crt";
        return std::nullopt;
    };
    http::beast_transport t(o);
    CHECK(t.send({"GET", server.base_url() + "/ok", {}, "", {}}).body == "GET /ok ");
}
