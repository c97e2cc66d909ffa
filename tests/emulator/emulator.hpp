#pragma once
// A loopback emulator of the Azure services amlops talks to, for tests only:
//   - Entra ID:  POST /{tenant}/oauth2/v2.0/token (client secret, or an RS256 client assertion
//                verified against the test certificate)
//   - ARM / Azure ML (api-version checked, bearer token required, ARM error envelope):
//     resource groups, workspaces, registries, model containers (read-only latestVersion /
//     nextVersion) and versions (lists honour listViewType, default ActiveOnly; workspace
//     versions synchronous; registry versions long-running via Azure-AsyncOperation, registry
//     version DELETE 202 + Location; read-only fields in PUT bodies refused),
//     startPendingUpload, registry data references (read SAS), workspace datastores (each
//     workspace gets a key-based `workspaceblobstore` whose container in the in-memory blob
//     store takes only SAS signed with the key listSecrets answers; identity-based datastores
//     take storage-scoped bearer tokens only). Registry storage takes only the SAS it issued.
//   Sources of each behaviour are in comments next to the code; undocumented ones are listed
//   in docs/AZURE-ASSUMPTIONS.md.
//   - Blob storage for the SAS it hands out: either Azurite (options::storage.endpoint set: a
//     container per pending upload, created with Shared Key auth, and a real service SAS), or,
//     for unit tests without Azurite, an in-memory store of its own (Put Blob, Put Block, Put
//     Block List, Get Blob, with Content-MD5 checks)
//   - managed identity token endpoints (Azure ML compute / App Service / IMDS), online
//     endpoints/deployments and the MLflow tracking API, v1.0 and v2.0 (emulator_extra.hpp)
//   - fault injection: every Nth request answers a status (429 with Retry-After, 503, ...), drops
//     the connection, or is delayed; POST /_emulator/faults changes it at run time.
// Everything lives in memory; one instance per test.

#include "amlops/core/json.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace amlops::emulator {

/// Fault injection settings. Control requests (/_emulator/...) are never faulted.
struct fault_options {
    int every_nth = 0;          ///< 0 = off; else every Nth request is faulted
    std::vector<int> statuses{429, 503};  ///< statuses used in turn for faulted requests
    int retry_after_seconds = 0;          ///< `Retry-After` on faulted responses
    bool drop_connection = false;         ///< close the connection instead of answering
    std::chrono::milliseconds delay{0};   ///< added to every (non-control) request
};

/// Azurite's published development account (documented, not a secret).
inline constexpr const char* azurite_account = "devstoreaccount1";
inline constexpr const char* azurite_key =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// The storage account behind startPendingUpload.
struct storage_options {
    /// Path-style blob endpoint including the account, e.g. "http://127.0.0.1:10000/devstoreaccount1".
    /// Empty: the emulator stores blobs itself, in memory.
    std::string endpoint;
    std::string account = azurite_account;
    std::string key = azurite_key;  ///< base64 account key: signs Shared Key requests and SAS
    /// When true, SAS URIs point at the emulator (`/storage/...`), which forwards blob requests
    /// to `endpoint` after applying `faults` — so uploads see the same 429/503s as ARM calls.
    bool through_emulator = false;
};

/// A federated identity credential on the app registration (Entra workload identity federation):
/// an assertion from `issuer` whose `sub` equals `subject` exactly and whose `aud` holds
/// `audience` is exchanged for a token of the app (emulator_federated.cpp).
struct federated_credential {
    std::string issuer = "https://token.actions.githubusercontent.com";
    std::string subject;  ///< e.g. repo:org/repo:environment:production
    std::string audience = "api://AzureADTokenExchange";
};

/// The generic ARM store of the platform aml-provision manages (emulator_provision.hpp).
struct provision_options {
    bool enabled = false;
    std::chrono::milliseconds lro_latency{0};        ///< how long each long-running write takes
    std::chrono::milliseconds rbac_propagation{0};   ///< a new role assignment takes effect after this
    std::chrono::milliseconds recreate_cooldown{0};  ///< re-creating a deleted workspace fails (409) within this
};

