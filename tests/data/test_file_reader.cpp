// Mapped input files: chunks as views into the mapping, and what happens when the file shrinks
// under the mapping (SIGBUS handled, error(io) instead of a crash).
#include "amlops/data/file_reader.hpp"

#include "amlops/core/error.hpp"
#include "amlops/data/csv.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <string>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace amlops;
using namespace amlops::data;
namespace fs = std::filesystem;

namespace {

// A CSV of `rows` records of 100 bytes each, after a header line.
std::string numbered_rows(int rows) {
    std::string text = "id,payload\n";
    for (int i = 0; i < rows; ++i) {
        std::string id = std::to_string(i);
        text += id + "," + std::string(99 - id.size() - 1, 'x') + "\n";
    }
    return text;
}

void shrink(const fs::path& file, std::size_t size) { REQUIRE(::truncate(file.c_str(), static_cast<off_t>(size)) == 0); }

// Runs `body` in a child process and returns its wait status (no core file from the child).
template <class F>
int status_of_child(F&& body) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        rlimit no_core{0, 0};
        ::setrlimit(RLIMIT_CORE, &no_core);
        body();
        ::_exit(0);
    }
    return test::wait_status(pid);
}

// The child did not get past its SIGBUS: without a sanitizer it died of the signal; under
// AddressSanitizer the handler installed before ours (ASan's) reports the fault and exits non-zero.
void check_died_of_sigbus(int status) {
#if defined(__SANITIZE_ADDRESS__)
    CHECK((WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) < 10)));
#else
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGBUS);
#endif
}

}  // namespace

TEST_CASE("file_reader maps regular non-empty files only") {
    test::scratch_dir dir("file_reader");
    test::write_text(dir / "a.csv", "x\n1\n");
    test::write_text(dir / "empty.csv", "");
    auto mapping = file_reader(dir / "a.csv").map();
    REQUIRE(mapping);
    CHECK(mapping->bytes() == "x\n1\n");
    CHECK_FALSE(mapping->damaged());
    CHECK_NOTHROW(mapping->check());
    CHECK_FALSE(file_reader(dir / "empty.csv").map());
    CHECK_FALSE(file_reader("/dev/null").map());

    // A pipe is read, not mapped, and still gives the whole file.
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const std::string text = "a,b\n1,2\n3,4\n";
    REQUIRE(::write(fds[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(fds[1]);
    csv_chunker chunker("/proc/self/fd/" + std::to_string(fds[0]), 64, {}, ',', csv_chunker::source::map_if_possible);
    CHECK_FALSE(chunker.mapped());
    csv_chunk chunk;
    REQUIRE(chunker.next(chunk));
    CHECK(chunk.text == "1,2\n3,4\n");
    CHECK_FALSE(chunker.next(chunk));
    ::close(fds[0]);
}

TEST_CASE("a mapped input that shrinks while being read is an io error naming the file, not a crash") {
    test::scratch_dir dir("file_reader");
    const fs::path file = dir / "in.csv";
    const std::string text = numbered_rows(2000);  // 200 kB: many pages, many 8 kB chunks
    test::write_text(file, text);
    csv_chunker chunker(file, 8192, {}, ',', csv_chunker::source::map_if_possible);
    REQUIRE(chunker.mapped());
    csv_chunk first;
    REQUIRE(chunker.next(first));
    CHECK(first.text.substr(0, 2) == "0,");
    csv_chunk in_flight;  // cut before the truncation, read after it (as a worker would)
    REQUIRE(chunker.next(in_flight));

    shrink(file, 4096);
    // The pages of `in_flight` are gone: reading them faults, the handler puts zeros there.
    std::size_t zeros = 0;
    for (char c : in_flight.text) zeros += c == '\0';
    CHECK(zeros > 0);
    error e = test::error_of([&] { in_flight.check_source(); });
    CHECK(e.kind() == error_kind::io);
    CHECK(e.context().file == file.string());
    CHECK_THAT(e.what(), Catch::Contains("changed size while being read") &&
                             Catch::Contains(std::to_string(text.size()) + " bytes when opened, 4096 now"));
    // The chunker refuses to go on, too.
    csv_chunk next;
    CHECK(test::error_of([&] { chunker.next(next); }).kind() == error_kind::io);
}

TEST_CASE("a mapped input cut short before a chunk is cut fails in the chunker") {
    test::scratch_dir dir("file_reader");
    const fs::path file = dir / "in.csv";
    test::write_text(file, numbered_rows(2000));
    csv_chunker chunker(file, 8192, {}, ',', csv_chunker::source::map_if_possible);
    shrink(file, 0);
    csv_chunk chunk;
    error e = test::error_of([&] {
        while (chunker.next(chunk)) {
        }
    });
    CHECK(e.kind() == error_kind::io);
    CHECK_THAT(e.what(), Catch::Contains("changed size while being read"));
}

TEST_CASE("SIGBUS outside the registered mappings still kills the process") {
    test::scratch_dir dir("file_reader");
    test::write_text(dir / "registered.csv", numbered_rows(100));
    test::write_text(dir / "foreign.bin", std::string(3 * 4096, 'f'));
    // The handler is installed once a file is mapped; keep one mapped in the children too.
    auto registered = file_reader(dir / "registered.csv").map();
    REQUIRE(registered);

    // A fault in a mapping the handler does not know about (mapped directly here).
    int status = status_of_child([&] {
        const int fd = ::open((dir / "foreign.bin").c_str(), O_RDONLY);
        auto* p = static_cast<const volatile char*>(::mmap(nullptr, 3 * 4096, PROT_READ, MAP_PRIVATE, fd, 0));
        if (::ftruncate(::open((dir / "foreign.bin").c_str(), O_WRONLY), 0) != 0) ::_exit(10);
        (void)p[2 * 4096];  // beyond the end of the file now: SIGBUS
        ::_exit(11);        // not reached
    });
    check_died_of_sigbus(status);

    // A SIGBUS sent by another process is not a fault: it keeps its default action.
    status = status_of_child([] {
        ::raise(SIGBUS);
        ::_exit(12);
    });
    check_died_of_sigbus(status);
    CHECK_FALSE(registered->damaged());
}

TEST_CASE("mapped chunks: lines counted while cutting, also past a line longer than a chunk") {
    test::scratch_dir dir("file_reader");
    std::string text = "a,b\n";
    for (int i = 0; i < 50; ++i) text += (i == 20 ? std::string(500, 'w') : std::to_string(i)) + ",x\n\n";
    test::write_text(dir / "in.csv", text);
    csv_chunker chunker(dir / "in.csv", 64, {}, ',', csv_chunker::source::map_if_possible);
    REQUIRE(chunker.mapped());
    csv_chunk chunk;
    csv_parser parser;
    csv_record rec;
    std::uint64_t expected_line = 2;
    int rows = 0;
    while (chunker.next(chunk)) {
        CHECK(chunk.first_line >= expected_line);
        parser.reset(chunk.text, chunk.first_line, true);
        while (parser.next(rec) == csv_status::record) {
            CHECK(rec.line() == expected_line);
            CHECK(rec[1] == "x");
            expected_line += 2;  // each record is followed by a blank line
            ++rows;
        }
    }
    CHECK(rows == 50);
}
