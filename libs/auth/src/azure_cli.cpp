// The Azure CLI credential and the small process runner it uses by default.

#include "amlops/auth/credentials.hpp"

#include "amlops/core/json.hpp"
#include "token_request.hpp"

#include <array>
#include <cerrno>
#include <ctime>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace amlops::auth {

namespace {
/// A pipe whose ends are closed on every path.
struct pipe_pair {
    int fd[2] = {-1, -1};
    pipe_pair() {
        if (pipe2(fd, O_CLOEXEC) != 0) throw error(error_kind::io, "cannot create a pipe");
    }
    ~pipe_pair() { close_all(); }
    void close_end(int i) {
        if (fd[i] >= 0) ::close(fd[i]);
        fd[i] = -1;
    }
    void close_all() { close_end(0), close_end(1); }
};

struct spawn_actions {
    posix_spawn_file_actions_t a{};
    spawn_actions() {
        if (posix_spawn_file_actions_init(&a) != 0) throw error(error_kind::io, "posix_spawn_file_actions_init failed");
    }
    ~spawn_actions() { posix_spawn_file_actions_destroy(&a); }
};
}  // namespace

process_output run_process(const std::vector<std::string>& argv) {
    process_output out;
    if (argv.empty()) return out;
    pipe_pair o, e;
    spawn_actions actions;
    if (posix_spawn_file_actions_adddup2(&actions.a, o.fd[1], 1) != 0 ||
        posix_spawn_file_actions_adddup2(&actions.a, e.fd[1], 2) != 0 ||
        posix_spawn_file_actions_addopen(&actions.a, 0, "/dev/null", O_RDONLY, 0) != 0)
        throw error(error_kind::io, "cannot set up process redirections");
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    if (posix_spawnp(&pid, args[0], &actions.a, nullptr, args.data(), environ) != 0) {
        out.exit_code = 127;
        out.err = argv[0] + ": not found";
        return out;
    }
    o.close_end(1);
    e.close_end(1);
    // Drain both pipes together so a chatty child cannot block on a full stderr pipe.
    std::array<pollfd, 2> fds{pollfd{o.fd[0], POLLIN, 0}, pollfd{e.fd[0], POLLIN, 0}};
    std::array<std::string*, 2> sinks{&out.out, &out.err};
    int open_count = 2;
    while (open_count > 0) {
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                sinks[i]->append(buf, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                fds[i].fd = -1;
                --open_count;
            }
        }
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return out;
}

azure_cli_credential::azure_cli_credential(credential_options options) : options_(options.resolved()) {}

access_token azure_cli_credential::get_token(const std::string& scope) {
    std::vector<std::string> argv{"az", "account", "get-access-token", "--output", "json", "--scope", scope};
    if (auto tenant = detail::env_value(options_, "AZURE_TENANT_ID")) {
        argv.emplace_back("--tenant");
        argv.push_back(*tenant);
    }
    const process_output r = options_.run(argv);
    if (r.exit_code == 127) throw credential_unavailable("Azure CLI: 'az' is not installed or not on PATH");
    if (r.exit_code != 0) {
        std::string why = redact(r.err.substr(0, 400));
        while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
        if (r.err.find("az login") != std::string::npos)
            throw credential_unavailable("Azure CLI: not logged in (run 'az login'): " + why);
        throw error(error_kind::auth, "Azure CLI: 'az account get-access-token' failed (exit " +
                                          std::to_string(r.exit_code) + "): " + why);
    }
    json::value v;
    try {
        v = json::parse(r.out, "az account get-access-token output");
    } catch (const error&) {
        throw error(error_kind::auth, "Azure CLI: output of 'az account get-access-token' is not JSON");
    }
    const auto* o = v.if_object();
    const auto* tok = o ? o->if_contains("accessToken") : nullptr;
    if (!tok || !tok->is_string() || tok->as_string().empty())
        throw error(error_kind::auth, "Azure CLI: output has no accessToken");
    access_token out;
    out.token = std::string(tok->as_string());
    if (const auto* on = o->if_contains("expires_on"); on && (on->is_int64() || on->is_uint64())) {
        out.expires_on = std::chrono::system_clock::time_point(std::chrono::seconds(on->to_number<std::int64_t>()));
    } else if (const auto* local = o->if_contains("expiresOn"); local && local->is_string()) {
        // Older CLIs only print local time, e.g. "2026-11-26 13:05:00.000000".
        std::tm tm{};
        const std::string s(local->as_string());
        if (!strptime(s.c_str(), "%Y-%m-%d %H:%M:%S", &tm)) throw error(error_kind::auth, "Azure CLI: bad expiresOn");
        tm.tm_isdst = -1;
        out.expires_on = std::chrono::system_clock::from_time_t(std::mktime(&tm));
    } else {
        throw error(error_kind::auth, "Azure CLI: output has no expires_on");
    }
    return out;
}

}  // namespace amlops::auth
