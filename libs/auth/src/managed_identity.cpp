// Managed identity: the endpoint depends on where the code runs (Azure ML compute, App Service
// style hosts, VMs via IMDS); the token response shapes are the same family.

#include "amlops/auth/credentials.hpp"

#include "token_request.hpp"

namespace amlops::auth {

using detail::env_value;

managed_identity_credential::managed_identity_credential(credential_options options) : options_(options.resolved()) {}

namespace {

/// Managed identity endpoints take a resource, not a scope: strip "/.default".
std::string resource_of(const std::string& scope) {
    const std::string suffix = "/.default";
    if (scope.size() > suffix.size() && scope.compare(scope.size() - suffix.size(), suffix.size(), suffix) == 0)
        return scope.substr(0, scope.size() - suffix.size());
    return scope;
}

std::string with_query(const std::string& endpoint, const std::vector<std::pair<std::string, std::string>>& q) {
    return endpoint + (endpoint.find('?') == std::string::npos ? "?" : "&") + http::form_encode(q);
}

}  // namespace

access_token managed_identity_credential::get_token(const std::string& scope) {
    const std::string resource = resource_of(scope);
    const auto& client_id = options_.managed_identity_client_id;
    http::request req;
    req.headers.set("Accept", "application/json");
    std::string source;
    std::shared_ptr<http::transport> inner;

    if (auto endpoint = env_value(options_, "MSI_ENDPOINT")) {
        const auto secret = env_value(options_, "MSI_SECRET");
        if (!secret) throw credential_unavailable("managed identity: MSI_ENDPOINT is set but MSI_SECRET is not");
        source = "managed identity (Azure ML compute)";
        std::vector<std::pair<std::string, std::string>> q{{"api-version", "2017-09-01"}, {"resource", resource}};
        if (client_id) q.emplace_back("clientid", *client_id);
        req.url = with_query(*endpoint, q);
        req.headers.set("secret", *secret);
    } else if (auto identity = env_value(options_, "IDENTITY_ENDPOINT")) {
        const auto header = env_value(options_, "IDENTITY_HEADER");
        if (!header) throw credential_unavailable("managed identity: IDENTITY_ENDPOINT is set but IDENTITY_HEADER is not");
        source = "managed identity (App Service)";
        std::vector<std::pair<std::string, std::string>> q{{"api-version", "2019-08-01"}, {"resource", resource}};
        if (client_id) q.emplace_back("client_id", *client_id);
        req.url = with_query(*identity, q);
        req.headers.set("X-IDENTITY-HEADER", *header);
    } else if (options_.imds_endpoint) {
        source = "managed identity (IMDS)";
        std::vector<std::pair<std::string, std::string>> q{{"api-version", "2018-02-01"}, {"resource", resource}};
        if (client_id) q.emplace_back("client_id", *client_id);
        req.url = with_query(*options_.imds_endpoint, q);
        req.headers.set("Metadata", "true");
        req.timeout = std::chrono::seconds(2);
        inner = options_.imds_transport;
        if (!inner) {
            // IMDS is plain http on a link-local address: only this dedicated transport allows it.
            http::transport_options t;
            t.env = options_.env;
            t.plain_http_hosts = {"169.254.169.254"};
            t.connect_timeout = std::chrono::seconds(1);
            inner = http::make_transport(t);
        }
        try {
            auto probe_options = options_;
            probe_options.retry.max_retries = 0;  // an absent IMDS must not stall the chain
            const auto now = options_.now();
            return detail::parse_token_response(detail::token_pipeline(probe_options, inner)->send(req), source, now);
        } catch (const http::transport_error& e) {
            throw credential_unavailable("managed identity: no MSI_ENDPOINT or IDENTITY_ENDPOINT, and IMDS is unreachable (" +
                                         std::string(e.what()) + ")");
        }
    } else {
        throw credential_unavailable("managed identity: not configured (MSI_ENDPOINT, IDENTITY_ENDPOINT not set; IMDS disabled)");
    }
    const auto now = options_.now();
    return detail::parse_token_response(detail::token_pipeline(options_)->send(req), source, now);
}

}  // namespace amlops::auth
