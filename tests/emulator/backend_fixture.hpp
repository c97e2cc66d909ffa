#pragma once
// An emulator with a signed-in ARM client, the resource group and the `dev-reg` / `prod-reg`
// Azure ML registries provisioned, and the azureml backend opened on it (instant retries and
// LRO polls), for the backend tests.

#include "emulator.hpp"
#include "emulator_clients.hpp"
#include "test_support.hpp"

#include "amlops/arm/client.hpp"
#include "amlops/auth/credentials.hpp"
#include "amlops/azureml/azureml_registry.hpp"
#include "amlops/http/pipeline.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace amlops::test {

inline const std::string backend_secret = "backend-Test-Secret-42";

/// A model folder `dir` (MLmodel + model.json holding `content`) as version `taxi-fare`.
inline registry::new_version taxi_fare_version(const std::filesystem::path& dir, const std::string& content) {
    write_text(dir / "MLmodel", "artifact_path: model\n");
    write_text(dir / "model.json", content);
    registry::new_version v;
    v.name = "taxi-fare";
    v.artifacts_dir = dir;
    v.created_by = "test";
    return v;
}

struct backend_fixture {
    emulator::emulator emu;
    std::shared_ptr<http::token_credential> credential;

    /// `o.client_secret` is set to backend_secret.
    explicit backend_fixture(emulator::options o) : emu([&] {
        o.client_secret = backend_secret;
        return o;
    }()) {
        credential = std::make_shared<auth::cached_credential>(emulator_credential(emu, backend_secret));
        auto c = emulator_arm_client(emu, credential);
        provision_registries(c);
    }

    /// The azureml backend as amlops registry `name` on Azure ML registry `aml_registry`.
    std::unique_ptr<registry::registry> open(const std::string& name = "dev", const std::string& aml_registry = "dev-reg",
                                             std::size_t block_size = 0) {
        azureml::target t;
        t.subscription = "sub-1";
        t.resource_group = "rg-ml";
        t.registry = aml_registry;
        t.arm_endpoint = emu.base_url();
        t.authority_host = emu.base_url();
        azureml::backend_options o;
        o.credential = credential;
        o.retry.sleep = [](std::chrono::milliseconds) {};
        o.retry.max_retries = 6;
        o.poll_sleep = [](std::chrono::milliseconds) {};
        o.block_size = block_size;
        return azureml::open_azureml_registry(name, t, o);
    }

    /// config.yaml text mapping `dev` and `prod` to the two registries, for the tools.
    std::string config_yaml() const {
        const std::string common = "subscription: sub-1, resource_group: rg-ml, arm_endpoint: '" + emu.base_url() +
                                   "', authority_host: '" + emu.base_url() + "'";
        return "registries:\n  dev: {backend: azureml, registry: dev-reg, " + common + "}\n  prod: {backend: azureml, registry: prod-reg, " +
               common + "}\n";
    }
    /// Environment for the tools: workspace `home` and the client secret credential.
    std::vector<std::string> tool_env(const std::filesystem::path& home) const {
        return {"AMLOPS_HOME=" + home.string(), "AZURE_TENANT_ID=emulator-tenant", "AZURE_CLIENT_ID=emulator-client",
                "AZURE_CLIENT_SECRET=" + backend_secret};
    }
};

}  // namespace amlops::test
