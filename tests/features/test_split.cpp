#include "amlops/features/split.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <string>

using namespace amlops::features;

TEST_CASE("split: a row's side depends only on its bytes and the seed") {
    const std::string row = "2,2016-01-03 21:02:35,2016-01-03 21:05:52,1,0.83";
    CHECK(split_unit(row, 42) == split_unit(std::string(row), 42));
    CHECK(split_unit(row, 42) != split_unit(row, 43));
    CHECK(split_unit(row, 42) != split_unit(row + "0", 42));
    double u = split_unit(row, 42);
    CHECK(u >= 0.0);
    CHECK(u < 1.0);
    CHECK_FALSE(in_test_split(row, 42, 0.0));
    CHECK(in_test_split(row, 42, 1.0));
}

TEST_CASE("split: the hash is pinned (changing it would move existing rows)") {
    // Values from this implementation; a change here means every stored split changes.
    static_assert(hash_bytes("", 0) == 15848030348026535468ull);
    static_assert(hash_bytes("abc", 42) == 16958081597493201753ull);
    static_assert(hash_bytes("2,2016-01-03 21:02:35,2016-01-03 21:05:52", 42) == 17664568323692562936ull);
    static_assert(hash_bytes("abcdefgh-12", 7) != hash_bytes("abcdefgh-13", 7));
    static_assert(mix64(0) == 0);
    // At run time the words are loaded whole; the values must be the compile-time ones.
    std::string row = "2,2016-01-03 21:02:35,2016-01-03 21:05:52";
    CHECK(hash_bytes(row, 42) == 17664568323692562936ull);
    std::string abc = "abc";
    CHECK(hash_bytes(abc, 42) == 16958081597493201753ull);
    // Every tail length and alignment: hashes computed at compile time (byte by byte) against
    // the same suffixes hashed at run time (word loads) from a heap copy.
    static constexpr std::string_view text = "2,2016-01-03 21:02:35,2016-01-03 21:05:52";
    static constexpr auto pinned = [] {
        std::array<std::uint64_t, text.size() + 1> h{};
        for (std::size_t len = 0; len <= text.size(); ++len) h[len] = hash_bytes(text.substr(text.size() - len), 3);
        return h;
    }();
    const std::string heap(text);
    for (std::size_t len = 0; len <= text.size(); ++len)
        CHECK(hash_bytes(std::string_view(heap).substr(heap.size() - len), 3) == pinned[len]);
}

TEST_CASE("split: the test share is close to the requested ratio") {
    for (double ratio : {0.1, 0.2, 0.5}) {
        int in_test = 0;
        const int n = 100000;
        for (int i = 0; i < n; ++i)
            in_test += in_test_split("1,2016-01-0" + std::to_string(i % 9 + 1) + " 10:00:00," + std::to_string(i), 42, ratio)
                           ? 1
                           : 0;
        INFO("ratio " << ratio);
        CHECK(std::abs(in_test / double(n) - ratio) < 0.01);  // > 6 standard deviations
    }
}

TEST_CASE("split: hash_bytes_lanes gives each string's hash_bytes, whatever the lengths") {
    static constexpr std::string_view text =
        "2,2016-01-03 21:02:35,2016-01-03 21:05:52,1,0.83,,,-73.98726654052734,40.6938362121582,-73.97611236572266";
    static_assert(hash_bytes_lanes<2>({"abc", ""}, 42)[0] == hash_bytes("abc", 42));
    static_assert(hash_bytes_lanes<2>({"abc", ""}, 42)[1] == hash_bytes("", 42));
    static_assert(hash_bytes_lanes<1>({text}, 42)[0] == hash_bytes(text, 42));
    const std::string heap(text);
    const std::string_view all(heap);
    // Every pair of lengths 0-48 (short strings take the byte loop for their tail, longer ones the
    // word ending at their end), and four lanes of mixed lengths.
    for (std::size_t a = 0; a <= 48; ++a)
        for (std::size_t b = 0; b <= 48; ++b) {
            const auto x = all.substr(a % 5, a), y = all.substr(b % 3, b);
            const auto h = hash_bytes_lanes<2>({x, y}, 7);
            if (h[0] != hash_bytes(x, 7) || h[1] != hash_bytes(y, 7)) FAIL_CHECK("lengths " << x.size() << ", " << y.size());
            const std::array<std::string_view, 4> four{y, all.substr(1, 40 + a), x, all.substr(2, (a * b) % 100)};
            const auto h4 = hash_bytes_lanes<4>(four, 9);
            for (std::size_t k = 0; k < 4; ++k)
                if (h4[k] != hash_bytes(four[k], 9)) FAIL_CHECK("lane " << k << " length " << four[k].size());
        }
    CHECK(split_unit_of_hash(hash_bytes(text, 42)) == split_unit(text, 42));
}
