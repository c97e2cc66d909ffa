#include "amlops/pipeline/process.hpp"

#include "amlops/core/error.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace amlops::pipeline {

namespace {

/// posix_spawn attribute/file-action objects, destroyed on every path.
struct spawn_setup {
    posix_spawn_file_actions_t actions{};
    posix_spawnattr_t attr{};
    spawn_setup() {
        if (posix_spawn_file_actions_init(&actions) != 0) throw error(error_kind::io, "posix_spawn_file_actions_init failed");
        if (posix_spawnattr_init(&attr) != 0) {
            posix_spawn_file_actions_destroy(&actions);
            throw error(error_kind::io, "posix_spawnattr_init failed");
        }
    }
    ~spawn_setup() {
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&actions);
    }
    spawn_setup(const spawn_setup&) = delete;
    spawn_setup& operator=(const spawn_setup&) = delete;
};

void check(int rc, const char* what) {
    if (rc != 0) throw error(error_kind::io, std::string(what) + " failed: " + std::strerror(rc));
}

}  // namespace

child_process::child_process(const process_spec& spec) {
    spawn_setup s;
    check(posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0), "posix_spawn (stdin)");
    check(posix_spawn_file_actions_addopen(&s.actions, 1, spec.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644),
          "posix_spawn (stdout)");
    check(posix_spawn_file_actions_addopen(&s.actions, 2, spec.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644),
          "posix_spawn (stderr)");
    check(posix_spawn_file_actions_addchdir_np(&s.actions, spec.cwd.c_str()), "posix_spawn (chdir)");
    // Own process group, so cancelling a step also stops whatever its shell started; default
    // signal dispositions and an empty mask, whatever the runner's threads have set.
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    check(posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF),
          "posix_spawnattr_setflags");
    check(posix_spawnattr_setpgroup(&s.attr, 0), "posix_spawnattr_setpgroup");
    check(posix_spawnattr_setsigmask(&s.attr, &none), "posix_spawnattr_setsigmask");
    check(posix_spawnattr_setsigdefault(&s.attr, &all), "posix_spawnattr_setsigdefault");

    std::map<std::string, std::string> env;
    for (char** e = environ; *e; ++e) {
        const std::string kv = *e;
        const auto eq = kv.find('=');
        if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const auto& [k, v] : spec.environment) env[k] = v;
    std::vector<std::string> env_store;
    env_store.reserve(env.size());
    for (const auto& [k, v] : env) env_store.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : env_store) envp.push_back(e.data());
    envp.push_back(nullptr);

    std::string shell = "/bin/bash", flag = "-c", command = spec.command;
    char* argv[] = {shell.data(), flag.data(), command.data(), nullptr};
    const int rc = posix_spawn(&pid_, "/bin/bash", &s.actions, &s.attr, argv, envp.data());
    if (rc != 0) {
        throw error(error_kind::io, std::string("cannot start /bin/bash: ") + std::strerror(rc) +
                                        " (working directory " + spec.cwd.string() + ")");
    }
}

child_process::~child_process() {
    // A child still running here means the runner is unwinding: stop it and reap it.
    if (!exited_ && pid_ > 0) {
        terminate(true);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }
}

int child_process::wait() {
    // Wait without reaping first, so terminate() never signals a pid that was already reused.
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) < 0) {
        if (errno != EINTR) throw error(error_kind::io, std::string("waitid failed: ") + std::strerror(errno));
    }
    std::lock_guard lock(mutex_);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
        if (errno != EINTR) throw error(error_kind::io, std::string("waitpid failed: ") + std::strerror(errno));
    }
    exited_ = true;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

void child_process::terminate(bool force) noexcept {
    std::lock_guard lock(mutex_);
    if (exited_ || pid_ <= 0) return;
    ::kill(-pid_, force ? SIGKILL : SIGTERM);
}

std::string shell_quote(const std::string& text) {
    const bool safe = !text.empty() && text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                              "0123456789_./:=@%+,-") == std::string::npos;
    if (safe) return text;
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

}  // namespace amlops::pipeline
