#include "amlops/core/output_set.hpp"

#include "amlops/core/error.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <set>
#include <string>

#include <sys/resource.h>

using namespace amlops;
namespace fs = std::filesystem;

namespace {

std::set<std::string> names_in(const fs::path& dir) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename().string());
    return names;
}

// "f<i>.csv" (append(): GCC 12 reports a false -Wrestrict for "f" + std::to_string(i) + ...).
std::string numbered(int i) {
    std::string name = "f";
    name.append(std::to_string(i)).append(".csv");
    return name;
}

}  // namespace

TEST_CASE("output_set replaces the previous set: staged files in, dropped and stale ones out") {
    test::scratch_dir dir("output_set");
    write_file_atomic(dir / "a.csv", "old a");
    write_file_atomic(dir / "b.csv", "old b");
    write_file_atomic(dir / "stale.json", "old");
    {
        output_set out;
        for (int i = 0; i < 12; ++i)  // more files than prepare threads
            out.stage(dir / numbered(i), std::string(100000 + i, 'x'));
        out.stage(dir / "a.csv").write("new a");
        out.stage(dir / "b.csv").write("new b");
        out.drop(dir / "b.csv");
        out.remove_on_commit(dir / "stale.json");
        out.stage(dir / "report.json", "{}");
        out.commit();
        CHECK(out.committed());
    }
    CHECK(test::read_text(dir / "a.csv") == "new a");
    CHECK(test::read_text(dir / "f11.csv") == std::string(100011, 'x'));
    CHECK(test::read_text(dir / "report.json") == "{}");
    std::set<std::string> expected{"a.csv", "report.json"};
    for (int i = 0; i < 12; ++i) expected.insert(numbered(i));
    CHECK(names_in(dir.path()) == expected);  // no b.csv, no stale.json, no temp files
}

TEST_CASE("output_set: a file that cannot be written fails the commit and changes nothing") {
    test::scratch_dir dir("output_set");
    write_file_atomic(dir / "small.csv", "old small");
    write_file_atomic(dir / "big.csv", "old big");
    // Writes past 1 MiB fail with EFBIG (SIGXFSZ ignored): big.csv's bytes reach the file only
    // when commit() flushes them, so its prepare fails while the others' succeed beside it.
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit saved{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    rlimit limited = saved;
    limited.rlim_cur = 1 << 20;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &limited) == 0);
    error e = test::error_of([&] {
        output_set out;
        out.stage(dir / "small.csv", "new small");
        out.stage(dir / "big.csv", std::string(std::size_t{3} << 20, 'x'));
        out.stage(dir / "other.csv", "new other");
        out.stage(dir / "report.json", "{}");
        out.commit();
    });
    ::setrlimit(RLIMIT_FSIZE, &saved);
    CHECK(e.kind() == error_kind::io);
    CHECK(e.context().file == (dir / "big.csv").string());
    CHECK(test::read_text(dir / "small.csv") == "old small");
    CHECK(test::read_text(dir / "big.csv") == "old big");
    CHECK(names_in(dir.path()) == std::set<std::string>{"big.csv", "small.csv"});
}
