#include "amlops/core/sha256.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace amlops;

TEST_CASE("sha256 matches the FIPS 180-2 test vectors") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("sha256 of a file equals the hash of its bytes, incremental or not") {
    test::scratch_dir dir("sha");
    std::string big(200000, 'x');
    test::write_text(dir / "f", big);
    sha256 h;
    h.update(big.substr(0, 1000));
    h.update(big.substr(1000));
    std::string inc = h.hex_digest();
    CHECK(sha256_file(dir / "f") == sha256_hex(big));
    CHECK(inc == sha256_hex(big));
}
