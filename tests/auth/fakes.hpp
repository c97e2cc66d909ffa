#pragma once
// Test doubles for the credential tests: an environment map, a scripted token service behind a
// fake transport, and a test certificate made with the openssl CLI.

#include "amlops/auth/credentials.hpp"
#include "amlops/http/message.hpp"

#include <boost/json.hpp>

#include "test_support.hpp"

#include <map>
#include <mutex>

namespace amlops::test {

/// A JSON string value as std::string (for comparisons in CHECKs).
inline std::string str(const boost::json::value& v) { return std::string(v.as_string()); }

inline env_lookup env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

/// Routes requests to a handler and records them.
struct fake_service : http::transport {
    std::function<http::response(const http::request&)> handler;
    std::vector<http::request> seen;
    std::mutex mutex;
    http::response send(const http::request& req) override {
        {
            std::lock_guard lock(mutex);
            seen.push_back(req);
        }
        return handler(req);
    }
};

inline http::response json_response(int status, const std::string& body) {
    return {status, "", {{"Content-Type", "application/json"}}, body};
}

/// The form fields of a token request body.
inline std::map<std::string, std::string> form_of(const http::request& req) {
    std::map<std::string, std::string> out;
    for (auto& [k, v] : http::form_decode(req.body)) out[k] = v;
    return out;
}

/// Query parameters of a request URL.
inline std::map<std::string, std::string> query_of(const std::string& url) {
    std::map<std::string, std::string> out;
    const auto q = url.find('?');
    if (q == std::string::npos) return out;
    for (auto& [k, v] : http::form_decode(url.substr(q + 1))) out[k] = v;
    return out;
}

/// Credential options with every outside dependency faked: no network, no `az`, no IMDS, a fixed
/// clock, no real sleeping.
inline auth::credential_options fake_options(std::shared_ptr<http::transport> t, std::map<std::string, std::string> env,
                                             std::chrono::system_clock::time_point now) {
    auth::credential_options o;
    o.env = env_of(std::move(env));
    o.transport = std::move(t);
    o.now = [now] { return now; };
    o.retry.sleep = [](std::chrono::milliseconds) {};
    o.imds_endpoint.reset();
    o.run = [](const std::vector<std::string>&) { return auth::process_output{127, "", "az: not found"}; };
    return o;
}

/// A self-signed RSA certificate + key in one PEM file (as AZURE_CLIENT_CERTIFICATE_PATH expects),
/// and its SHA-1 fingerprint as printed by openssl (hex with colons).
struct test_certificate {
    std::filesystem::path pem;
    std::string cert_pem;
    std::string sha1_hex;
};

inline test_certificate make_test_certificate(const std::filesystem::path& dir) {
    const std::string d = dir.string();
    auto r = run_process({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                          "/CN=amlops client", "-keyout", d + "/client.key", "-out", d + "/client.crt"});
    if (r.exit_code != 0) throw std::runtime_error("openssl: " + r.err);
    auto fp = run_process({"openssl", "x509", "-in", d + "/client.crt", "-noout", "-fingerprint", "-sha1"});
    if (fp.exit_code != 0) throw std::runtime_error("openssl: " + fp.err);
    test_certificate c;
    c.cert_pem = read_text(dir / "client.crt");
    c.pem = dir / "client.pem";
    write_text(c.pem, c.cert_pem + read_text(dir / "client.key"));
    c.sha1_hex = fp.out.substr(fp.out.find('=') + 1);
    while (!c.sha1_hex.empty() && c.sha1_hex.back() == '\n') c.sha1_hex.pop_back();
    return c;
}

}  // namespace amlops::test
