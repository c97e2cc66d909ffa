#pragma once
// A step's process: `/bin/bash -c <command>` in its own process group, stdin from /dev/null,
// stdout/stderr to log files. Azure ML also runs a command through a shell, so pipes, `&&` and
// redirections in component commands behave the same way.

#include <filesystem>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace amlops::pipeline {

/// What to start.
struct process_spec {
    std::string command;                 ///< shell text for /bin/bash -c
    std::filesystem::path cwd;
    std::filesystem::path stdout_path;   ///< created/truncated
    std::filesystem::path stderr_path;   ///< created/truncated
    /// Variables set on top of this process's environment (later entries win).
    std::vector<std::pair<std::string, std::string>> environment;
};

/// A started child. wait() and terminate() may be called from different threads.
class child_process {
public:
    /// Starts the command; throws error(io) when the shell cannot be started.
    explicit child_process(const process_spec& spec);
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    /// Blocks until the process exits; returns its exit code, or 128 + signal number when it was
    /// killed by a signal (the shell convention). Call once.
    int wait();
    /// Sends SIGTERM (or SIGKILL with `force`) to the whole process group; no-op after exit.
    void terminate(bool force = false) noexcept;

private:
    pid_t pid_ = -1;
    bool exited_ = false;
    std::mutex mutex_;
};

/// Quotes `text` for a POSIX shell when it contains anything but [A-Za-z0-9_./:=@%+,-].
std::string shell_quote(const std::string& text);

}  // namespace amlops::pipeline
