#include "amlops/auth/credentials.hpp"
#include "amlops/auth/jwt.hpp"

#include "fakes.hpp"
#include "loopback_server.hpp"

#include <catch2/catch.hpp>

using namespace amlops;
using namespace std::chrono_literals;

namespace {

const auto t0 = std::chrono::system_clock::from_time_t(1'800'000'000);
const std::string arm = "https://management.azure.com/.default";

/// An Entra ID token endpoint that issues "issued-<n>" tokens valid for an hour.
std::shared_ptr<test::fake_service> token_service() {
    auto s = std::make_shared<test::fake_service>();
    s->handler = [](const http::request&) {
        return test::json_response(200, R"({"token_type":"Bearer","expires_in":3599,"access_token":"issued-1"})");
    };
    return s;
}

}  // namespace

TEST_CASE("client secret: form body posted to the tenant's token endpoint") {
    auto svc = token_service();
    auth::environment_credential cred(test::fake_options(
        svc, {{"AZURE_TENANT_ID", "tenant-1"}, {"AZURE_CLIENT_ID", "client-1"}, {"AZURE_CLIENT_SECRET", "s3cr3t-value"}}, t0));
    const auto tok = cred.get_token(arm);
    CHECK(tok.token == "issued-1");
    CHECK(tok.expires_on == t0 + 3599s);
    REQUIRE(svc->seen.size() == 1);
    const auto& req = svc->seen[0];
    CHECK(req.method == "POST");
    CHECK(req.url == "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token");
    CHECK(req.headers.get("content-type") == "application/x-www-form-urlencoded");
    CHECK(test::form_of(req) == std::map<std::string, std::string>{{"grant_type", "client_credentials"},
                                                                   {"client_id", "client-1"},
                                                                   {"client_secret", "s3cr3t-value"},
                                                                   {"scope", arm}});
}

TEST_CASE("AZURE_AUTHORITY_HOST and the ARM endpoint are configurable") {
    auto svc = token_service();
    auto o = test::fake_options(svc, {{"AZURE_TENANT_ID", "t"}, {"AZURE_CLIENT_ID", "c"}, {"AZURE_CLIENT_SECRET", "x"},
                                      {"AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us"},
                                      {"AZURE_RESOURCE_MANAGER_ENDPOINT", "https://management.usgovcloudapi.net"}},
                                t0);
    const auto cloud = auth::cloud_endpoints::from_env(o.env);
    CHECK(cloud.arm_scope() == "https://management.usgovcloudapi.net/.default");
    auth::environment_credential(o).get_token(cloud.arm_scope());
    CHECK(svc->seen.at(0).url == "https://login.microsoftonline.us/t/oauth2/v2.0/token");
    CHECK(test::form_of(svc->seen.at(0)).at("scope") == "https://management.usgovcloudapi.net/.default");
    CHECK(auth::cloud_endpoints{}.arm_scope() == arm);
}

TEST_CASE("client certificate: a signed assertion the token endpoint can verify") {
    test::scratch_dir dir("auth-cert");
    const auto cert = test::make_test_certificate(dir.path());
    auto svc = token_service();
    auth::environment_credential cred(test::fake_options(
        svc, {{"AZURE_TENANT_ID", "tenant-1"}, {"AZURE_CLIENT_ID", "client-1"}, {"AZURE_CLIENT_CERTIFICATE_PATH", cert.pem.string()}},
        t0));
    CHECK(cred.get_token(arm).token == "issued-1");
    const auto form = test::form_of(svc->seen.at(0));
    CHECK(form.at("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    CHECK(form.at("client_id") == "client-1");
    CHECK(form.at("scope") == arm);
    CHECK(form.count("client_secret") == 0);
    const auto jwt = auth::verify_rs256(form.at("client_assertion"), cert.cert_pem);
    CHECK(test::str(jwt.header.at("alg")) == "RS256");
    CHECK(test::str(jwt.header.at("typ")) == "JWT");
    CHECK(test::str(jwt.header.at("x5t")) == auth::client_certificate(cert.pem).x5t());
    CHECK(test::str(jwt.claims.at("aud")) == "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token");
    CHECK(test::str(jwt.claims.at("iss")) == "client-1");
    CHECK(test::str(jwt.claims.at("sub")) == "client-1");
    CHECK(jwt.claims.at("nbf").to_number<std::int64_t>() == 1'800'000'000);
    CHECK(jwt.claims.at("exp").to_number<std::int64_t>() == 1'800'000'600);
}

TEST_CASE("workload identity: the federated token file is read on every request") {
    test::scratch_dir dir("auth-wi");
    const auto file = dir / "token";
    test::write_text(file, "federated-one\n");
    auto svc = token_service();
    auth::workload_identity_credential cred(test::fake_options(
        svc, {{"AZURE_TENANT_ID", "t"}, {"AZURE_CLIENT_ID", "c"}, {"AZURE_FEDERATED_TOKEN_FILE", file.string()}}, t0));
    cred.get_token(arm);
    test::write_text(file, "federated-two");  // the platform rotated it
    cred.get_token(arm);
    REQUIRE(svc->seen.size() == 2);
    CHECK(test::form_of(svc->seen[0]).at("client_assertion") == "federated-one");
    CHECK(test::form_of(svc->seen[1]).at("client_assertion") == "federated-two");
    CHECK(test::form_of(svc->seen[1]).at("client_assertion_type") ==
          "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");

    std::filesystem::remove(file);
    CHECK_THROWS_WITH(cred.get_token(arm), Catch::Contains("cannot read the federated token file"));
}

TEST_CASE("GitHub Actions OIDC: the id token is fetched and exchanged as a client assertion") {
    auto svc = std::make_shared<test::fake_service>();
    svc->handler = [](const http::request& req) {
        if (req.url.rfind("https://pipelines.example/idtoken", 0) == 0)
            return test::json_response(200, R"({"value":"gh-oidc-jwt","count":1})");
        return test::json_response(200, R"({"expires_in":"600","access_token":"issued-gh"})");
    };
    auth::github_actions_credential cred(test::fake_options(
        svc, {{"AZURE_TENANT_ID", "t"}, {"AZURE_CLIENT_ID", "c"},
              {"ACTIONS_ID_TOKEN_REQUEST_URL", "https://pipelines.example/idtoken?api-version=2.0"},
              {"ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token"}},
        t0));
    const auto tok = cred.get_token(arm);
    CHECK(tok.token == "issued-gh");
    CHECK(tok.expires_on == t0 + 600s);
    REQUIRE(svc->seen.size() == 2);
    CHECK(svc->seen[0].method == "GET");
    CHECK(test::query_of(svc->seen[0].url) ==
          std::map<std::string, std::string>{{"api-version", "2.0"}, {"audience", "api://AzureADTokenExchange"}});
    CHECK(svc->seen[0].headers.get("authorization") == "bearer gh-request-token");
    CHECK(test::form_of(svc->seen[1]).at("client_assertion") == "gh-oidc-jwt");
}

TEST_CASE("managed identity on Azure ML compute: MSI endpoint, secret header, clientid") {
    auto svc = std::make_shared<test::fake_service>();
    svc->handler = [](const http::request&) {
        return test::json_response(200, R"({"access_token":"mi-token","expires_on":"1800003600","resource":"https://management.azure.com","token_type":"Bearer"})");
    };
    auth::managed_identity_credential cred(test::fake_options(
        svc, {{"MSI_ENDPOINT", "http://127.0.0.1:46808/MSI/auth"}, {"MSI_SECRET", "msi-secret-value"},
              {"DEFAULT_IDENTITY_CLIENT_ID", "uami-client-id"}},
        t0));
    const auto tok = cred.get_token(arm);
    CHECK(tok.token == "mi-token");
    CHECK(tok.expires_on == std::chrono::system_clock::from_time_t(1'800'003'600));
    const auto& req = svc->seen.at(0);
    CHECK(req.method == "GET");
    CHECK(req.url.rfind("http://127.0.0.1:46808/MSI/auth?", 0) == 0);
    CHECK(test::query_of(req.url) == std::map<std::string, std::string>{{"api-version", "2017-09-01"},
                                                                       {"resource", "https://management.azure.com"},
                                                                       {"clientid", "uami-client-id"}});
    CHECK(req.headers.get("secret") == "msi-secret-value");

    // Without DEFAULT_IDENTITY_CLIENT_ID the system-assigned identity is asked for (no clientid).
    auto svc2 = std::make_shared<test::fake_service>();
    svc2->handler = svc->handler;
    auth::managed_identity_credential(
        test::fake_options(svc2, {{"MSI_ENDPOINT", "http://127.0.0.1:1/MSI/auth"}, {"MSI_SECRET", "s"}}, t0))
        .get_token(arm);
    CHECK(test::query_of(svc2->seen.at(0).url).count("clientid") == 0);
}

TEST_CASE("managed identity, legacy 2017-09-01 API: expires_on as a date string, 12- or 24-hour, with its offset") {
    const std::vector<std::pair<std::string, std::int64_t>> cases{
        {"01/15/2027 10:00:00 PM +00:00", 1'800'050'400},  // 2027-01-15T22:00:00Z
        {"01/15/2027 12:30:00 AM +00:00", 1'799'973'000},  // 00:30
        {"01/15/2027 22:00:00 +00:00", 1'800'050'400},
        {"01/15/2027 23:00:00 +01:00", 1'800'050'400}};
    for (const auto& [text, epoch] : cases) {
        auto svc = std::make_shared<test::fake_service>();
        svc->handler = [text = text](const http::request&) {
            return test::json_response(200, R"({"access_token":"legacy-token","expires_on":")" + text + R"("})");
        };
        auth::managed_identity_credential cred(test::fake_options(svc, {{"MSI_ENDPOINT", "http://127.0.0.1:1/msi"}, {"MSI_SECRET", "s"}}, t0));
        INFO(text);
        CHECK(cred.get_token(arm).expires_on == std::chrono::system_clock::from_time_t(epoch));
    }
    auto svc = std::make_shared<test::fake_service>();
    svc->handler = [](const http::request&) { return test::json_response(200, R"({"access_token":"t","expires_on":"13/45/2027 99:00:00"})"); };
    auth::managed_identity_credential bad(test::fake_options(svc, {{"MSI_ENDPOINT", "http://127.0.0.1:1/msi"}, {"MSI_SECRET", "s"}}, t0));
    CHECK_THROWS_WITH(bad.get_token(arm), Catch::Contains("no expires_in/expires_on"));
}

TEST_CASE("managed identity, App Service style: IDENTITY_ENDPOINT and X-IDENTITY-HEADER") {
    auto svc = std::make_shared<test::fake_service>();
    svc->handler = [](const http::request&) {
        return test::json_response(200, R"({"access_token":"as-token","expires_on":1800001000})");
    };
    auth::managed_identity_credential cred(test::fake_options(
        svc, {{"IDENTITY_ENDPOINT", "http://localhost:42356/msi/token"}, {"IDENTITY_HEADER", "identity-header-value"}},
        t0));
    CHECK(cred.get_token(arm).token == "as-token");
    const auto& req = svc->seen.at(0);
    CHECK(test::query_of(req.url) == std::map<std::string, std::string>{{"api-version", "2019-08-01"},
                                                                       {"resource", "https://management.azure.com"}});
    CHECK(req.headers.get("x-identity-header") == "identity-header-value");
}

TEST_CASE("managed identity via IMDS uses the injected endpoint, unreachable means unavailable") {
    auto svc = std::make_shared<test::fake_service>();
    svc->handler = [](const http::request&) {
        return test::json_response(200, R"({"access_token":"imds-token","expires_in":"86399","expires_on":"1800086399"})");
    };
    auto o = test::fake_options(svc, {}, t0);
    o.imds_endpoint = "http://127.0.0.1:9/metadata/identity/oauth2/token";
    o.imds_transport = svc;
    CHECK(auth::managed_identity_credential(o).get_token(arm).token == "imds-token");
    CHECK(svc->seen.at(0).headers.get("metadata") == "true");
    CHECK(test::query_of(svc->seen.at(0).url).at("api-version") == "2018-02-01");

    // A real transport to a closed loopback port: the source is reported unavailable, not failed.
    std::uint16_t closed = 0;
    {
        test::loopback_server s([](const http::request&) { return http::response{}; });
        closed = s.port();
    }
    auto o2 = test::fake_options(http::make_transport(), {}, t0);
    o2.imds_endpoint = "http://127.0.0.1:" + std::to_string(closed) + "/metadata/identity/oauth2/token";
    CHECK_THROWS_AS(auth::managed_identity_credential(o2).get_token(arm), auth::credential_unavailable);
}

TEST_CASE("Azure CLI: runs az with the scope through the injected runner") {
    std::vector<std::string> argv_seen;
    auto o = test::fake_options(token_service(), {}, t0);
    o.run = [&](const std::vector<std::string>& argv) {
        argv_seen = argv;
        return auth::process_output{0, R"({"accessToken":"cli-token","expiresOn":"2027-01-15 10:00:00.000000","expires_on":1800007200,"subscription":"s","tenant":"t","tokenType":"Bearer"})", ""};
    };
    const auto tok = auth::azure_cli_credential(o).get_token(arm);
    CHECK(tok.token == "cli-token");
    CHECK(tok.expires_on == std::chrono::system_clock::from_time_t(1'800'007'200));
    CHECK(argv_seen == std::vector<std::string>{"az", "account", "get-access-token", "--output", "json", "--scope", arm});

    o.run = [](const std::vector<std::string>&) {
        return auth::process_output{1, "", "ERROR: Please run 'az login' to setup account.\n"};
    };
    CHECK_THROWS_AS(auth::azure_cli_credential(o).get_token(arm), auth::credential_unavailable);
    o.run = [](const std::vector<std::string>&) {
        return auth::process_output{1, "", "ERROR: AADSTS700082: The refresh token has expired\n"};
    };
    CHECK_THROWS_WITH(auth::azure_cli_credential(o).get_token(arm),
                      "Azure CLI: 'az account get-access-token' failed (exit 1): ERROR: AADSTS700082: The refresh token has expired");
    // The default runner reports a missing program as exit 127.
    CHECK(auth::run_process({"amlops-no-such-program-xyz"}).exit_code == 127);
    const auto echo = auth::run_process({"sh", "-c", "echo out; echo err >&2; exit 3"});
    CHECK(echo.exit_code == 3);
    CHECK(echo.out == "out\n");
    CHECK(echo.err == "err\n");
}

TEST_CASE("token endpoint errors carry status and service code, never the secret") {
    auto svc = std::make_shared<test::fake_service>();
    svc->handler = [](const http::request&) {
        http::response r = test::json_response(
            401, R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."})");
        r.headers.set("x-ms-request-id", "req-42");
        return r;
    };
    auth::client_secret_credential cred("t", "c", "very-secret-value", test::fake_options(svc, {}, t0));
    try {
        cred.get_token(arm);
        FAIL("expected an auth error");
    } catch (const amlops::error& e) {
        CHECK(e.kind() == error_kind::auth);
        CHECK(e.context().http_status == 401);
        CHECK(e.context().request_id == "req-42");
        CHECK(std::string(e.what()) ==
              "client secret: token request failed (HTTP 401): AADSTS7000215: Invalid client secret provided. [invalid_client]");
        CHECK(e.describe().find("very-secret-value") == std::string::npos);
    }
}

TEST_CASE("a real loopback token endpoint over the Beast transport") {
    std::string body_seen;
    test::loopback_server server([&](const http::request& req) {
        body_seen = req.body;
        return test::json_response(200, R"({"expires_in":3600,"access_token":"wire-token"})");
    });
    auto o = test::fake_options(http::make_transport(), {{"AZURE_AUTHORITY_HOST", server.base_url()}}, t0);
    auth::client_secret_credential cred("tenant-9", "client-9", "wire-secret", o);
    CHECK(cred.get_token(arm).token == "wire-token");
    CHECK(http::form_decode(body_seen).at(2) == std::pair<std::string, std::string>{"client_secret", "wire-secret"});
}