struct options {
    std::string tenant = "emulator-tenant";
    std::string client_id = "emulator-client";
    std::string client_secret;   ///< accepted client_secret (empty: secrets refused)
    std::string certificate_pem; ///< certificate whose key signs accepted assertions (empty: refused)
    std::vector<federated_credential> federated_credentials;  ///< empty: federated assertions refused
    /// The external issuer's signing certificate (what Entra fetches from the issuer's JWKS).
    std::string federated_issuer_certificate_pem;
    int lro_polls = 2;           ///< InProgress answers before a registry version PUT succeeds
    std::size_t page_size = 2;   ///< items per list page (small, so paging is exercised)
    fault_options faults;
    storage_options storage;
    std::string msi_secret = "emulator-msi-secret";            ///< `secret` header of GET /msi/token (Azure ML compute)
    std::string identity_header = "emulator-identity-header";  ///< X-IDENTITY-HEADER of GET /identity/token
    std::string managed_identity_client_id = "emulator-mi-client";  ///< the one user-assigned identity attached
    /// Base URL of a local `aml-predict serve` that online deployments run on (emulator_online.hpp);
    /// empty: deployments are state only and scoring answers 502.
    std::string scoring_server;
    /// GET /msi/token (api-version 2017-09-01) answers `expires_on` as App Service's legacy API
    /// does, a date string "MM/DD/YYYY hh:mm:ss AM|PM +00:00", instead of epoch seconds.
    bool msi_expires_on_date = false;
    /// IMDS (GET /metadata/identity/oauth2/token): whether a managed identity is assigned (no:
    /// 400 "Identity not found"), and statuses answered in turn before the first success
    /// (404 / 410 / 429 / 5xx: IMDS updating or throttling).
    bool imds_identity = true;
    std::vector<int> imds_statuses;
    /// Registry model version PUTs answer 201 with provisioningState "Creating" and no polling
    /// header (ARM RPC allows it: the resource's own state is then polled); `lro_polls` GETs of
    /// the version later it is "Succeeded". Default: Azure-AsyncOperation, as mfe.json declares.
    bool version_put_without_polling_header = false;
    /// MLflow at the root (a plain `mlflow server`): required credentials, empty = anonymous.
    std::string mlflow_basic_user, mlflow_basic_password;  ///< HTTP Basic (mlflow server --app-name basic-auth)
    std::string mlflow_bearer_token;                       ///< Authorization: Bearer (a proxy in front of MLflow)
    provision_options provision;
};

/// Counters and the request log (method + path, no query) for assertions.
struct stats {
    std::uint64_t requests = 0;
    std::uint64_t faults = 0;
    std::vector<std::string> log;
};

class emulator {
public:
    /// Starts listening on 127.0.0.1 with an ephemeral port.
    explicit emulator(options o);
    ~emulator();
    emulator(const emulator&) = delete;
    emulator& operator=(const emulator&) = delete;

    std::uint16_t port() const noexcept;
    /// "http://127.0.0.1:<port>" — ARM endpoint, authority host and blob host at once.
    std::string base_url() const;
    void set_faults(const fault_options& f);
    stats snapshot() const;
    /// Blob contents by "<container>/<blob path>", nullopt when absent.
    std::optional<std::string> blob(const std::string& container_and_path) const;
    /// Every stored blob name ("<account>/<container>/<path>").
    std::vector<std::string> blob_names() const;
    /// Account URL of the in-memory store behind workspace datastores (the `blob_endpoint` a
    /// workspace target needs): "<base_url>/blob/emustorage". Its blobs are named
    /// "emustorage/<container>/<path>" in blob() / blob_names().
    std::string workspace_blob_endpoint() const;
    /// The account key of that store (random per emulator): what Datastores_ListSecrets answers
    /// for key-based datastores.
    std::string workspace_account_key() const;
    /// With external storage: the container SAS URI (direct to the storage endpoint, never via
    /// the emulator) of every pending upload handed out, for reading back what was uploaded.
    std::vector<std::string> container_sas_uris() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace amlops::emulator
