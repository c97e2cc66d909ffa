#pragma once
// One Azure ML workspace as the submitter and the online-endpoint backend see it: where it is
// (an azureml://subscriptions/{s}/resourceGroups/{rg}/workspaces/{w} URI, the form Azure ML uses in
// datastore URIs), and the signed-in clients to reach it — ARM through the standard pipeline with
// the default credential chain, the workspace's blob datastores (a SAS signed with the key that
// listSecrets hands out for key-based ones, a storage-scoped Entra token for identity-based ones), plain SAS uploads, and the run-history data
// plane found through the workspace's discoveryUrl.

#include "amlops/arm/client.hpp"
#include "amlops/arm/resource_id.hpp"
#include "amlops/azureml/datastore.hpp"
#include "amlops/core/environment.hpp"
#include "amlops/core/log.hpp"
#include "amlops/http/pipeline.hpp"

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace amlops::azureml_jobs {

/// azureml://subscriptions/{s}/resourceGroups/{rg}/workspaces/{w}
struct workspace_ref {
    std::string subscription, resource_group, workspace;
    /// Parses the URI above (key words case-insensitive; a trailing '/' and anything after the
    /// workspace name are refused). Throws error(usage) naming `flag`.
    static workspace_ref parse(const std::string& uri, const std::string& flag = "aml-workspace");
    arm::resource_id id() const;
    std::string uri() const;
};

/// How to reach the workspace; every member has a working default.
struct connection_options {
    env_lookup env;                                     ///< default system_env()
    std::filesystem::path ca_file;                      ///< --ca-file: PEM bundle for every TLS connection
    std::string blob_endpoint;                          ///< datastore account URL override (private endpoint, emulator)
    std::shared_ptr<http::transport> transport;         ///< raw transport; default make_transport({ca_file})
    std::shared_ptr<http::token_credential> credential; ///< default: cached default chain
    http::retry_options retry;
    amlops::logger* log = nullptr;                      ///< HTTP logs (allow-list redacted)
    std::function<void(std::chrono::milliseconds)> sleep;  ///< LRO and status polls; default real sleep
};

/// Signed-in clients of one workspace. Thread-safe like its transports.
class workspace_session {
public:
    workspace_session(workspace_ref where, connection_options options = {});

    const workspace_ref& where() const noexcept { return where_; }
    arm::resource_id id() const { return where_.id(); }
    arm::client& arm() noexcept { return *arm_; }
    /// Bearer token (storage scope) transport for the workspace datastores.
    http::transport& storage() noexcept { return *storage_; }
    /// No credential: SAS URLs carry their own authorization.
    http::transport& sas() noexcept { return *sas_; }
    /// ARM-scoped transport for the run-history data plane.
    http::transport& data_plane() noexcept { return *data_plane_; }
    /// An Entra token for Azure ML (https://ml.azure.com), the `x-azureml-token` of pipeline PUTs.
    std::string ml_token();
    /// Datastore `name`'s container and how to authorize it (azureml::locate_datastore, cached):
    /// key-based datastores carry a SAS (use sas()), identity-based ones need storage().
    const azureml::datastore_location& datastore(const std::string& name);
    /// The transport that authorizes requests to `store`'s container: sas() for a container URL
    /// that carries a SAS, storage() for an identity-based datastore.
    http::transport& blobs(const azureml::datastore_location& store) noexcept { return store.sas ? sas() : storage(); }
    /// The run-history base URL (`api` of the workspace's discovery document), cached.
    std::string run_history_base();
    void sleep(std::chrono::milliseconds d) const;

private:
    workspace_ref where_;
    connection_options options_;
    std::shared_ptr<http::token_credential> credential_;
    std::shared_ptr<arm::client> arm_;
    std::shared_ptr<http::transport> storage_, sas_, data_plane_;
    std::map<std::string, azureml::datastore_location> datastores_;
    std::string history_base_;
};

/// The HTTP GET every data-plane read here needs: 2xx body or error(service|not_found) naming
/// `what` (never the URL's query, which may hold a SAS).
std::string get_text(http::transport& t, const std::string& url, const std::string& what);

}  // namespace amlops::azureml_jobs
