#pragma once
// IPv4/IPv6 addresses and networks (CIDR), and the private ranges a private endpoint may use.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace amlops::dns {

/// An IPv4 or IPv6 address; IPv4 keeps its 4 bytes in bytes[0..3].
struct ip_address {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};

    /// Text form (inet_ntop).
    std::string str() const;
    /// Parses dotted IPv4 or IPv6 text; nullopt when it is neither.
    static std::optional<ip_address> parse(std::string_view text);

    friend bool operator==(const ip_address&, const ip_address&) = default;
    friend auto operator<=>(const ip_address&, const ip_address&) = default;
};

/// base/prefix, e.g. 10.10.0.0/16 or fd00::/8.
struct ip_network {
    ip_address base;
    int prefix = 0;

    bool contains(const ip_address& a) const noexcept;
    std::string str() const;
    /// Parses "ADDR/PREFIX" (a bare address is a host network); nullopt when malformed.
    static std::optional<ip_network> parse(std::string_view text);
};

/// The private range `a` belongs to: "RFC 1918" (10/8, 172.16/12, 192.168/16), "RFC 6598"
/// (100.64/10, carrier-grade NAT, which Azure VNets may use) or "ULA" (fc00::/7); empty when the
/// address is not private in that sense (public, loopback, link-local, ...).
std::string_view private_range(const ip_address& a) noexcept;
inline bool is_private(const ip_address& a) noexcept { return !private_range(a).empty(); }

}  // namespace amlops::dns
