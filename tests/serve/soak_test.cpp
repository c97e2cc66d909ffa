// Bounded soak of the real `aml-predict serve` binary (label: slow): memory stays flat over many
// requests on many connections, and the process exits 0 on SIGTERM afterwards.
#include "http_client.hpp"
#include "serve_fixture.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <optional>
#include <thread>

extern char** environ;

using namespace amlops;
using namespace std::chrono_literals;

namespace {

long rss_kb(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

void hammer(std::uint16_t port, const std::string& body, int threads, int per_thread) {
    std::vector<std::thread> ts;
    std::atomic<int> failed{0};
    for (int t = 0; t < threads; ++t) {
        ts.emplace_back([&, t] {
            // A fresh connection every 500 requests: connection setup/teardown must not leak either.
            std::optional<server::client_connection> c;
            for (int i = 0; i < per_thread; ++i) {
                if (i % 500 == 0) c.emplace("127.0.0.1", port);
                auto r = c->send({"POST", "/score", body}, {{"x-request-id", "soak-" + std::to_string(t)}});
                if (r.status != 200) ++failed;
            }
        });
    }
    for (auto& t : ts) t.join();
    REQUIRE(failed == 0);
}

}  // namespace

// The issue's bound is 1M requests; the sanitizer build is ~10x slower per request, so it runs a
// fifth of them (its RSS is not asserted anyway, see below) to keep CI within its time budget.
#if defined(__SANITIZE_ADDRESS__)
constexpr int measured_per_thread = 50'000;
#else
constexpr int measured_per_thread = 250'000;
#endif

TEST_CASE("RSS stays flat (< 10% growth) over 1M requests and SIGTERM exits 0") {
    const auto& m = test::trained_models::get();
    test::scratch_dir dir("serve-soak");
    const auto port_file = dir / "port";
    std::vector<std::string> args{test::tool_path("aml-predict").string(), "serve", "--model", m.blue.string(), "--port", "0",
                                  "--port-file", port_file.string(), "--threads", "2"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0);
    std::uint16_t port = 0;
    for (int i = 0; i < 600 && port == 0; ++i) {
        std::this_thread::sleep_for(50ms);
        if (std::filesystem::exists(port_file)) {
            auto t = test::read_text(port_file);
            if (!t.empty()) port = static_cast<std::uint16_t>(std::stoi(t));
        }
    }
    REQUIRE(port != 0);
    test::wait_ready(port);
    const std::string body = R"({"input_data": {"columns": )" + test::columns_json() + R"(, "data": )" + test::rows_json(1, 3) + "}}";

    hammer(port, body, 4, 10000);  // warm-up: allocator pools, thread-locals, connection objects
    const long before = rss_kb(pid);
    hammer(port, body, 4, measured_per_thread);
    const long after = rss_kb(pid);
    INFO("RSS before " << before << " kB, after " << 4 * measured_per_thread << " requests " << after << " kB");
    CHECK(before > 0);
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer keeps freed memory in a quarantine (up to 256 MB) on purpose, so RSS grows
    // by design there; the flat-RSS property is checked by the regular build.
    WARN("AddressSanitizer build: RSS growth not asserted");
#else
    CHECK(after < before * 11 / 10);
#endif

    REQUIRE(kill(pid, SIGTERM) == 0);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
