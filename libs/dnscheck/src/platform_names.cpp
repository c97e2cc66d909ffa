// The platform's private-link names. The names come from aml-provision's own derivation, so the
// checker asks for exactly the resources provision creates (it once spelled the registry "cr..."
// where provision names it "acr...").
#include "amlops/dnscheck/expectations.hpp"

namespace amlops::dnscheck {

check_plan platform_names(const provision::platform_config& p) {
    check_plan plan;
    const auto names = provision::derive_names(p);
    for (std::size_t i = 0; i < p.environments.size() && i < names.envs.size(); ++i) {
        const auto& env = p.environments[i];
        const auto& n = names.envs[i];
        for (const char* service : {"blob", "file", "queue", "table"})
            plan.add({n.storage + "." + service + ".core.windows.net", {}, "platform", std::nullopt});
        plan.add({n.key_vault + ".vault.azure.net", {}, "platform", std::nullopt});
        plan.add({n.container_registry + ".azurecr.io", {}, "platform", std::nullopt});
        plan.add({n.container_registry + "." + p.location + ".data.azurecr.io", {}, "platform", std::nullopt});
        if (auto space = dns::ip_network::parse(env.address_space)) plan.add_space(*space);
    }
    return plan;
}

}  // namespace amlops::dnscheck
