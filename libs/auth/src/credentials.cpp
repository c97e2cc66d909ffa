// Entra ID credentials that post to the token endpoint: secret, assertion (certificate,
// workload identity, GitHub OIDC) and the environment-driven wrappers.

#include "amlops/auth/credentials.hpp"

#include "amlops/auth/jwt.hpp"
#include "amlops/core/json.hpp"
#include "amlops/core/atomic_file.hpp"
#include "token_request.hpp"

#include <fstream>
#include <sstream>

namespace amlops::auth {

using detail::env_value;

namespace {
const std::string assertion_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// credential_unavailable naming the variables that are not set.
[[noreturn]] void unavailable(const std::string& source, const std::vector<std::string>& missing) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw credential_unavailable(source + ": not configured (" + list + " not set)");
}

std::vector<std::string> missing_of(const credential_options& o, std::initializer_list<const char*> names) {
    std::vector<std::string> missing;
    for (const char* n : names)
        if (!env_value(o, n)) missing.emplace_back(n);
    return missing;
}
}  // namespace

// ------------------------------------------------------------------------- client secret

client_secret_credential::client_secret_credential(std::string tenant_id, std::string client_id, std::string secret,
                                                   credential_options options)
    : tenant_(std::move(tenant_id)), client_id_(std::move(client_id)), secret_(std::move(secret)),
      options_(options.resolved()) {}

access_token client_secret_credential::get_token(const std::string& scope) {
    return detail::request_entra_token(options_, name(), tenant_,
                                       {{"grant_type", "client_credentials"},
                                        {"client_id", client_id_},
                                        {"client_secret", secret_},
                                        {"scope", scope}});
}

// ---------------------------------------------------------------------- client assertion

client_assertion_credential::client_assertion_credential(std::string name, std::string tenant_id, std::string client_id,
                                                         std::function<std::string(const std::string&)> assertion,
                                                         credential_options options)
    : name_(std::move(name)), tenant_(std::move(tenant_id)), client_id_(std::move(client_id)),
      assertion_(std::move(assertion)), options_(options.resolved()) {}

access_token client_assertion_credential::get_token(const std::string& scope) {
    const std::string url = detail::token_url(options_, tenant_);
    return detail::request_entra_token(options_, name_, tenant_,
                                       {{"grant_type", "client_credentials"},
                                        {"client_id", client_id_},
                                        {"client_assertion_type", assertion_type},
                                        {"client_assertion", assertion_(url)},
                                        {"scope", scope}});
}

std::shared_ptr<token_credential> make_client_certificate_credential(std::string tenant_id, std::string client_id,
                                                                     const std::filesystem::path& pem,
                                                                     credential_options options) {
    auto cert = std::make_shared<client_certificate>(pem);
    auto resolved = options.resolved();
    auto now = resolved.now;
    const std::string iss = client_id;
    return std::make_shared<client_assertion_credential>(
        "client certificate", std::move(tenant_id), std::move(client_id),
        [cert, now, iss](const std::string& url) { return make_client_assertion(*cert, iss, url, now()); },
        std::move(resolved));
}

// --------------------------------------------------------------------------- environment

environment_credential::environment_credential(credential_options options) : options_(options.resolved()) {}

access_token environment_credential::get_token(const std::string& scope) {
    const auto tenant = env_value(options_, "AZURE_TENANT_ID");
    const auto client = env_value(options_, "AZURE_CLIENT_ID");
    const auto secret = env_value(options_, "AZURE_CLIENT_SECRET");
    const auto cert = env_value(options_, "AZURE_CLIENT_CERTIFICATE_PATH");
    if (!tenant || !client || (!secret && !cert)) {
        auto missing = missing_of(options_, {"AZURE_TENANT_ID", "AZURE_CLIENT_ID"});
        if (!secret && !cert) missing.emplace_back("AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH");
        unavailable(name(), missing);
    }
    if (secret) return client_secret_credential(*tenant, *client, *secret, options_).get_token(scope);
    return make_client_certificate_credential(*tenant, *client, *cert, options_)->get_token(scope);
}

// --------------------------------------------------------------------- workload identity

workload_identity_credential::workload_identity_credential(credential_options options) : options_(options.resolved()) {}

access_token workload_identity_credential::get_token(const std::string& scope) {
    const auto tenant = env_value(options_, "AZURE_TENANT_ID");
    const auto client = env_value(options_, "AZURE_CLIENT_ID");
    const auto file = env_value(options_, "AZURE_FEDERATED_TOKEN_FILE");
    if (!tenant || !client || !file)
        unavailable(name(), missing_of(options_, {"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE"}));
    const std::filesystem::path path = *file;
    auto read_token = [path](const std::string&) {
        std::string t;
        try {
            t = read_file(path);
        } catch (const error&) {
            throw error(error_kind::auth, "workload identity: cannot read the federated token file").in_file(path.string());
        }
        while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
        if (t.empty()) throw error(error_kind::auth, "workload identity: the federated token file is empty").in_file(path.string());
        return t;
    };
    return client_assertion_credential(name(), *tenant, *client, read_token, options_).get_token(scope);
}

// ------------------------------------------------------------------- GitHub Actions OIDC

github_actions_credential::github_actions_credential(credential_options options) : options_(options.resolved()) {}

access_token github_actions_credential::get_token(const std::string& scope) {
    const auto url = env_value(options_, "ACTIONS_ID_TOKEN_REQUEST_URL");
    const auto bearer = env_value(options_, "ACTIONS_ID_TOKEN_REQUEST_TOKEN");
    const auto tenant = env_value(options_, "AZURE_TENANT_ID");
    const auto client = env_value(options_, "AZURE_CLIENT_ID");
    if (!url || !bearer || !tenant || !client)
        unavailable(name(), missing_of(options_, {"ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                                                  "AZURE_TENANT_ID", "AZURE_CLIENT_ID"}));
    const auto options = options_;
    const std::string request_url = *url, request_token = *bearer, source = name();
    auto fetch = [options, request_url, request_token, source](const std::string&) {
        http::request req;
        // The URL GitHub provides already has a query string; the audience is appended to it.
        req.url = request_url + (request_url.find('?') == std::string::npos ? "?" : "&") +
                  "audience=" + http::percent_encode("api://AzureADTokenExchange");
        req.headers.set("Authorization", "bearer " + request_token);
        req.headers.set("Accept", "application/json");
        const auto res = detail::token_pipeline(options)->send(req);
        if (!res.ok())
            throw error(error_kind::auth, source + ": the GitHub OIDC token request failed (HTTP " +
                                              std::to_string(res.status) + ")")
                .with_http_status(res.status);
        json::value body;
        try {
            body = json::parse(res.body, "GitHub OIDC response");
        } catch (const error&) {
            throw error(error_kind::auth, source + ": the GitHub OIDC response is not JSON");
        }
        const auto* v = body.is_object() ? body.as_object().if_contains("value") : nullptr;
        if (!v || !v->is_string() || v->as_string().empty())
            throw error(error_kind::auth, source + ": the GitHub OIDC response has no 'value'");
        return std::string(v->as_string());
    };
    return client_assertion_credential(name(), *tenant, *client, fetch, options_).get_token(scope);
}

}  // namespace amlops::auth
