#pragma once
// Where a workspace datastore's blobs live and how requests to them are authorized: one rule for
// every caller that reads or writes a workspace datastore (the registry backend's model uploads,
// aml-pipeline submit's data uploads).

#include "amlops/arm/client.hpp"
#include "amlops/arm/resource_id.hpp"

#include <string>

namespace amlops::azureml {

/// A datastore's container. `container` is the container URL; for key- or SAS-based datastores it
/// carries "?<SAS>" and requests need no bearer token (`sas` is true), otherwise (identity-based
/// datastores) the caller's Entra token for storage authorizes them.
struct datastore_location {
    std::string container;
    bool sas = false;
};

/// Resolves workspace datastore `name` as the Azure ML SDK's get_datastore_info does:
/// Datastores_Get (GET .../datastores/{name}) for the account and container; credentialsType
/// AccountKey or Sas -> Datastores_ListSecrets (POST .../datastores/{name}/listSecrets): an account
/// key signs a container SAS here (read, add, create, write, list; 2 hours), a SAS token is used as
/// it is; None and other types -> identity-based. The default `workspaceblobstore` is key-based.
/// `blob_endpoint` (may be empty) overrides the account URL (private endpoints, emulators).
/// Throws error(config) for a datastore that is not Azure Blob storage, error(service) when
/// listSecrets returns no usable secret. The secret never appears in a message.
datastore_location locate_datastore(arm::client& arm, const arm::resource_id& workspace, const std::string& name,
                                    const std::string& blob_endpoint);

}  // namespace amlops::azureml
