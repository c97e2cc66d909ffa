#include "dns_servers.hpp"

#include "test_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace amlops::test {

namespace fs = std::filesystem;

fs::path dnsmasq_binary() {
    if (fs::exists("/usr/sbin/dnsmasq")) return "/usr/sbin/dnsmasq";
    if (const char* path = std::getenv("PATH")) {
        std::string p = path;
        for (std::size_t start = 0; start <= p.size();) {
            auto end = p.find(':', start);
            if (end == std::string::npos) end = p.size();
            fs::path candidate = fs::path(p.substr(start, end - start)) / "dnsmasq";
            if (fs::exists(candidate)) return candidate;
            start = end + 1;
        }
    }
    return {};
}

namespace {

// A file descriptor closed on scope exit.
struct socket_fd {
    int fd = -1;
    explicit socket_fd(int f) : fd(f) {}
    ~socket_fd() { if (fd >= 0) ::close(fd); }
    socket_fd(const socket_fd&) = delete;
    socket_fd& operator=(const socket_fd&) = delete;
};

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

// A port free for both TCP and UDP right now (dnsmasq binds both). The kernel picks it for TCP.
std::uint16_t free_port() {
    for (int attempt = 0; attempt < 50; ++attempt) {
        socket_fd tcp(::socket(AF_INET, SOCK_STREAM, 0));
        auto a = loopback(0);
        if (::bind(tcp.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) continue;
        socklen_t len = sizeof a;
        ::getsockname(tcp.fd, reinterpret_cast<sockaddr*>(&a), &len);
        socket_fd udp(::socket(AF_INET, SOCK_DGRAM, 0));
        if (::bind(udp.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return ntohs(a.sin_port);
    }
    throw std::runtime_error("no free loopback port");
}

bool tcp_accepts(std::uint16_t port) {
    socket_fd s(::socket(AF_INET, SOCK_STREAM, 0));
    auto a = loopback(port);
    return ::connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

}  // namespace

dnsmasq_server::dnsmasq_server(const fs::path& dir, const std::vector<std::string>& conf_lines) {
    const fs::path binary = dnsmasq_binary();
    if (binary.empty()) throw std::runtime_error("dnsmasq is not installed");
    fs::create_directories(dir);
    for (int attempt = 0; attempt < 5; ++attempt) {
        port_ = free_port();
        const fs::path conf = dir / ("dnsmasq-" + std::to_string(port_) + ".conf");
        {
            std::ofstream out(conf);
            out << "no-resolv\nno-hosts\nno-poll\nbind-interfaces\nlisten-address=127.0.0.1\nport=" << port_
                << "\ncache-size=0\n";
            // As root dnsmasq would switch to 'nobody' and could no longer write its log here.
            if (::geteuid() == 0) out << "user=root\n";
            for (const auto& line : conf_lines) out << line << "\n";
        }
        const std::string log = (dir / ("dnsmasq-" + std::to_string(port_) + ".log")).string();
        std::vector<std::string> args{binary.string(), "--keep-in-foreground", "--conf-file=" + conf.string(),
                                      "--pid-file=", "--log-queries", "--log-facility=" + log};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_t pid = -1;
        if (::posix_spawn(&pid, binary.c_str(), nullptr, nullptr, argv.data(), environ) != 0)
            throw std::runtime_error("cannot start dnsmasq");
        pid_ = pid;
        for (int wait_ms = 0; wait_ms < 5000; wait_ms += 10) {
            if (tcp_accepts(port_)) return;
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) { pid_ = -1; break; }  // exited: port taken?
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
            pid_ = -1;
        }
    }
    throw std::runtime_error("dnsmasq did not start (see the logs under " + dir.string() + ")");
}

dnsmasq_server::~dnsmasq_server() {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        ::waitpid(pid_, nullptr, 0);
    }
}

std::string dnsmasq_server::address() const { return "127.0.0.1:" + std::to_string(port_); }

struct fake_dns_server::impl {
    socket_fd sock{::socket(AF_INET, SOCK_DGRAM, 0)};
    std::uint16_t port = 0;
    std::atomic<bool> stop{false};
    std::thread worker;

    explicit impl(mode m) {
        auto a = loopback(0);
        if (::bind(sock.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("bind failed");
        socklen_t len = sizeof a;
        ::getsockname(sock.fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
        worker = std::thread([this, m] {
            unsigned char buf[4096];
            while (!stop) {
                pollfd p{sock.fd, POLLIN, 0};
                if (::poll(&p, 1, 50) <= 0) continue;
                sockaddr_in from{};
                socklen_t from_len = sizeof from;
                const auto n = ::recvfrom(sock.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &from_len);
                if (n < 12 || m == mode::mute) continue;
                // The DNS header (RFC 1035 4.1.1): byte 2 holds QR, byte 3 the RCODE in its low bits.
                buf[2] = static_cast<unsigned char>(buf[2] | 0x80);
                buf[3] = static_cast<unsigned char>((buf[3] & 0xF0) | 2);  // 2 = SERVFAIL
                ::sendto(sock.fd, buf, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), from_len);
            }
        });
    }
    ~impl() {
        stop = true;
        worker.join();
    }
};

fake_dns_server::fake_dns_server(mode m) : impl_(std::make_unique<impl>(m)) {}
fake_dns_server::~fake_dns_server() = default;
std::uint16_t fake_dns_server::port() const noexcept { return impl_->port; }
std::string fake_dns_server::address() const { return "127.0.0.1:" + std::to_string(impl_->port); }

}  // namespace amlops::test
