#pragma once
// The backend fixture plus Azure ML workspace `ws-ml` (which brings its default, key-based
// `workspaceblobstore`), and the azureml backend opened on the workspace.

#include "backend_fixture.hpp"

#include <memory>
#include <string>

namespace amlops::test {

/// The backend fixture plus workspace `ws-ml` (which brings its default datastore).
struct workspace_fixture : backend_fixture {
    explicit workspace_fixture(emulator::options o = {}) : backend_fixture(std::move(o)) { arm().put(arm::workspace_id("sub-1", "rg-ml", "ws-ml"), json::object{{"location", "westeurope"}}); }

    arm::client arm() { return emulator_arm_client(emu, credential); }

    /// The backend on the workspace, artifacts to `datastore`.
    std::unique_ptr<registry::registry> open_workspace(std::size_t block_size = 0, const std::string& datastore = "workspaceblobstore") {
        azureml::target t;
        t.datastore = datastore;
        t.subscription = "sub-1";
        t.resource_group = "rg-ml";
        t.workspace = "ws-ml";
        t.arm_endpoint = emu.base_url();
        t.authority_host = emu.base_url();
        t.blob_endpoint = emu.workspace_blob_endpoint();
        azureml::backend_options o;
        o.credential = credential;
        o.retry.sleep = [](std::chrono::milliseconds) {};
        o.poll_sleep = [](std::chrono::milliseconds) {};
        o.block_size = block_size;
        return azureml::open_azureml_registry("ws", t, o);
    }

    /// PUTs an identity-based datastore (credentialsType None) of the emulator's account.
    void add_identity_datastore(const std::string& name, const std::string& container) {
        arm().put(arm::workspace_id("sub-1", "rg-ml", "ws-ml").child("datastores", name),
                  json::object{{"properties", json::object{{"datastoreType", "AzureBlob"}, {"accountName", "emustorage"},
                                                           {"containerName", container},
                                                           {"credentials", json::object{{"credentialsType", "None"}}}}}});
    }

    std::string model_uri(const std::string& model, int version) {
        const auto doc = arm().get(arm::model_version_id(arm::workspace_id("sub-1", "rg-ml", "ws-ml"), model, std::to_string(version)));
        return std::string(doc.at("properties").at("modelUri").as_string());
    }
};

}  // namespace amlops::test
