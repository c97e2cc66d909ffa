#include "amlops/azureml/datastore.hpp"

#include "amlops/azureml/blob.hpp"
#include "amlops/core/error.hpp"
#include "amlops/core/json.hpp"

#include <chrono>

namespace amlops::azureml {

datastore_location locate_datastore(arm::client& arm, const arm::resource_id& workspace, const std::string& name,
                                    const std::string& blob_endpoint) {
    const auto id = workspace.child("datastores", name);
    const auto doc = arm.get(id);
    const auto account = json::string_at(doc, {"properties", "accountName"});
    const auto container = json::string_at(doc, {"properties", "containerName"});
    if (account.empty() || container.empty())
        throw error(error_kind::config, "datastore '" + name + "' of " + workspace.str() +
                                            " is not an Azure Blob datastore (no accountName/containerName)");
    std::string base = blob_endpoint;
    if (base.empty()) {
        std::string protocol = json::string_at(doc, {"properties", "protocol"});
        std::string endpoint = json::string_at(doc, {"properties", "endpoint"});
        base = (protocol.empty() ? "https" : protocol) + "://" + account + ".blob." + (endpoint.empty() ? "core.windows.net" : endpoint);
    }
    while (!base.empty() && base.back() == '/') base.pop_back();
    datastore_location where{base + "/" + container, false};
    const auto type = json::string_at(doc, {"properties", "credentials", "credentialsType"});
    if (type != "AccountKey" && type != "Sas") return where;
    const auto secrets = arm.post(id, "listSecrets", nullptr);
    std::string sas;
    if (const auto key = json::string_at(secrets, {"key"}); json::string_at(secrets, {"secretsType"}) == "AccountKey" && !key.empty())
        sas = sign_container_sas(account, container, key, "racwl", std::chrono::system_clock::now() + std::chrono::hours(2));
    else if (json::string_at(secrets, {"secretsType"}) == "Sas")
        sas = json::string_at(secrets, {"sasToken"});
    if (!sas.empty() && sas.front() == '?') sas.erase(0, 1);
    if (sas.empty())
        throw error(error_kind::service, "datastore '" + name + "' of " + workspace.str() + " is " + type +
                                             "-based but listSecrets returned no usable secret");
    where.container += "?" + sas;
    where.sas = true;
    return where;
}

}  // namespace amlops::azureml
