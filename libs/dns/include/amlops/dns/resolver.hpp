#pragma once
// A concurrent stub resolver for checking names: asks one chosen server (or the system's), follows
// CNAME chains across answers (bounded, loop-detected) and reports, per name, the whole chain and
// the final A/AAAA addresses or exactly how the lookup failed. One thread, one event loop: many
// queries in flight, each with its own timeout and bounded retries.

#include "amlops/dns/address.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace amlops::dns {

/// A DNS server to ask: an IP address and a port.
struct server_address {
    std::string host;          ///< IPv4 or IPv6 text
    std::uint16_t port = 53;
    /// "IP:PORT", "[IPv6]:PORT".
    std::string str() const;
};

/// Parses "IP", "IP:PORT", "[IPv6]" or "[IPv6]:PORT" (a bare IPv6 address means port 53).
/// Throws error(usage) naming `flag` when malformed.
server_address parse_server(std::string_view text, std::string_view flag = "--server");

/// How one name's lookup ended.
enum class outcome {
    answer,          ///< at least one A/AAAA address at the end of the chain
    no_data,         ///< the final name exists but has no A/AAAA record
    nxdomain,        ///< the final name does not exist
    servfail,        ///< the server answered SERVFAIL
    refused,         ///< the server answered REFUSED (not serving this name)
    timeout,         ///< no answer within the timeout and retries
    unreachable,     ///< the server could not be reached (connection refused)
    cname_loop,      ///< the chain came back to a name already seen
    chain_too_long,  ///< more CNAME hops than allowed
    error,           ///< anything else (malformed answer, resolver failure)
};
std::string_view to_string(outcome o) noexcept;

/// The result for one name.
struct lookup {
    std::string name;                    ///< as asked, lower case, no trailing dot
    std::vector<std::string> chain;      ///< CNAME targets in order, not including `name`
    std::vector<ip_address> addresses;   ///< A then AAAA records of the last name in the chain
    outcome result = outcome::error;
    std::string detail;                  ///< for failures: what was seen ("SERVFAIL for x", ...)
    bool tcp = false;                    ///< an answer was larger than UDP's 512 bytes (came over TCP)
    int queries = 0;                     ///< DNS queries sent (both types, every hop)
    std::chrono::microseconds elapsed{}; ///< from the first query to the last answer
};

/// Resolver settings.
struct resolver_options {
    /// Servers to ask, in order; empty = the nameservers of `resolv_conf`.
    std::vector<server_address> servers;
    /// Read when `servers` is empty.
    std::filesystem::path resolv_conf = "/etc/resolv.conf";
    /// Wait for an answer to the first attempt; c-ares doubles it for each retry round (measured
    /// with c-ares 1.18 against a mute server: 100 ms and 3 retries give up after 1.5 s).
    std::chrono::milliseconds timeout{1000};
    /// Attempts after the first (per server) before giving up.
    int retries = 1;
    /// CNAME hops followed before outcome::chain_too_long.
    int max_cname_hops = 16;
    /// Queries in flight at once.
    std::size_t max_in_flight = 256;
    /// Also ask AAAA (IPv6 private endpoints).
    bool query_aaaa = true;
};

/// The resolver. Not thread-safe; one resolve() at a time.
class resolver {
public:
    /// Throws error(config) when the servers or resolv.conf cannot be used.
    explicit resolver(resolver_options options = {});
    ~resolver();
    resolver(const resolver&) = delete;
    resolver& operator=(const resolver&) = delete;

    /// Resolves every name (A and, if enabled, AAAA, following CNAMEs) concurrently; the results
    /// are in the order of `names`. Names are lower-cased; a trailing dot is ignored.
    std::vector<lookup> resolve(const std::vector<std::string>& names);

    /// The servers actually in use (from the options or resolv.conf).
    std::vector<server_address> servers() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// Lower case without a trailing dot: the form names are compared in.
std::string normalize_name(std::string_view name);

}  // namespace amlops::dns
