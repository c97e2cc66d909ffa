#include "test_support.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/environment.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace amlops::test {
namespace fs = std::filesystem;

scratch_dir::scratch_dir(const std::string& label) {
    const char* base = std::getenv("AMLOPS_TEST_TMP");
    fs::path root = base ? fs::path(base) : fs::temp_directory_path() / "amlops-tests";
    path_ = root / (label + "-" + random_uuid().substr(0, 8));
    fs::create_directories(path_);
}

scratch_dir::~scratch_dir() {
    if (std::getenv("AMLOPS_KEEP_TEST_TMP")) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
}

fs::path tool_path(const std::string& name) {
    const char* bin = std::getenv("AMLOPS_BIN_DIR");
    if (!bin) throw std::runtime_error("AMLOPS_BIN_DIR is not set (run the tests through ctest)");
    return fs::path(bin) / name;
}

int wait_status(int pid) {
    // Throws rather than REQUIRE: this library is also linked into programs without Catch
    // (amlops-ci-fixture); a test that calls it fails on the exception all the same.
    int status = 0;
    pid_t got;
    while ((got = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
    }
    if (got != pid) throw std::runtime_error("waitpid(" + std::to_string(pid) + ") failed");
    return status;
}

run_result run_process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env) {
    // Capture through temp files rather than pipes: no deadlock however much a tool prints.
    scratch_dir io("proc");
    fs::path out_path = io / "stdout", err_path = io / "stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_store;
    // `extra_env` overrides the inherited environment (getenv returns the first match, so an
    // inherited duplicate would win): a CI runner's own AZURE_* or MLFLOW_* must not leak in.
    auto name_of = [](std::string_view entry) { return entry.substr(0, entry.find('=')); };
    for (char** e = environ; *e; ++e) {
        const std::string_view entry(*e);
        const bool overridden = std::any_of(extra_env.begin(), extra_env.end(),
                                            [&](const std::string& x) { return name_of(x) == name_of(entry); });
        if (!overridden) env_store.emplace_back(entry);
    }
    for (const auto& e : extra_env) env_store.push_back(e);
    std::vector<char*> envp;
    for (auto& e : env_store) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    run_result r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_text(out_path);
    r.err = read_text(err_path);
    return r;
}

run_result run_tool(const std::string& name, const std::vector<std::string>& args,
                    const std::vector<std::string>& extra_env) {
    std::vector<std::string> argv{tool_path(name).string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, extra_env);
}

fs::path shared_dir() {
    const char* s = std::getenv("AMLOPS_SHARED_DIR");
    if (!s) return {};
    std::error_code ec;
    fs::path p = fs::weakly_canonical(s, ec);
    if (ec || !fs::is_directory(p)) return {};
    return p;
}

void write_text(const fs::path& p, const std::string& content) {
    if (p.has_parent_path()) fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
}

std::string read_text(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace amlops::test
