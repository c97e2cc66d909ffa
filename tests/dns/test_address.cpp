#include "test_support.hpp"

#include "amlops/dns/address.hpp"
#include "amlops/dns/resolver.hpp"

#include <catch2/catch.hpp>

using namespace amlops;
using dns::ip_address;
using dns::ip_network;

TEST_CASE("private ranges: RFC 1918, RFC 6598 and ULA, nothing else") {
    auto range = [](const char* a) { return std::string(dns::private_range(*ip_address::parse(a))); };
    CHECK(range("10.0.0.1") == "RFC 1918");
    CHECK(range("172.16.0.1") == "RFC 1918");
    CHECK(range("172.31.255.255") == "RFC 1918");
    CHECK(range("172.32.0.1").empty());
    CHECK(range("192.168.1.1") == "RFC 1918");
    CHECK(range("100.64.0.1") == "RFC 6598");
    CHECK(range("100.127.255.255") == "RFC 6598");
    CHECK(range("100.128.0.1").empty());
    CHECK(range("fd00::1") == "ULA");
    CHECK(range("fc00::1") == "ULA");
    CHECK(range("fe80::1").empty());
    CHECK(range("127.0.0.1").empty());
    CHECK(range("20.60.1.1").empty());
    CHECK(range("2001:db8::1").empty());
}

TEST_CASE("networks contain their addresses and nothing of the other family") {
    auto net = *ip_network::parse("10.10.0.0/16");
    CHECK(net.contains(*ip_address::parse("10.10.255.1")));
    CHECK_FALSE(net.contains(*ip_address::parse("10.11.0.1")));
    CHECK_FALSE(net.contains(*ip_address::parse("fd10::1")));
    auto odd = *ip_network::parse("10.10.4.0/22");
    CHECK(odd.contains(*ip_address::parse("10.10.7.255")));
    CHECK_FALSE(odd.contains(*ip_address::parse("10.10.8.0")));
    CHECK(ip_network::parse("fd10:10::/48")->contains(*ip_address::parse("fd10:10::5")));
    CHECK(ip_network::parse("10.1.2.3")->prefix == 32);
    CHECK(ip_network::parse("0.0.0.0/0")->contains(*ip_address::parse("8.8.8.8")));
    CHECK_FALSE(ip_network::parse("10.0.0.0/33"));
    CHECK_FALSE(ip_network::parse("10.0.0.0/"));
    CHECK_FALSE(ip_network::parse("10.0.0/8"));
    CHECK_FALSE(ip_network::parse("10.0.0.0/8x"));
}

TEST_CASE("the server flag accepts IP, IP:PORT and [IPv6]:PORT and names itself when wrong") {
    CHECK(dns::parse_server("10.0.0.4").str() == "10.0.0.4:53");
    CHECK(dns::parse_server("127.0.0.1:5353").str() == "127.0.0.1:5353");
    CHECK(dns::parse_server("::1").str() == "[::1]:53");
    CHECK(dns::parse_server("[fd00::53]:5300").str() == "[fd00::53]:5300");
    for (const char* bad : {"", "dns.example", "10.0.0.1:0", "10.0.0.1:70000", "10.0.0.1:", "[::1", "[::1]x", "1.2.3.4:ab"}) {
        auto e = test::error_of([&] { dns::parse_server(bad); });
        CHECK(e.kind() == error_kind::usage);
        CHECK(e.context().field == "--server");
    }
}
