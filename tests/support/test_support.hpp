#pragma once
// Shared helpers for tests: scratch directories, running built tools as a user would.

#include "amlops/core/error.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace amlops::test {

/// A fresh, empty directory under $AMLOPS_TEST_TMP (or the system temp dir), removed on
/// destruction unless AMLOPS_KEEP_TEST_TMP is set.
class scratch_dir {
public:
    explicit scratch_dir(const std::string& label);
    ~scratch_dir();
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;
    const std::filesystem::path& path() const noexcept { return path_; }
    std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

private:
    std::filesystem::path path_;
};

/// Result of running a command: exit code, stdout and stderr.
struct run_result {
    int exit_code = -1;
    std::string out;
    std::string err;
};

/// Path of a built tool, e.g. tool_path("aml-transform").
std::filesystem::path tool_path(const std::string& name);

/// Runs a built tool with arguments (no shell), capturing stdout and stderr.
run_result run_tool(const std::string& name, const std::vector<std::string>& args,
                    const std::vector<std::string>& extra_env = {});

/// Runs an argv (no shell), capturing stdout and stderr.
run_result run_process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {});

/// Waits for the child process `pid` to end and returns its wait status (WIFEXITED, WTERMSIG...).
int wait_status(int pid);

/// $AMLOPS_SHARED_DIR if it exists (the read-only ../shared reference folder), else empty.
std::filesystem::path shared_dir();

/// Runs `f`, which must throw amlops::error, and returns that error for inspecting its kind,
/// file, line, field and message. Fails the test when nothing (or something else) is thrown.
template <class F>
amlops::error error_of(F&& f) {
    try {
        f();
    } catch (const amlops::error& e) {
        return e;
    }
    FAIL("expected an amlops::error");
    throw std::logic_error("unreachable");
}

/// Writes a text file (creating directories).
void write_text(const std::filesystem::path& p, const std::string& content);
/// Reads a text file.
std::string read_text(const std::filesystem::path& p);

}  // namespace amlops::test
