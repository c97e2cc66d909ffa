#include "amlops/core/sha256.hpp"

#include "amlops/core/error.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <memory>

namespace amlops {

struct sha256::impl {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
};

sha256::sha256() : impl_(std::make_unique<impl>()) {
    if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx.get(), EVP_sha256(), nullptr) != 1)
        throw error(error_kind::internal, "OpenSSL: cannot initialise SHA-256");
}
sha256::~sha256() = default;
sha256::sha256(sha256&&) noexcept = default;
sha256& sha256::operator=(sha256&&) noexcept = default;

void sha256::update(std::string_view bytes) {
    if (EVP_DigestUpdate(impl_->ctx.get(), bytes.data(), bytes.size()) != 1)
        throw error(error_kind::internal, "OpenSSL: SHA-256 update failed");
}

std::string sha256::hex_digest() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(impl_->ctx.get(), md.data(), &len) != 1)
        throw error(error_kind::internal, "OpenSSL: SHA-256 final failed");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(len * 2);
    for (unsigned i = 0; i < len; ++i) {
        out.push_back(hex[md[i] >> 4]);
        out.push_back(hex[md[i] & 0xF]);
    }
    return out;
}

std::string sha256_hex(std::string_view bytes) {
    sha256 h;
    h.update(bytes);
    return h.hex_digest();
}

std::string sha256_file(const std::filesystem::path& path) {
    std::unique_ptr<std::FILE, decltype(&std::fclose)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) {
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) throw error(error_kind::not_found, "no such file").in_file(path.string());
        throw error(error_kind::io, "cannot read file").in_file(path.string());
    }
    sha256 h;
    std::array<char, 1 << 16> buf;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) h.update({buf.data(), n});
    if (std::ferror(f.get())) throw error(error_kind::io, "read failed").in_file(path.string());
    return h.hex_digest();
}

}  // namespace amlops
