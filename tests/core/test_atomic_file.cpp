#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace amlops;
namespace fs = std::filesystem;

TEST_CASE("atomic_file is invisible until commit and leaves no temp file") {
    test::scratch_dir dir("atomic");
    fs::path target = dir / "sub/out.txt";
    {
        atomic_file f(target);
        f.write("hello ");
        f.write("world");
        CHECK_FALSE(fs::exists(target));
        f.commit();
    }
    CHECK(test::read_text(target) == "hello world");
    CHECK(std::distance(fs::directory_iterator(dir / "sub"), fs::directory_iterator{}) == 1);
}

TEST_CASE("atomic_file abandoned without commit keeps the old content") {
    test::scratch_dir dir("atomic");
    fs::path target = dir / "out.txt";
    write_file_atomic(target, "old");
    {
        atomic_file f(target);
        f.write("new");
    }
    CHECK(test::read_text(target) == "old");
    CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator{}) == 1);
}

TEST_CASE("read_file of a missing file is not_found naming the path") {
    try {
        read_file("/nonexistent/amlops/x.txt");
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::not_found);
        CHECK(e.describe().find("/nonexistent/amlops/x.txt") != std::string::npos);
    }
}
