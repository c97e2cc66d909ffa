#pragma once
// DNS servers for tests, all on loopback with ports the kernel picked: a real dnsmasq serving zone
// data the test writes, a mute server that never answers (timeouts) and a server that answers
// every query with SERVFAIL (an upstream failing behind dnsmasq).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace amlops::test {

/// /usr/sbin/dnsmasq (or dnsmasq on PATH); empty when not installed.
std::filesystem::path dnsmasq_binary();

/// A dnsmasq process on 127.0.0.1:<free port>, UDP and TCP, answering only from the options given
/// (no /etc/hosts, no resolv.conf, no upstream unless a `server=` line says so). Stopped (SIGTERM)
/// on destruction.
class dnsmasq_server {
public:
    /// `conf_lines` are dnsmasq.conf lines (e.g. "host-record=a.test,10.0.0.1"); written to a file
    /// under `dir`. Throws std::runtime_error when dnsmasq does not come up.
    dnsmasq_server(const std::filesystem::path& dir, const std::vector<std::string>& conf_lines);
    ~dnsmasq_server();
    dnsmasq_server(const dnsmasq_server&) = delete;
    dnsmasq_server& operator=(const dnsmasq_server&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    /// "127.0.0.1:<port>", the --server value.
    std::string address() const;

private:
    int pid_ = -1;
    std::uint16_t port_ = 0;
};

/// A UDP socket on 127.0.0.1:<free port> that reads queries and either never answers (mute) or
/// answers each with its own header flipped to a SERVFAIL response.
class fake_dns_server {
public:
    enum class mode { mute, servfail };
    explicit fake_dns_server(mode m);
    ~fake_dns_server();
    fake_dns_server(const fake_dns_server&) = delete;
    fake_dns_server& operator=(const fake_dns_server&) = delete;
    std::uint16_t port() const noexcept;
    std::string address() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace amlops::test
