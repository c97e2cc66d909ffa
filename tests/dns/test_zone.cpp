#include "test_zone.hpp"

namespace amlops::test {

std::vector<std::string> platform_zone(const test_zone_upstreams& up) {
    using namespace zone;
    auto dnsmasq_server_form = [](const std::string& address) {  // dnsmasq writes ports as '#'
        std::string s = address;
        s[s.rfind(':')] = '#';
        return s;
    };
    std::vector<std::string> c{
        // Names under these zones that are not listed below get NXDOMAIN, not REFUSED.
        "local=/core.windows.net/", "local=/vault.azure.net/", "local=/vaultcore.azure.net/", "local=/azurecr.io/",
        "local=/api.azureml.ms/", "local=/notebooks.azure.net/",
        "cname=" + blob + "," + blob_pl, "host-record=" + blob_pl + ",10.10.1.4",
        "cname=" + vault + "," + vault_pl, "host-record=" + vault_pl + ",10.10.1.5,fd10:10::5",
        "cname=" + acr + "," + acr_pl,
        "cname=" + file + "," + file_pl, "cname=" + file_pl + ",file.bn9prdstr01a.store.core.windows.net",
        "host-record=file.bn9prdstr01a.store.core.windows.net,20.60.1.1",
        "cname=" + queue + "," + queue_pl,
        "cname=" + table + "," + table_pl, "host-record=" + table_pl + ",10.10.1.99",
        "txt-record=" + txt_only + ",no address here",
        "cname=" + dfs + "," + dfs_pl, "host-record=" + dfs_pl + ",192.168.50.4",
        "cname=" + workspace + "," + workspace_pl,
        "server=/privatelink.api.azureml.ms/" + dnsmasq_server_form(up.loop_server),
        "cname=" + notebooks + "," + notebooks_pl,
        "server=/privatelink.notebooks.azure.net/" + dnsmasq_server_form(up.servfail_server),
        "server=/instances.azureml.ms/" + dnsmasq_server_form(up.mute_server),
    };
    // 60 A records: 12 + question + 60 × 16 bytes, far beyond the 512 bytes of a plain UDP answer.
    for (int i = 0; i < 60; ++i) c.push_back("host-record=" + acr_pl + ",10.10.2." + std::to_string(10 + i));
    return c;
}

std::vector<std::string> loop_zone() {
    return {"local=/api.azureml.ms/", "cname=" + zone::workspace_pl + "," + zone::workspace};
}

}  // namespace amlops::test
