#include "amlops/http/pipeline.hpp"

#include <catch2/catch.hpp>

using namespace amlops;

namespace {

/// Records what reached the wire and answers with a fixed response.
struct recording_transport : http::transport {
    std::vector<http::request> seen;
    http::response answer{200, "OK", {{"x-ms-request-id", "rid-1"}, {"Set-Cookie", "session=abc"}}, "{}"};
    http::response send(const http::request& req) override {
        seen.push_back(req);
        return answer;
    }
};

struct counting_credential : http::token_credential {
    int calls = 0;
    http::access_token get_token(const std::string& scope) override {
        ++calls;
        return {"tok-" + scope + "-" + std::to_string(calls), {}};
    }
    std::string name() const override { return "counting"; }
};

}  // namespace

TEST_CASE("the standard pipeline adds request id, user agent and bearer token") {
    auto wire = std::make_shared<recording_transport>();
    auto cred = std::make_shared<counting_credential>();
    http::pipeline_options o;
    o.user_agent = "amlops/test";
    o.credential = cred;
    o.scope = "S";
    o.request_id_source = [] { return std::string("11111111-2222-4333-8444-555555555555"); };
    auto p = http::make_pipeline(o, wire);

    p->send({"GET", "https://example.test/a", {}, "", {}});
    p->send({"GET", "https://example.test/b", {{"x-ms-client-request-id", "mine"}, {"User-Agent", "custom"}}, "", {}});
    REQUIRE(wire->seen.size() == 2);
    CHECK(wire->seen[0].headers.get("x-ms-client-request-id") == "11111111-2222-4333-8444-555555555555");
    CHECK(wire->seen[0].headers.get("user-agent") == "amlops/test");
    CHECK(wire->seen[0].headers.get("authorization") == "Bearer tok-S-1");
    CHECK(wire->seen[1].headers.get("x-ms-client-request-id") == "mine");
    CHECK(wire->seen[1].headers.get("user-agent") == "custom");
    CHECK(wire->seen[1].headers.get("authorization") == "Bearer tok-S-2");
}

TEST_CASE("the request id stays the same across retries, the token is asked for on each attempt") {
    auto wire = std::make_shared<recording_transport>();
    wire->answer.status = 503;
    auto cred = std::make_shared<counting_credential>();
    http::pipeline_options o;
    o.credential = cred;
    o.scope = "S";
    o.retry.max_retries = 2;
    o.retry.sleep = [](std::chrono::milliseconds) {};
    auto p = http::make_pipeline(o, wire);
    CHECK(p->send({"GET", "https://example.test/a", {}, "", {}}).status == 503);
    REQUIRE(wire->seen.size() == 3);
    const auto id = wire->seen[0].headers.get("x-ms-client-request-id");
    REQUIRE(id);
    CHECK(id->size() == 36);
    for (const auto& r : wire->seen) CHECK(r.headers.get("x-ms-client-request-id") == id);
    CHECK(cred->calls == 3);
}

TEST_CASE("logging shows only allow-listed headers and query parameters") {
    std::string logs;
    logger log("aml-test", log_level::debug, log_format::text, [&](std::string_view l) { logs += l; });
    auto wire = std::make_shared<recording_transport>();
    http::pipeline_options o;
    o.log = &log;
    o.credential = std::make_shared<counting_credential>();
    o.scope = "S";
    auto p = http::make_pipeline(o, wire);
    p->send({"PUT",
             "https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sp=rcw&sig=SIGSECRET%3D&comp=block&skoid=OID&api-version=1",
             {{"x-ms-blob-type", "BlockBlob"}, {"x-ms-foo", "custom-value"}, {"Cookie", "c=COOKIESECRET"}},
             "BODYSECRET", {}});

    // The policy's allow-list decides what is shown; the logger's own pattern-based redaction
    // (amlops::redact) then masks any secret-shaped leftovers as "***" on top.
    http::logging_policy policy(log);
    CHECK(policy.redact_url("https://a/c/b?sv=2022-11-02&sp=rcw&sig=SIG%3D&comp=block&skoid=OID&api-version=1&flag") ==
          "https://a/c/b?sv=2022-11-02&sp=rcw&sig=REDACTED&comp=block&skoid=REDACTED&api-version=1&flag");
    CHECK(policy.redact_headers({{"Authorization", "Bearer x"}, {"Content-Type", "text/plain"}}) ==
          "\n  Authorization: REDACTED\n  Content-Type: text/plain");
    CHECK_THAT(logs, Catch::Contains("HTTP request: PUT https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sp=rcw"));
    CHECK_THAT(logs, Catch::Contains("&comp=block&"));
    CHECK_THAT(logs, Catch::Contains("x-ms-blob-type: BlockBlob"));
    CHECK_THAT(logs, Catch::Contains("x-ms-foo: REDACTED"));
    CHECK_THAT(logs, Catch::Contains("Authorization: "));
    CHECK_THAT(logs, Catch::Contains("-> 200 in "));
    CHECK_THAT(logs, Catch::Contains("x-ms-request-id: rid-1"));
    CHECK_THAT(logs, Catch::Contains("Set-Cookie: REDACTED"));
    for (const char* secret : {"SIGSECRET", "COOKIESECRET", "BODYSECRET", "tok-S", "custom-value", "session=abc", "OID"}) {
        INFO(secret);
        CHECK(logs.find(secret) == std::string::npos);
    }
}

TEST_CASE("transport failures are logged as warnings without secrets") {
    std::string logs;
    logger log("aml-test", log_level::info, log_format::text, [&](std::string_view l) { logs += l; });
    struct failing : http::transport {
        http::response send(const http::request&) override { throw http::transport_error("connection reset", false); }
    };
    http::pipeline_options o;
    o.log = &log;
    auto p = http::make_pipeline(o, std::make_shared<failing>());
    CHECK_THROWS_AS(p->send({"GET", "https://h/x?sig=SECRET", {}, "", {}}), http::transport_error);
    CHECK_THAT(logs, Catch::StartsWith("aml-test: warning: HTTP GET https://h/x?sig=") &&
                         Catch::EndsWith(" failed: connection reset\n"));
    CHECK(logs.find("SECRET") == std::string::npos);
}
