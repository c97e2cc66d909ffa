#pragma once
// `aml-predict serve` as a child process for the tests that release to it (tools/deploy_test.cpp,
// emulator/test_deploy_azureml.cpp).

#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace amlops::test {

namespace fs = std::filesystem;

/// `aml-predict serve` on an ephemeral loopback port, stopped with SIGTERM on destruction.
class serve_process {
public:
    serve_process(const fs::path& dir, const std::vector<std::string>& args, const std::vector<std::string>& env) {
        const auto port_file = dir / "port";
        fs::remove(port_file);
        std::vector<std::string> argv{tool_path("aml-predict").string(), "serve", "--port", "0", "--port-file",
                                      port_file.string(), "--threads", "1"};
        argv.insert(argv.end(), args.begin(), args.end());
        std::vector<std::string> envs;
        for (char** e = environ; *e; ++e) envs.emplace_back(*e);
        envs.insert(envs.end(), env.begin(), env.end());
        envs.emplace_back("OMP_NUM_THREADS=1");
        std::vector<char*> cargv, cenv;
        for (auto& a : argv) cargv.push_back(a.data());
        cargv.push_back(nullptr);
        for (auto& e : envs) cenv.push_back(e.data());
        cenv.push_back(nullptr);
        const auto log = (dir / "server.log").string();
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int rc = posix_spawn(&pid_, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
        posix_spawn_file_actions_destroy(&fa);
        REQUIRE(rc == 0);
        for (int i = 0; i < 600 && port_ == 0; ++i) {  // up to 60 s (model loading under a loaded CI machine)
            std::ifstream in(port_file);
            if (in >> port_ && port_ != 0) break;
            port_ = 0;
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                FAIL("aml-predict serve exited early: " << read_text(log));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        REQUIRE(port_ != 0);
    }
    ~serve_process() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
    }
    serve_process(const serve_process&) = delete;
    serve_process& operator=(const serve_process&) = delete;

    std::string uri() const { return "local://127.0.0.1:" + std::to_string(port_); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    pid_t pid_ = -1;
    int port_ = 0;
};

}  // namespace amlops::test
