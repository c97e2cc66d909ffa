#pragma once
// The JWT pieces of certificate authentication: base64url, PEM certificate + key, RS256
// signing, and verification (for the tests and the local emulator's token endpoint).

#include "amlops/core/json.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace amlops::auth {

/// Base64url without padding (RFC 7515 §2).
std::string base64url_encode(std::string_view bytes);
/// Decodes base64url with or without padding; throws error(bad_input) on invalid input.
std::string base64url_decode(std::string_view text);

/// A certificate with its private key, loaded from PEM (both in one file, or two files).
class client_certificate {
public:
    /// Throws error(config) naming the file when it is missing or has no certificate/key, or
    /// when the key does not match the certificate. The key must be unencrypted RSA.
    explicit client_certificate(const std::filesystem::path& pem, const std::filesystem::path& key_pem = {});
    ~client_certificate();
    client_certificate(const client_certificate&) = delete;
    client_certificate& operator=(const client_certificate&) = delete;

    /// base64url(SHA-1(DER certificate)), the JWT `x5t` header.
    const std::string& x5t() const noexcept { return x5t_; }
    /// RS256 signature (raw bytes) of `data`.
    std::string sign_rs256(std::string_view data) const;

private:
    struct handles;
    std::unique_ptr<handles> h_;
    std::string x5t_;
};

/// A client assertion for `token_url` as Entra ID expects: header {alg RS256, typ JWT, x5t},
/// claims {aud, iss = sub = client_id, jti = random UUID, nbf = now, exp = now + 600 s}.
std::string make_client_assertion(const client_certificate& cert, const std::string& client_id,
                                  const std::string& token_url, std::chrono::system_clock::time_point now);

/// A decoded, signature-verified JWT.
struct verified_jwt {
    json::object header;
    json::object claims;
};
/// Verifies an RS256 JWT against the public key of the PEM certificate text `cert_pem`. Throws
/// error(auth) when malformed, not RS256, or the signature does not verify. Does not check
/// times or audience (callers do).
verified_jwt verify_rs256(std::string_view jwt, std::string_view cert_pem);

}  // namespace amlops::auth
