// Managed identity: the endpoint depends on where the code runs (Azure ML compute, App Service
// style hosts, VMs via IMDS); the token response shapes are the same family.

#include "amlops/auth/credentials.hpp"

#include "token_request.hpp"

#include <thread>

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

// Which endpoint: the order azure-identity's ManagedIdentityCredential checks them in
// (python: azure.identity._credentials.managed_identity, App Service before the legacy
// MSI_ENDPOINT). App Service exports both IDENTITY_ENDPOINT/IDENTITY_HEADER (2019-08-01) and
// the legacy MSI_ENDPOINT/MSI_SECRET (2017-09-01); the newer pair wins. Azure ML compute sets
// only MSI_ENDPOINT/MSI_SECRET. IMDS (VMs, VM scale sets) comes last.
access_token managed_identity_credential::get_token(const std::string& scope) {
    const std::string resource = resource_of(scope);
    const auto& client_id = options_.managed_identity_client_id;
    http::request req;
    req.headers.set("Accept", "application/json");
    std::string source;

    if (auto identity = env_value(options_, "IDENTITY_ENDPOINT")) {
        const auto header = env_value(options_, "IDENTITY_HEADER");
        if (!header) throw credential_unavailable("managed identity: IDENTITY_ENDPOINT is set but IDENTITY_HEADER is not");
        source = "managed identity (App Service)";
        std::vector<std::pair<std::string, std::string>> q{{"api-version", "2019-08-01"}, {"resource", resource}};
        if (client_id) q.emplace_back("client_id", *client_id);
        req.url = with_query(*identity, q);
        req.headers.set("X-IDENTITY-HEADER", *header);
    } else if (auto endpoint = env_value(options_, "MSI_ENDPOINT")) {
        const auto secret = env_value(options_, "MSI_SECRET");
        if (!secret) throw credential_unavailable("managed identity: MSI_ENDPOINT is set but MSI_SECRET is not");
        source = "managed identity (MSI_ENDPOINT)";
        std::vector<std::pair<std::string, std::string>> q{{"api-version", "2017-09-01"}, {"resource", resource}};
        if (client_id) q.emplace_back("clientid", *client_id);
        req.url = with_query(*endpoint, q);
        req.headers.set("secret", *secret);
    } else if (options_.imds_endpoint) {
        return from_imds(resource);
    } else {
        throw credential_unavailable("managed identity: not configured (MSI_ENDPOINT, IDENTITY_ENDPOINT not set; IMDS disabled)");
    }
    const auto now = options_.now();
    return detail::parse_token_response(detail::token_pipeline(options_)->send(req), source, now);
}

// IMDS, as azure-identity's ImdsCredential treats it (python: azure.identity._credentials.imds):
//  - no answer at all (connection refused, timeout): not on Azure -> unavailable, at once, no
//    retry, so the chain is not stalled off Azure;
//  - 400: IMDS is there but no identity is assigned (or the requested one is not) ->
//    unavailable, and the chain moves on (to the Azure CLI, say);
//  - 404 / 410 / 429 / 5xx: IMDS is updating or throttling -> retried with exponential backoff
//    (options.retry: max_retries, base_delay, multiplier, sleep); the last answer's error then;
//  - anything else: the token response (or its error).
access_token managed_identity_credential::from_imds(const std::string& resource) const {
    const std::string source = "managed identity (IMDS)";
    const auto& client_id = options_.managed_identity_client_id;
    http::request req;
    req.headers.set("Accept", "application/json");
    std::vector<std::pair<std::string, std::string>> q{{"api-version", "2018-02-01"}, {"resource", resource}};
    if (client_id) q.emplace_back("client_id", *client_id);
    req.url = with_query(*options_.imds_endpoint, q);
    req.headers.set("Metadata", "true");
    req.timeout = std::chrono::seconds(2);
    auto inner = options_.imds_transport;
    if (!inner) {
        // IMDS is plain http on a link-local address: only this dedicated transport allows it.
        http::transport_options t;
        t.env = options_.env;
        t.plain_http_hosts = {"169.254.169.254"};
        t.connect_timeout = std::chrono::seconds(1);
        inner = http::make_transport(t);
    }
    auto once_options = options_;
    once_options.retry.max_retries = 0;  // the retries below are IMDS-specific
    const auto pipeline = detail::token_pipeline(once_options, inner);
    const auto sleep = options_.retry.sleep ? options_.retry.sleep
                                            : std::function<void(std::chrono::milliseconds)>(
                                                  [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); });
    auto delay = options_.retry.base_delay;
    for (int attempt = 0;; ++attempt) {
        http::response res;
        try {
            res = pipeline->send(req);
        } catch (const http::transport_error& e) {
            throw credential_unavailable("managed identity: no MSI_ENDPOINT or IDENTITY_ENDPOINT, and IMDS is unreachable (" +
                                         std::string(e.what()) + ")");
        }
        if (res.status == 400)
            throw credential_unavailable("managed identity: IMDS answered 400 (no managed identity is assigned to this "
                                         "machine, or not the one asked for)");
        const bool transient = res.status == 404 || res.status == 410 || res.status == 429 || res.status >= 500;
        if (transient && attempt < options_.retry.max_retries) {
            sleep(delay);
            delay = std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(delay.count()) * options_.retry.multiplier));
            continue;
        }
        return detail::parse_token_response(res, source, options_.now());
    }
}

}  // namespace amlops::auth
