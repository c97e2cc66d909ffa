#pragma once
// HTTP messages as plain values: what every amlops client (ARM, Entra ID, blob, local scoring
// server) builds and reads. No Boost.Beast or OpenSSL here, so most code never includes them.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace amlops::http {

/// An ordered list of header fields with case-insensitive names (RFC 9110 §5.1).
class fields {
public:
    using value_type = std::pair<std::string, std::string>;
    using const_iterator = std::vector<value_type>::const_iterator;

    fields() = default;
    fields(std::initializer_list<value_type> init) : items_(init) {}

    /// Value of the first field named `name` (any case), or nullopt.
    std::optional<std::string> get(std::string_view name) const;
    /// True when a field named `name` exists.
    bool contains(std::string_view name) const { return get(name).has_value(); }
    /// Replaces every field named `name` with one field `name: value`.
    void set(std::string_view name, std::string value);
    /// Appends a field, keeping existing ones with the same name.
    void add(std::string name, std::string value);
    /// Removes every field named `name`.
    void erase(std::string_view name);

    const_iterator begin() const noexcept { return items_.begin(); }
    const_iterator end() const noexcept { return items_.end(); }
    std::size_t size() const noexcept { return items_.size(); }
    bool empty() const noexcept { return items_.empty(); }

private:
    std::vector<value_type> items_;
};

/// Case-insensitive ASCII comparison (header names, schemes, hosts).
bool iequals(std::string_view a, std::string_view b) noexcept;

/// One HTTP request. `url` is absolute: `https://host[:port]/path?query` (or `http://` to a
/// loopback host). `Host`, `Content-Length` and `Connection` are set by the transport.
struct request {
    std::string method = "GET";
    std::string url;
    fields headers;
    std::string body;
    /// Overrides the transport's read timeout for this request (e.g. a long blob upload).
    std::optional<std::chrono::milliseconds> timeout;
};

/// One HTTP response, body fully read.
struct response {
    int status = 0;
    std::string reason;
    fields headers;
    std::string body;

    /// True for 2xx.
    bool ok() const noexcept { return status >= 200 && status < 300; }
};

/// An absolute URL split into the parts a transport needs.
struct url {
    std::string scheme;  ///< lower-case "http" or "https"
    std::string host;    ///< without brackets for IPv6 literals, e.g. "::1"
    std::uint16_t port = 0;  ///< explicit port, else 80/443 from the scheme
    std::string target;  ///< path + query, always starting with '/'

    /// "host" or "[v6]" with ":port" unless the port is the scheme default (Host header form).
    std::string authority() const;
    /// scheme://authority + target.
    std::string str() const;
};

/// Parses an absolute http(s) URL. Throws amlops::error(bad_input) naming the URL (with its
/// query redacted) when it is malformed or the scheme is not http/https.
url parse_url(std::string_view text);

/// Percent-encodes everything except RFC 3986 unreserved characters.
std::string percent_encode(std::string_view text);
/// Decodes %XX sequences and '+' as space (form/query decoding). Throws error(bad_input) on a bad
/// escape.
std::string percent_decode(std::string_view text);
/// `k1=v1&k2=v2` with both sides percent-encoded: an application/x-www-form-urlencoded body or a
/// query string.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& pairs);
/// Splits a form body or query string (without '?') into decoded pairs.
std::vector<std::pair<std::string, std::string>> form_decode(std::string_view text);

}  // namespace amlops::http
