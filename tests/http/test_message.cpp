#include "amlops/http/message.hpp"

#include "amlops/core/error.hpp"

#include <catch2/catch.hpp>

using namespace amlops;

TEST_CASE("URLs split into scheme, host, port and target") {
    auto u = http::parse_url("HTTPS://Management.Azure.com/subscriptions/x?api-version=2025-09-01");
    CHECK(u.scheme == "https");
    CHECK(u.host == "management.azure.com");
    CHECK(u.port == 443);
    CHECK(u.target == "/subscriptions/x?api-version=2025-09-01");
    CHECK(u.authority() == "management.azure.com");

    u = http::parse_url("http://[::1]:8080");
    CHECK(u.host == "::1");
    CHECK(u.port == 8080);
    CHECK(u.target == "/");
    CHECK(u.str() == "http://[::1]:8080/");

    u = http::parse_url("http://127.0.0.1:5001?x=1#frag");
    CHECK(u.target == "/?x=1");

    for (const char* bad : {"ftp://x/", "management.azure.com/x", "https:///x", "https://h:0/", "https://h:99999/",
                            "https://user@h/", "https://[::1/"}) {
        INFO(bad);
        CHECK_THROWS_AS(http::parse_url(bad), amlops::error);
    }
    // A query (where SAS signatures live) never reaches the error message.
    CHECK_THROWS_WITH(http::parse_url("ftp://h/x?sig=SECRET"), "invalid URL 'ftp://h/x': scheme must be http or https");
}

TEST_CASE("header fields are case-insensitive") {
    http::fields f{{"Content-Type", "a"}};
    CHECK(f.get("content-type") == "a");
    f.set("CONTENT-TYPE", "b");
    CHECK(f.size() == 1);
    CHECK(f.get("Content-Type") == "b");
    f.add("x-a", "1");
    f.add("X-A", "2");
    CHECK(f.get("x-a") == "1");
    f.erase("x-A");
    CHECK_FALSE(f.contains("x-a"));
}

TEST_CASE("form encoding round-trips") {
    const std::vector<std::pair<std::string, std::string>> pairs{
        {"scope", "https://management.azure.com/.default"}, {"client_secret", "a b&c=d+é"}};
    const auto body = http::form_encode(pairs);
    CHECK(body == "scope=https%3A%2F%2Fmanagement.azure.com%2F.default&client_secret=a%20b%26c%3Dd%2B%C3%A9");
    CHECK(http::form_decode(body) == pairs);
    CHECK(http::form_decode("a=1+2&b&c=") ==
          std::vector<std::pair<std::string, std::string>>{{"a", "1 2"}, {"b", ""}, {"c", ""}});
    CHECK_THROWS_AS(http::percent_decode("%4"), amlops::error);
    CHECK_THROWS_AS(http::percent_decode("%zz"), amlops::error);
}
