#include "amlops/auth/jwt.hpp"

#include "fakes.hpp"

#include <catch2/catch.hpp>

using namespace amlops;

namespace {
std::string hex_to_bytes(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 3) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}
}  // namespace

TEST_CASE("base64url round-trips without padding") {
    CHECK(auth::base64url_encode("") == "");
    CHECK(auth::base64url_encode("f") == "Zg");
    CHECK(auth::base64url_encode("fo") == "Zm8");
    CHECK(auth::base64url_encode("foo") == "Zm9v");
    CHECK(auth::base64url_encode("\xfb\xff") == "-_8");
    CHECK(auth::base64url_decode("-_8") == "\xfb\xff");
    CHECK(auth::base64url_decode("Zm8=") == "fo");
    CHECK_THROWS_AS(auth::base64url_decode("Z"), amlops::error);
    CHECK_THROWS_AS(auth::base64url_decode("Zm$v"), amlops::error);
}

TEST_CASE("a client assertion is an RS256 JWT with x5t and the Entra ID claims") {
    test::scratch_dir dir("auth-jwt");
    const auto cert = test::make_test_certificate(dir.path());
    auth::client_certificate cc(cert.pem);
    CHECK(cc.x5t() == auth::base64url_encode(hex_to_bytes(cert.sha1_hex)));

    const auto now = std::chrono::system_clock::from_time_t(1'800'000'000);
    const std::string url = "https://login.example/tenant-1/oauth2/v2.0/token";
    const std::string jwt = auth::make_client_assertion(cc, "client-1", url, now);
    const auto v = auth::verify_rs256(jwt, cert.cert_pem);
    CHECK(test::str(v.header.at("alg")) == "RS256");
    CHECK(test::str(v.header.at("typ")) == "JWT");
    CHECK(test::str(v.header.at("x5t")) == cc.x5t());
    CHECK(test::str(v.claims.at("aud")) == url);
    CHECK(test::str(v.claims.at("iss")) == "client-1");
    CHECK(test::str(v.claims.at("sub")) == "client-1");
    CHECK(v.claims.at("jti").as_string().size() == 36);
    CHECK(v.claims.at("nbf").to_number<std::int64_t>() == 1'800'000'000);
    CHECK(v.claims.at("exp").to_number<std::int64_t>() == 1'800'000'600);
    // Each assertion is unique.
    CHECK(auth::verify_rs256(auth::make_client_assertion(cc, "client-1", url, now), cert.cert_pem).claims.at("jti") !=
          v.claims.at("jti"));

    // Independent check with the openssl CLI: the signature verifies with the certificate's public key.
    const auto dot = jwt.rfind('.');
    test::write_text(dir / "input", jwt.substr(0, dot));
    test::write_text(dir / "sig", auth::base64url_decode(jwt.substr(dot + 1)));
    const auto pub = test::run_process({"openssl", "x509", "-in", (dir / "client.crt").string(), "-pubkey", "-noout"});
    test::write_text(dir / "pub.pem", pub.out);
    const auto r = test::run_process({"openssl", "dgst", "-sha256", "-verify", (dir / "pub.pem").string(), "-signature",
                                      (dir / "sig").string(), (dir / "input").string()});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("Verified OK"));

    // Tampering is detected.
    std::string tampered = jwt;
    tampered[dot - 3] = tampered[dot - 3] == 'A' ? 'B' : 'A';
    CHECK_THROWS_WITH(auth::verify_rs256(tampered, cert.cert_pem), Catch::Contains("invalid JWT"));
}

TEST_CASE("bad certificate files are configuration errors naming the file") {
    test::scratch_dir dir("auth-badcert");
    test::write_text(dir / "empty.pem", "not a pem\n");
    try {
        auth::client_certificate c(dir / "empty.pem");
        FAIL("expected an error");
    } catch (const amlops::error& e) {
        CHECK(e.kind() == error_kind::config);
        CHECK(e.context().file == (dir / "empty.pem").string());
    }
    CHECK_THROWS_AS(auth::client_certificate(dir / "missing.pem"), amlops::error);
    // Certificate without its key.
    const auto cert = test::make_test_certificate(dir.path());
    test::write_text(dir / "only-cert.pem", cert.cert_pem);
    CHECK_THROWS_WITH(auth::client_certificate(dir / "only-cert.pem"), Catch::Contains("private key"));
}
