#pragma once
// The test zone: the dev platform's private-link names (storage, Key Vault, container registry,
// workspace, notebooks, compute instances) as dnsmasq options, one name per way of failing.
//   stdevcc01.blob   CNAME privatelink → private A                 ok
//   kvdevcc01.vault  CNAME privatelink.vaultcore → A + AAAA (ULA)  ok (AAAA)
//   crdevcc01.azurecr.io → 60 private A records (> 512 bytes)      ok over TCP
//   stdevcc01.file   CNAME privatelink → CNAME public → public A   public answer
//   stdevcc01.queue  CNAME privatelink, which does not exist       NXDOMAIN
//   stdevcc01.table  CNAME privatelink → 10.10.1.99, expected .7   wrong private address
//   stdevcc01.dfs    CNAME privatelink → 192.168.50.4               wrong: outside the address spaces
//   workspace        CNAME privatelink → (second dnsmasq) back     CNAME loop
//   notebooks        CNAME privatelink → upstream says SERVFAIL    SERVFAIL
//   instances        forwarded to a server that never answers      timeout

#include "dns_servers.hpp"
#include "test_support.hpp"

#include <string>
#include <vector>

namespace amlops::test {

struct test_zone_upstreams {
    std::string loop_server;      ///< a dnsmasq answering the workspace privatelink name with a CNAME back
    std::string servfail_server;  ///< answers SERVFAIL
    std::string mute_server;      ///< never answers
};

namespace zone {
inline const std::string blob = "stdevcc01.blob.core.windows.net";
inline const std::string blob_pl = "stdevcc01.privatelink.blob.core.windows.net";
inline const std::string vault = "kvdevcc01.vault.azure.net";
inline const std::string vault_pl = "kvdevcc01.privatelink.vaultcore.azure.net";
inline const std::string acr = "crdevcc01.azurecr.io";
inline const std::string acr_pl = "crdevcc01.privatelink.azurecr.io";
inline const std::string file = "stdevcc01.file.core.windows.net";
inline const std::string file_pl = "stdevcc01.privatelink.file.core.windows.net";
inline const std::string queue = "stdevcc01.queue.core.windows.net";
inline const std::string queue_pl = "stdevcc01.privatelink.queue.core.windows.net";
inline const std::string table = "stdevcc01.table.core.windows.net";
inline const std::string table_pl = "stdevcc01.privatelink.table.core.windows.net";
inline const std::string dfs = "stdevcc01.dfs.core.windows.net";
inline const std::string dfs_pl = "stdevcc01.privatelink.dfs.core.windows.net";
inline const std::string txt_only = "stnodata.privatelink.blob.core.windows.net";  // exists, no A/AAAA
inline const std::string workspace = "0f1e2d3c-0000-4000-8000-000000000001.workspace.canadacentral.api.azureml.ms";
inline const std::string workspace_pl = "0f1e2d3c-0000-4000-8000-000000000001.workspace.canadacentral.privatelink.api.azureml.ms";
inline const std::string notebooks = "ml-mlwdevcc01-canadacentral-0f1e2d3c.canadacentral.notebooks.azure.net";
inline const std::string notebooks_pl = "ml-mlwdevcc01-canadacentral-0f1e2d3c.canadacentral.privatelink.notebooks.azure.net";
inline const std::string instance = "ci-dev-01.canadacentral.instances.azureml.ms";
}  // namespace zone

/// dnsmasq.conf lines of the main server.
std::vector<std::string> platform_zone(const test_zone_upstreams& upstreams);
/// dnsmasq.conf lines of the loop server.
std::vector<std::string> loop_zone();

/// Everything serving the test zone: the main dnsmasq (main.address() is the --server), the loop
/// dnsmasq, the SERVFAIL upstream and the mute upstream, in a scratch folder named `label`.
struct test_zone_servers {
    explicit test_zone_servers(const std::string& label) : dir(label) {}
    scratch_dir dir;
    fake_dns_server servfail{fake_dns_server::mode::servfail};
    fake_dns_server mute{fake_dns_server::mode::mute};
    dnsmasq_server loop{dir / "loop", loop_zone()};
    dnsmasq_server main{dir / "main", platform_zone({loop.address(), servfail.address(), mute.address()})};
};

}  // namespace amlops::test
