#include "amlops/auth/credentials.hpp"

#include "fakes.hpp"

#include <catch2/catch.hpp>

using namespace amlops;
using namespace std::chrono_literals;

namespace {

const auto t0 = std::chrono::system_clock::from_time_t(1'800'000'000);
const std::string arm = "https://management.azure.com/.default";

std::shared_ptr<test::fake_service> token_service(const std::string& token = "issued") {
    auto s = std::make_shared<test::fake_service>();
    s->handler = [token](const http::request&) {
        return test::json_response(200, R"({"expires_in":3600,"access_token":")" + token + R"("})");
    };
    return s;
}

/// Issues "tok-<n>" tokens valid for an hour from the injected clock.
struct counting_credential : auth::token_credential {
    std::function<std::chrono::system_clock::time_point()> now;
    int calls = 0;
    bool fail = false;
    http::access_token get_token(const std::string&) override {
        ++calls;
        if (fail) throw error(error_kind::network, "token endpoint unreachable");
        return {"tok-" + std::to_string(calls), now() + 1h};
    }
    std::string name() const override { return "counting"; }
};

}  // namespace

TEST_CASE("the default chain's failure message lists why every source failed") {
    auto chain = auth::make_default_chain(test::fake_options(token_service(), {}, t0));
    CHECK(chain->name() == "credential chain (environment, workload identity, GitHub Actions OIDC, managed identity, Azure CLI)");
    try {
        chain->get_token(arm);
        FAIL("expected an auth error");
    } catch (const amlops::error& e) {
        CHECK(e.kind() == error_kind::auth);
        CHECK(std::string(e.what()) ==
              "no credential could provide a token for 'https://management.azure.com/.default':\n"
              "  - environment: not configured (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET or "
              "AZURE_CLIENT_CERTIFICATE_PATH not set)\n"
              "  - workload identity: not configured (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE not set)\n"
              "  - GitHub Actions OIDC: not configured (ACTIONS_ID_TOKEN_REQUEST_URL, ACTIONS_ID_TOKEN_REQUEST_TOKEN, "
              "AZURE_TENANT_ID, AZURE_CLIENT_ID not set)\n"
              "  - managed identity: not configured (MSI_ENDPOINT, IDENTITY_ENDPOINT not set; IMDS disabled)\n"
              "  - Azure CLI: 'az' is not installed or not on PATH");
    }
}

TEST_CASE("the chain takes the first configured source and sticks to it") {
    auto svc = token_service("from-msi");
    auto o = test::fake_options(svc, {{"MSI_ENDPOINT", "http://127.0.0.1:1/msi"}, {"MSI_SECRET", "x"}}, t0);
    int cli_calls = 0;
    o.run = [&](const std::vector<std::string>&) {
        ++cli_calls;
        return auth::process_output{0, R"({"accessToken":"from-cli","expires_on":1800003600})", ""};
    };
    auto chain = auth::make_default_chain(o);
    CHECK(chain->get_token(arm).token == "from-msi");
    CHECK(chain->get_token(arm).token == "from-msi");
    CHECK(cli_calls == 0);
    CHECK(svc->seen.size() == 2);
}

TEST_CASE("a configured source that fails stops the chain with its reason") {
    auto svc = std::make_shared<test::fake_service>();
    svc->handler = [](const http::request&) {
        return test::json_response(400, R"({"error":"unauthorized_client","error_description":"AADSTS700016: Application not found."})");
    };
    auto o = test::fake_options(svc, {{"AZURE_TENANT_ID", "t"}, {"AZURE_CLIENT_ID", "c"}, {"AZURE_CLIENT_SECRET", "sekret-123"}}, t0);
    int cli_calls = 0;
    o.run = [&](const std::vector<std::string>&) {
        ++cli_calls;
        return auth::process_output{0, R"({"accessToken":"from-cli","expires_on":1800003600})", ""};
    };
    try {
        auth::make_default_chain(o)->get_token(arm);
        FAIL("expected an auth error");
    } catch (const amlops::error& e) {
        CHECK(e.kind() == error_kind::auth);
        CHECK(e.context().http_status == 400);
        CHECK_THAT(e.what(), Catch::StartsWith("authentication failed: environment is configured but failed: client "
                                               "secret: token request failed (HTTP 400): AADSTS700016"));
        CHECK(std::string(e.what()).find("sekret-123") == std::string::npos);
    }
    CHECK(cli_calls == 0);
}

TEST_CASE("the token cache refreshes before expiry and survives a failed early refresh") {
    auto now = t0;
    auto inner = std::make_shared<counting_credential>();
    inner->now = [&] { return now; };
    auth::cached_credential cache(inner, 5min, [&] { return now; });

    CHECK(cache.get_token(arm).token == "tok-1");
    now += 50min;  // 10 min left: still served from the cache
    CHECK(cache.get_token(arm).token == "tok-1");
    CHECK(cache.get_token("other/.default").token == "tok-2");  // per scope
    now += 6min;   // 4 min left: inside the refresh margin
    CHECK(cache.get_token(arm).token == "tok-3");
    CHECK(inner->calls == 3);

    // tok-3 expires at t0+116min. A failing refresh inside the margin still returns it ...
    inner->fail = true;
    now = t0 + 113min;
    CHECK(cache.get_token(arm).token == "tok-3");
    // ... but not once it has expired.
    now = t0 + 117min;
    CHECK_THROWS_WITH(cache.get_token(arm), "token endpoint unreachable");
}

TEST_CASE("captured logs and errors contain no secret from any source") {
    test::scratch_dir dir("auth-logs");
    test::write_text(dir / "fed", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJmZWRlcmF0ZWQifQ.c2lnbmF0dXJl");
    const std::vector<std::string> secrets{"client-secret-XYZ", "msi-secret-XYZ", "identity-header-XYZ",
                                           "gh-request-token-XYZ", "eyJzdWIiOiJmZWRlcmF0ZWQifQ", "access-token-XYZ"};
    std::string logs;
    logger log("aml-test", log_level::debug, log_format::text, [&](std::string_view l) { logs += l; });
    std::string errors;

    auto svc = std::make_shared<test::fake_service>();
    int n = 0;
    svc->handler = [&](const http::request& req) {
        if (req.url.find("/idtoken") != std::string::npos) return test::json_response(200, R"({"value":"gh-oidc-jwt"})");
        // The first answer of each credential is a throttle, so retries get logged too.
        if (++n % 2 == 1) return http::response{429, "", {{"Retry-After", "0"}}, ""};
        return test::json_response(200, R"({"expires_in":3600,"access_token":"access-token-XYZ"})");
    };
    auto run_with = [&](std::map<std::string, std::string> env, const char* which) {
        auto o = test::fake_options(svc, std::move(env), t0);
        o.log = &log;
        std::shared_ptr<auth::token_credential> c;
        if (std::string(which) == "env") c = std::make_shared<auth::environment_credential>(o);
        if (std::string(which) == "wi") c = std::make_shared<auth::workload_identity_credential>(o);
        if (std::string(which) == "gh") c = std::make_shared<auth::github_actions_credential>(o);
        if (std::string(which) == "mi") c = std::make_shared<auth::managed_identity_credential>(o);
        CHECK(c->get_token(arm).token == "access-token-XYZ");
    };
    run_with({{"AZURE_TENANT_ID", "t"}, {"AZURE_CLIENT_ID", "c"}, {"AZURE_CLIENT_SECRET", "client-secret-XYZ"}}, "env");
    run_with({{"AZURE_TENANT_ID", "t"}, {"AZURE_CLIENT_ID", "c"}, {"AZURE_FEDERATED_TOKEN_FILE", (dir / "fed").string()}}, "wi");
    run_with({{"AZURE_TENANT_ID", "t"}, {"AZURE_CLIENT_ID", "c"}, {"ACTIONS_ID_TOKEN_REQUEST_URL", "https://gh.example/idtoken?x=1"},
              {"ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token-XYZ"}}, "gh");
    run_with({{"MSI_ENDPOINT", "http://127.0.0.1:1/msi"}, {"MSI_SECRET", "msi-secret-XYZ"}}, "mi");
    run_with({{"IDENTITY_ENDPOINT", "http://127.0.0.1:1/id"}, {"IDENTITY_HEADER", "identity-header-XYZ"}}, "mi");

    // Failures too: the service rejects everything, and the error text is captured.
    svc->handler = [](const http::request&) {
        return test::json_response(401, R"({"error":"invalid_client","error_description":"bad credentials"})");
    };
    auto o = test::fake_options(svc, {{"AZURE_TENANT_ID", "t"}, {"AZURE_CLIENT_ID", "c"}, {"AZURE_CLIENT_SECRET", "client-secret-XYZ"}}, t0);
    o.log = &log;
    try {
        auth::make_default_chain(o)->get_token(arm);
    } catch (const amlops::error& e) {
        errors += e.describe();
    }

    CHECK_THAT(logs, Catch::Contains("HTTP request: POST https://login.microsoftonline.com/t/oauth2/v2.0/token"));
    CHECK_THAT(logs, Catch::Contains("-> 429"));
    CHECK_THAT(logs, Catch::Contains("HTTP request: GET http://127.0.0.1:1/msi?api-version=2017-09-01"));
    CHECK_THAT(errors, Catch::Contains("bad credentials"));
    for (const auto& s : secrets) {
        INFO(s);
        CHECK(logs.find(s) == std::string::npos);
        CHECK(errors.find(s) == std::string::npos);
    }
}
