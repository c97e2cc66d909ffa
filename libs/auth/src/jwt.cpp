#include "amlops/auth/jwt.hpp"

#include "amlops/core/environment.hpp"
#include "amlops/core/error.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>

namespace amlops::auth {

namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct bio_free { void operator()(BIO* p) const noexcept { BIO_free(p); } };
struct x509_free { void operator()(X509* p) const noexcept { X509_free(p); } };
struct pkey_free { void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); } };
struct md_ctx_free { void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); } };
using bio_ptr = std::unique_ptr<BIO, bio_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, md_ctx_free>;

bio_ptr open_file(const std::filesystem::path& p) {
    bio_ptr bio(BIO_new_file(p.c_str(), "r"));
    if (!bio) throw error(error_kind::config, "cannot open certificate file").in_file(p.string());
    return bio;
}

std::string_view as_view(const unsigned char* p, std::size_t n) { return {reinterpret_cast<const char*>(p), n}; }

}  // namespace

std::string base64url_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : bytes) {
        acc = (acc << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(alphabet[(acc >> bits) & 0x3F]);
        }
    }
    if (bits > 0) out.push_back(alphabet[(acc << (6 - bits)) & 0x3F]);
    return out;
}

std::string base64url_decode(std::string_view text) {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        int v = -1;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '-' || c == '+') v = 62;
        else if (c == '_' || c == '/') v = 63;
        if (v < 0) throw error(error_kind::bad_input, "invalid base64url text");
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    if (bits >= 6) throw error(error_kind::bad_input, "invalid base64url length");
    return out;
}

struct client_certificate::handles {
    x509_ptr cert;
    pkey_ptr key;
};

client_certificate::client_certificate(const std::filesystem::path& pem, const std::filesystem::path& key_pem)
    : h_(std::make_unique<handles>()) {
    {
        auto bio = open_file(pem);
        h_->cert.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
        if (!h_->cert) throw error(error_kind::config, "no PEM certificate found").in_file(pem.string());
    }
    {
        const auto& key_file = key_pem.empty() ? pem : key_pem;
        auto bio = open_file(key_file);
        // An empty passphrase callback result makes encrypted keys fail instead of prompting.
        h_->key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
        if (!h_->key)
            throw error(error_kind::config, "no unencrypted PEM private key found").in_file(key_file.string());
    }
    if (EVP_PKEY_get_base_id(h_->key.get()) != EVP_PKEY_RSA)
        throw error(error_kind::config, "the private key is not RSA (RS256 needs RSA)").in_file(pem.string());
    if (X509_check_private_key(h_->cert.get(), h_->key.get()) != 1)
        throw error(error_kind::config, "the private key does not match the certificate").in_file(pem.string());
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int len = 0;
    if (X509_digest(h_->cert.get(), EVP_sha1(), digest.data(), &len) != 1)
        throw error(error_kind::internal, "cannot compute the certificate thumbprint");
    x5t_ = base64url_encode(as_view(digest.data(), len));
}

client_certificate::~client_certificate() = default;

std::string client_certificate::sign_rs256(std::string_view data) const {
    md_ctx_ptr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, h_->key.get()) != 1)
        throw error(error_kind::internal, "EVP_DigestSignInit failed");
    std::size_t len = 0;
    const auto* in = reinterpret_cast<const unsigned char*>(data.data());
    if (EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) != 1)
        throw error(error_kind::internal, "EVP_DigestSign (size) failed");
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in, data.size()) != 1)
        throw error(error_kind::internal, "EVP_DigestSign failed");
    sig.resize(len);
    return sig;
}

std::string make_client_assertion(const client_certificate& cert, const std::string& client_id,
                                  const std::string& token_url, std::chrono::system_clock::time_point now) {
    const auto nbf = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const json::object header{{"alg", "RS256"}, {"typ", "JWT"}, {"x5t", cert.x5t()}};
    const json::object claims{{"aud", token_url}, {"iss", client_id},  {"sub", client_id},
                              {"jti", random_uuid()}, {"nbf", nbf}, {"exp", nbf + 600}};
    std::string signing_input = base64url_encode(boost::json::serialize(header));
    signing_input.push_back('.');
    signing_input.append(base64url_encode(boost::json::serialize(claims)));
    const std::string sig = base64url_encode(cert.sign_rs256(signing_input));
    signing_input.push_back('.');
    signing_input.append(sig);
    return signing_input;
}

verified_jwt verify_rs256(std::string_view jwt, std::string_view cert_pem) {
    auto fail = [](const std::string& why) { return error(error_kind::auth, "invalid JWT: " + why); };
    const auto d1 = jwt.find('.');
    const auto d2 = d1 == std::string_view::npos ? d1 : jwt.find('.', d1 + 1);
    if (d2 == std::string_view::npos || jwt.find('.', d2 + 1) != std::string_view::npos)
        throw fail("expected three dot-separated parts");
    verified_jwt out;
    try {
        auto h = json::parse(base64url_decode(jwt.substr(0, d1)), "JWT header");
        auto c = json::parse(base64url_decode(jwt.substr(d1 + 1, d2 - d1 - 1)), "JWT claims");
        if (!h.is_object() || !c.is_object()) throw fail("header and claims must be JSON objects");
        out.header = h.as_object();
        out.claims = c.as_object();
    } catch (const error& e) {
        if (e.kind() == error_kind::auth) throw;
        throw fail(e.what());
    }
    const auto* alg = out.header.if_contains("alg");
    if (!alg || !alg->is_string() || alg->as_string() != "RS256") throw fail("alg must be RS256");
    const std::string sig = base64url_decode(jwt.substr(d2 + 1));

    bio_ptr bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
    x509_ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!cert) throw error(error_kind::config, "verify_rs256: no PEM certificate given");
    EVP_PKEY* pub = X509_get0_pubkey(cert.get());
    md_ctx_ptr ctx(EVP_MD_CTX_new());
    if (!pub || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pub) != 1)
        throw error(error_kind::internal, "EVP_DigestVerifyInit failed");
    const std::string_view signing_input = jwt.substr(0, d2);
    const int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                                    reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size());
    if (ok != 1) throw fail("signature does not verify");
    return out;
}

}  // namespace amlops::auth
