#include "amlops/dns/address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace amlops::dns {

std::string ip_address::str() const {
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
    return buf;
}

std::optional<ip_address> ip_address::parse(std::string_view text) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    char buf[INET6_ADDRSTRLEN] = {};
    std::memcpy(buf, text.data(), text.size());
    ip_address a;
    if (::inet_pton(AF_INET, buf, a.bytes.data()) == 1) return a;
    a.v6 = true;
    if (::inet_pton(AF_INET6, buf, a.bytes.data()) == 1) return a;
    return std::nullopt;
}

bool ip_network::contains(const ip_address& a) const noexcept {
    if (a.v6 != base.v6) return false;
    int bits = prefix;
    for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
        const auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xFF : 0xFF << (8 - bits));
        if ((a.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
    }
    return true;
}

std::string ip_network::str() const { return base.str() + "/" + std::to_string(prefix); }

std::optional<ip_network> ip_network::parse(std::string_view text) {
    const auto slash = text.find('/');
    auto base = ip_address::parse(text.substr(0, slash));
    if (!base) return std::nullopt;
    const int max = base->v6 ? 128 : 32;
    int prefix = max;
    if (slash != std::string_view::npos) {
        const auto digits = text.substr(slash + 1);
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || prefix < 0 || prefix > max)
            return std::nullopt;
    }
    return ip_network{*base, prefix};
}

std::string_view private_range(const ip_address& a) noexcept {
    const auto& b = a.bytes;
    if (a.v6) return (b[0] & 0xFE) == 0xFC ? "ULA" : "";
    if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168)) return "RFC 1918";
    if (b[0] == 100 && (b[1] & 0xC0) == 64) return "RFC 6598";
    return "";
}

}  // namespace amlops::dns
