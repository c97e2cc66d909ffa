#pragma once
// The credential sources of an Azure ML MLOps workflow, each usable alone or in the default
// chain: environment (secret / certificate), workload identity (federated token file), GitHub
// Actions OIDC, managed identity (Azure ML compute, App Service, IMDS), Azure CLI.
// Every get_token throws credential_unavailable when its source is absent, amlops::error(auth)
// (with http_status when known) when it is present but failed. No message contains a secret.

#include "amlops/auth/credential.hpp"

#include <filesystem>
#include <map>
#include <mutex>

namespace amlops::auth {

/// Client id + secret, `grant_type=client_credentials` against
/// `{authority}/{tenant}/oauth2/v2.0/token`.
class client_secret_credential : public token_credential {
public:
    client_secret_credential(std::string tenant_id, std::string client_id, std::string secret,
                             credential_options options = {});
    access_token get_token(const std::string& scope) override;
    std::string name() const override { return "client secret"; }

private:
    std::string tenant_, client_id_, secret_;
    credential_options options_;
};

/// Any JWT client assertion from a callback (called on every token request): the base of the
/// certificate, workload identity and GitHub OIDC credentials.
class client_assertion_credential : public token_credential {
public:
    client_assertion_credential(std::string name, std::string tenant_id, std::string client_id,
                                std::function<std::string(const std::string& token_url)> assertion,
                                credential_options options = {});
    access_token get_token(const std::string& scope) override;
    std::string name() const override { return name_; }

private:
    std::string name_, tenant_, client_id_;
    std::function<std::string(const std::string&)> assertion_;
    credential_options options_;
};

/// Client certificate: a PEM file with the certificate and its (unencrypted) private key; each
/// token request sends a fresh RS256 assertion (x5t = SHA-1 thumbprint). Throws error(config) at
/// construction when the file is missing or does not hold a certificate and a matching key.
std::shared_ptr<token_credential> make_client_certificate_credential(std::string tenant_id, std::string client_id,
                                                                     const std::filesystem::path& pem,
                                                                     credential_options options = {});

/// AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET, or + AZURE_CLIENT_CERTIFICATE_PATH.
class environment_credential : public token_credential {
public:
    explicit environment_credential(credential_options options = {});
    access_token get_token(const std::string& scope) override;
    std::string name() const override { return "environment"; }

private:
    credential_options options_;
};

/// AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_FEDERATED_TOKEN_FILE (Kubernetes workload identity);
/// the file is re-read on every request because the platform rotates it.
class workload_identity_credential : public token_credential {
public:
    explicit workload_identity_credential(credential_options options = {});
    access_token get_token(const std::string& scope) override;
    std::string name() const override { return "workload identity"; }

private:
    credential_options options_;
};

/// GitHub Actions OIDC: GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=api://AzureADTokenExchange with
/// `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN` → {"value": jwt}, exchanged as a client
/// assertion for AZURE_TENANT_ID / AZURE_CLIENT_ID. No secret is stored anywhere.
class github_actions_credential : public token_credential {
public:
    explicit github_actions_credential(credential_options options = {});
    access_token get_token(const std::string& scope) override;
    std::string name() const override { return "GitHub Actions OIDC"; }

private:
    credential_options options_;
};

/// Managed identity, first configured of: App Service style (IDENTITY_ENDPOINT +
/// IDENTITY_HEADER, api-version 2019-08-01, header X-IDENTITY-HEADER), the legacy pair of Azure ML
/// compute and older App Service (MSI_ENDPOINT + MSI_SECRET, api-version 2017-09-01, header
/// `secret`, `clientid` from DEFAULT_IDENTITY_CLIENT_ID; `expires_on` may be a date string
/// there), else IMDS (options.imds_endpoint, header Metadata: true): unreachable or 400 (no
/// identity assigned) = credential_unavailable, 404/410/429/5xx retried with backoff.
class managed_identity_credential : public token_credential {
public:
    explicit managed_identity_credential(credential_options options = {});
    access_token get_token(const std::string& scope) override;
    std::string name() const override { return "managed identity"; }

private:
    access_token from_imds(const std::string& resource) const;
    credential_options options_;
};

/// `az account get-access-token --output json --scope <scope>` through options.run.
class azure_cli_credential : public token_credential {
public:
    explicit azure_cli_credential(credential_options options = {});
    access_token get_token(const std::string& scope) override;
    std::string name() const override { return "Azure CLI"; }

private:
    credential_options options_;
};

/// Tries credentials in order; the first token wins and that source is used from then on.
/// Unavailable sources are skipped; a configured source that fails stops the chain (using a
/// different identity silently would be worse). The error lists every source tried and why.
class chained_token_credential : public token_credential {
public:
    explicit chained_token_credential(std::vector<std::shared_ptr<token_credential>> sources);
    access_token get_token(const std::string& scope) override;
    std::string name() const override;

private:
    std::vector<std::shared_ptr<token_credential>> sources_;
    std::mutex mutex_;
    std::shared_ptr<token_credential> chosen_;
};

/// Environment → workload identity → GitHub Actions OIDC → managed identity → Azure CLI.
std::shared_ptr<chained_token_credential> make_default_chain(const credential_options& options = {});

/// Caches tokens per scope and asks the inner credential again `refresh_margin` before expiry.
/// When a refresh fails while the cached token is still valid, the cached token is returned.
class cached_credential : public token_credential {
public:
    explicit cached_credential(std::shared_ptr<token_credential> inner,
                               std::chrono::seconds refresh_margin = std::chrono::minutes(5),
                               std::function<std::chrono::system_clock::time_point()> now = {});
    access_token get_token(const std::string& scope) override;
    std::string name() const override { return inner_->name(); }

private:
    std::shared_ptr<token_credential> inner_;
    std::chrono::seconds margin_;
    std::function<std::chrono::system_clock::time_point()> now_;
    std::mutex mutex_;
    std::map<std::string, access_token> cache_;
};

}  // namespace amlops::auth
