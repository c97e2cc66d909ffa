// The platform's naming, reduced to the private-link names dnscheck can derive without Azure.
// Kept in this one function so it can be replaced by aml-provision's own naming rules (which own
// the convention) without touching the checker.
#include "amlops/dnscheck/expectations.hpp"

namespace amlops::dnscheck {

check_plan platform_names(const platform_file& p) {
    check_plan plan;
    for (const auto& env : p.environments) {
        // <kind><environment><location code><suffix>, like workspace mlwdevcc01 / registry mlrdevcc01.
        const std::string tail = env.name + p.location_code + p.naming_suffix;
        const std::string storage = "st" + tail, vault = "kv" + tail, registry = "cr" + tail;
        for (const char* service : {"blob", "file", "queue", "table"})
            plan.add({storage + "." + service + ".core.windows.net", {}, "platform", std::nullopt});
        plan.add({vault + ".vault.azure.net", {}, "platform", std::nullopt});
        plan.add({registry + ".azurecr.io", {}, "platform", std::nullopt});
        plan.add({registry + "." + p.location + ".data.azurecr.io", {}, "platform", std::nullopt});
        for (const auto& space : env.address_spaces) plan.add_space(space);
    }
    return plan;
}

}  // namespace amlops::dnscheck
