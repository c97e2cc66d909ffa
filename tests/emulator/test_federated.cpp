// The emulator's workload identity federation (emulator_federated.cpp): a GitHub-style ID token
// is exchanged only when issuer, subject and audience match a federated credential exactly, it
// is signed by the issuer and unexpired; certificate assertions keep working beside it.
#include "emulator.hpp"

#include "amlops/auth/jwt.hpp"
#include "amlops/http/message.hpp"
#include "amlops/http/transport.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace amlops;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

const std::string github_issuer = "https://token.actions.githubusercontent.com";

/// An RSA certificate + key pair (PEM files) made with the openssl CLI.
fs::path make_key_pair(const fs::path& dir, const std::string& name) {
    const auto r = test::run_process({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                                      (dir / (name + ".key")).string(), "-out", (dir / (name + ".pem")).string(),
                                      "-subj", "/CN=" + name, "-days", "1"});
    REQUIRE(r.exit_code == 0);
    return dir / name;
}

std::string sign(const fs::path& pair, const json::object& claims) {
    auth::client_certificate cert(pair.string() + ".pem", pair.string() + ".key");
    const json::object header{{"alg", "RS256"}, {"typ", "JWT"}, {"x5t", cert.x5t()}};
    const auto input = auth::base64url_encode(boost::json::serialize(header)) + "." + auth::base64url_encode(boost::json::serialize(claims));
    return input + "." + auth::base64url_encode(cert.sign_rs256(input));
}

json::object claims(const std::string& sub, std::int64_t exp_offset = 300, const std::string& aud = "api://AzureADTokenExchange") {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    return {{"iss", github_issuer}, {"sub", sub}, {"aud", aud}, {"iat", now}, {"nbf", now}, {"exp", now + exp_offset}};
}

/// POSTs a client_credentials request with `assertion`: {status, body}.
http::response token_exchange(const emulator::emulator& emu, const std::string& assertion) {
    http::request req;
    req.method = "POST";
    req.url = emu.base_url() + "/emulator-tenant/oauth2/v2.0/token";
    req.headers.set("Content-Type", "application/x-www-form-urlencoded");
    req.body = http::form_encode({{"grant_type", "client_credentials"}, {"client_id", "emulator-client"},
                                  {"scope", "https://management.azure.com/.default"},
                                  {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
                                  {"client_assertion", assertion}});
    return http::make_transport()->send(req);
}

}  // namespace

TEST_CASE("federated credentials: exact subject, audience, issuer signature and validity window") {
    test::scratch_dir dir("emulator-federated");
    const auto issuer = make_key_pair(dir.path(), "issuer");
    const auto stranger = make_key_pair(dir.path(), "stranger");
    emulator::options o;
    o.federated_issuer_certificate_pem = test::read_text(issuer.string() + ".pem");
    o.federated_credentials.push_back({.subject = "repo:org/app:environment:production"});
    o.federated_credentials.push_back({.subject = "repo:org/app:ref:refs/heads/integration"});
    emulator::emulator emu(o);

    auto ok = token_exchange(emu, sign(issuer, claims("repo:org/app:environment:production")));
    CHECK(ok.status == 200);
    CHECK_THAT(ok.body, Contains("emu-token-"));
    CHECK(token_exchange(emu, sign(issuer, claims("repo:org/app:ref:refs/heads/integration"))).status == 200);

    // A job with an environment never matches a branch credential, and vice versa.
    auto wrong = token_exchange(emu, sign(issuer, claims("repo:org/app:environment:staging")));
    CHECK(wrong.status == 400);
    CHECK_THAT(wrong.body, Contains("AADSTS70021") && Contains("repo:org/app:environment:staging"));
    CHECK_THAT(token_exchange(emu, sign(issuer, claims("repo:org/app:ref:refs/heads/main"))).body, Contains("AADSTS70021"));
    CHECK_THAT(token_exchange(emu, sign(issuer, claims("repo:org/app:environment:production", 300, "api://other"))).body,
               Contains("AADSTS70021"));
    CHECK_THAT(token_exchange(emu, sign(issuer, claims("repo:org/app:environment:production", -60))).body, Contains("AADSTS700024"));
    CHECK_THAT(token_exchange(emu, sign(stranger, claims("repo:org/app:environment:production"))).body,
               Contains("AADSTS700027") && Contains("signature"));
}

TEST_CASE("federated credentials: none configured means a GitHub token is refused") {
    test::scratch_dir dir("emulator-federated-none");
    const auto issuer = make_key_pair(dir.path(), "issuer");
    emulator::emulator emu(emulator::options{});
    const auto r = token_exchange(emu, sign(issuer, claims("repo:org/app:environment:production")));
    CHECK(r.status == 400);
    CHECK_THAT(r.body, Contains("AADSTS700027"));
}
