#pragma once
// Signed-in clients of an emulator for tests: a client-secret credential that talks only to the
// emulator (no environment, no IMDS, no Azure CLI) and an ARM client on it with instant waits.

#include "emulator.hpp"

#include "amlops/arm/client.hpp"
#include "amlops/auth/credentials.hpp"
#include "amlops/http/pipeline.hpp"
#include "amlops/http/transport.hpp"

#include <map>
#include <memory>
#include <string>

namespace amlops::test {

/// A client-secret credential for the emulator's default tenant and client, with `secret`.
inline std::shared_ptr<http::token_credential> emulator_credential(const emulator::emulator& emu, const std::string& secret) {
    auth::credential_options co;
    co.env = [](const std::string&) { return std::optional<std::string>{}; };
    co.cloud.authority_host = emu.base_url() + "/";
    co.cloud.resource_manager = emu.base_url() + "/";
    co.cloud_from_env = false;
    co.imds_endpoint = std::nullopt;
    return std::make_shared<auth::client_secret_credential>("emulator-tenant", "emulator-client", secret, co);
}

/// Credential options seeing only `vars` (plus the emulator as authority and ARM), with IMDS
/// disabled and no `az` on the PATH, against the emulator.
inline auth::credential_options isolated(const emulator::emulator& emu, std::map<std::string, std::string> vars) {
    auth::credential_options co;
    vars["AZURE_AUTHORITY_HOST"] = emu.base_url() + "/";
    vars["AZURE_RESOURCE_MANAGER_ENDPOINT"] = emu.base_url() + "/";
    co.env = [vars](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
    co.imds_endpoint = std::nullopt;
    co.run = [](const std::vector<std::string>&) { return auth::process_output{127, "", "az: not found"}; };
    return co;
}

/// The standard request pipeline with `credential` for the emulator's scope, retry waits instant.
inline std::shared_ptr<http::pipeline> emulator_pipeline(const emulator::emulator& emu,
                                                         std::shared_ptr<http::token_credential> credential) {
    http::pipeline_options p;
    p.credential = std::move(credential);
    p.scope = emu.base_url() + "/.default";
    p.retry.sleep = [](std::chrono::milliseconds) {};
    return http::make_pipeline(p, http::make_transport());
}

/// An ARM client with `credential` against `endpoint` (default: the emulator itself; a recording
/// proxy in front of it, say), retry and LRO waits made instant.
inline arm::client emulator_arm_client(const emulator::emulator& emu, std::shared_ptr<http::token_credential> credential,
                                       const std::string& endpoint = {}) {
    arm::client_options ao;
    ao.endpoint = endpoint.empty() ? emu.base_url() : endpoint;
    ao.sleep = [](std::chrono::milliseconds) {};
    return arm::client(emulator_pipeline(emu, std::move(credential)), ao);
}

/// Provisions resource group `rg-ml` in `sub-1` and the Azure ML registries `dev-reg` and `prod-reg`.
inline void provision_registries(arm::client& c) {
    c.put(arm::resource_group_id("sub-1", "rg-ml"), json::object{{"location", "westeurope"}});
    c.put(arm::registry_id("sub-1", "rg-ml", "dev-reg"), json::object{{"location", "westeurope"}});
    c.put(arm::registry_id("sub-1", "rg-ml", "prod-reg"), json::object{{"location", "westeurope"}});
}

}  // namespace amlops::test
