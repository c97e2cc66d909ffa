#pragma once
// SHA-256 over OpenSSL's EVP interface, hex-encoded (lower case), as used in manifests and reports.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace amlops {

/// Incremental SHA-256. update() any number of times, then hex_digest() once.
class sha256 {
public:
    sha256();
    ~sha256();
    sha256(sha256&&) noexcept;
    sha256& operator=(sha256&&) noexcept;
    void update(std::string_view bytes);
    /// Lower-case hex digest; the hasher must not be updated afterwards.
    std::string hex_digest();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// SHA-256 of a string, lower-case hex.
std::string sha256_hex(std::string_view bytes);
/// SHA-256 of a file's content (streamed), lower-case hex. Throws error(not_found|io).
std::string sha256_file(const std::filesystem::path& path);

}  // namespace amlops
