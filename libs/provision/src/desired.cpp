#include "amlops/provision/desired.hpp"

#include "amlops/arm/resource_id.hpp"
#include "amlops/core/error.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>

namespace amlops::provision {
namespace {

using json::array;
using json::object;

/// Built-in role definition ids (Azure RBAC built-in roles documentation). Role names are
/// global and stable; the ids are the same in every tenant and subscription.
const std::pair<const char*, const char*> builtin_roles[] = {
    {"Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"},
    {"User Access Administrator", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"},
    {"Network Contributor", "4d97b98b-1d4f-4787-a291-c67834d212e7"},
    {"Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7"},
    {"Azure AI Administrator", "b78c5d69-af96-48a3-bf8d-a8b4d589de94"},
    {"Azure AI Enterprise Network Connection Approver", "b556d68e-0be0-4f35-a333-ad7ee1ce17ea"},
    {"Storage Blob Data Owner", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"},
    {"Storage Blob Data Contributor", "ba92f5b4-2d11-453d-a403-e96b0029c9fe"},
    {"Storage File Data Privileged Contributor", "69566ab7-960f-475b-8e7c-b3118f30c6bd"},
    {"Key Vault Reader", "21090545-7ca7-4776-b22c-e363652d74d2"},
    {"Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6"},
    {"AzureML Data Scientist", "f6c7c914-8db3-469d-8ca1-694a8f32e121"},
    {"AzureML Registry User", "1823dd4f-9b8c-4ab6-ab4e-7397a3684615"},
    {"AcrPull", "7f951dda-4ed3-4680-a7ca-43fe172d538d"},
    {"AcrPush", "8311e382-0749-4cb8-b61a-304f252e45ec"},
};

/// The private DNS zones of an Azure ML private-only deployment (one set, shared by every
/// environment and linked to each VNet).
const char* const dns_zones[] = {
    "privatelink.api.azureml.ms",       "privatelink.notebooks.azure.net",   "instances.azureml.ms",
    "privatelink.blob.core.windows.net", "privatelink.file.core.windows.net", "privatelink.queue.core.windows.net",
    "privatelink.table.core.windows.net", "privatelink.vaultcore.azure.net",  "privatelink.azurecr.io",
};

std::string ref(const std::string& key, const std::string& path) { return "${" + key + "#" + path + "}"; }

class builder {
public:
    builder(const platform_config& p, const platform_names& n) : p_(p), n_(n) {}

    std::vector<desired_resource> build() {
        const std::string sub = "/subscriptions/" + p_.subscription_id;
        dns_rg_ = sub + "/resourceGroups/" + n_.dns_rg;
        add_rg("shared/rg/dns", n_.dns_rg, true);
        for (const char* z : dns_zones)
            add({"dns/zone/" + std::string(z), "Microsoft.Network/privateDnsZones", dns_rg_ + "/providers/Microsoft.Network/privateDnsZones/" + z,
                 "", object{{"location", "global"}}, {"shared/rg/dns"}, true});
        for (const auto& e : n_.envs) environment(e);
        // Peering both ways once both VNets exist.
        for (std::size_t i = 0; i < n_.envs.size(); ++i) {
            const auto& e = n_.envs[i];
            const auto& other = n_.envs[1 - i];
            desired_resource r{e.env + "/peering", "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
                               vnet_id(e) + "/virtualNetworkPeerings/" + e.peering, "",
                               object{{"properties", object{{"remoteVirtualNetwork", object{{"id", vnet_id(other)}}},
                                                            {"allowVirtualNetworkAccess", true}, {"allowForwardedTraffic", false},
                                                            {"useRemoteGateways", false}}}},
                               {e.env + "/vnet", other.env + "/vnet"}};
            r.taggable = false;
            add(std::move(r));
        }
        // Cross-environment pieces: prod reaches the dev registry.
        const auto& dev = n_.envs[0];
        const auto& prod = n_.envs[1];
        if (p_.registry_per_environment) {
            outbound_rule(prod, dev);
            role(prod.env + "/mi/workspace", registry_id(dev), "dev/registry", "Azure AI Enterprise Network Connection Approver");
            role(prod.env + "/mi/compute", registry_id(dev), "dev/registry", "AzureML Registry User");
        }
        for (auto& r : out_) {
            r.api_version = api_version_for(r.id);
            if (r.taggable) r.body["tags"] = tags();
        }
        return std::move(out_);
    }

private:
    const platform_config& p_;
    const platform_names& n_;
    std::vector<desired_resource> out_;
    std::string dns_rg_;

    std::string sub() const { return "/subscriptions/" + p_.subscription_id; }
    std::string rg_id(const std::string& rg) const { return sub() + "/resourceGroups/" + rg; }
    std::string vnet_id(const environment_names& e) const { return rg_id(e.network_rg) + "/providers/Microsoft.Network/virtualNetworks/" + e.vnet; }
    std::string subnet_id(const environment_names& e) const { return vnet_id(e) + "/subnets/" + e.subnet; }
    std::string ws_res(const environment_names& e, const std::string& provider_type, const std::string& name) const {
        return rg_id(e.workspace_rg) + "/providers/" + provider_type + "/" + name;
    }
    std::string workspace_id(const environment_names& e) const { return ws_res(e, "Microsoft.MachineLearningServices/workspaces", e.workspace); }
    std::string registry_id(const environment_names& e) const {
        // With one shared registry, every environment uses dev's.
        const auto& owner = p_.registry_per_environment ? e : n_.envs[0];
        return rg_id(owner.registry_rg) + "/providers/Microsoft.MachineLearningServices/registries/" + owner.registry;
    }
    std::string registry_key(const environment_names& e) const { return (p_.registry_per_environment ? e.env : "dev") + "/registry"; }

    object tags() const {
        object t;
        for (const auto& [k, v] : p_.tags) t[k] = v;
        t[owner_tag_name] = p_.owner_tag();
        return t;
    }

    void add(desired_resource r) { out_.push_back(std::move(r)); }

    void add_rg(const std::string& key, const std::string& name, bool shared) {
        desired_resource r{key, "Microsoft.Resources/resourceGroups", rg_id(name), "", object{{"location", p_.location}}, {}, shared};
        add(std::move(r));
    }

    /// A role assignment of `role` to the principal of resource `principal_key` (or the
    /// deployment principal when it is "deployment") at `scope`.
    void role(const std::string& principal_key, const std::string& scope, const std::string& scope_key, const std::string& role_name) {
        const std::string guid = deterministic_guid(scope + "|" + role_name + "|" + principal_key);
        const bool deployment = principal_key == "deployment";
        object props{{"roleDefinitionId", sub() + "/providers/Microsoft.Authorization/roleDefinitions/" + role_definition_guid(role_name)},
                     {"principalId", deployment ? p_.deployment_principal_id : ref(principal_key, "properties.principalId")},
                     {"principalType", "ServicePrincipal"},
                     {"description", std::string(owner_tag_name) + "=" + p_.owner_tag() + " role=" + role_name}};
        desired_resource r{"rbac/" + role_name + "@" + scope_key + "/" + principal_key, "Microsoft.Authorization/roleAssignments",
                           scope + "/providers/Microsoft.Authorization/roleAssignments/" + guid, "", object{{"properties", props}},
                           {scope_key}};
        if (!deployment) r.depends_on.push_back(principal_key);
        r.taggable = false;
        r.immutable = true;
        add(std::move(r));
    }

    /// A private endpoint for `group` of `target` in the environment's subnet, and its DNS zone
    /// group, which makes Azure write the A records into the shared zones.
    void private_endpoint(const environment_names& e, const std::string& rg, const std::string& target_key, const std::string& target_id,
                          const std::string& target_name, const std::string& group, std::vector<std::string> zones) {
        const std::string name = "pe-" + target_name + "-" + group;
        const std::string id = rg_id(rg) + "/providers/Microsoft.Network/privateEndpoints/" + name;
        const std::string key = e.env + "/pe/" + target_name + "-" + group;
        object conn{{"name", name}, {"properties", object{{"privateLinkServiceId", target_id}, {"groupIds", array{json::value(group)}}}}};
        add({key, "Microsoft.Network/privateEndpoints", id, "",
             object{{"location", p_.location},
                    {"properties", object{{"subnet", object{{"id", subnet_id(e)}}}, {"privateLinkServiceConnections", array{conn}}}}},
             {e.env + "/vnet", target_key}});
        array configs;
        std::vector<std::string> deps{key};
        for (const auto& z : zones) {
            std::string cfg_name = z;
            std::replace(cfg_name.begin(), cfg_name.end(), '.', '-');
            configs.push_back(object{{"name", cfg_name}, {"properties", object{{"privateDnsZoneId", dns_rg_ + "/providers/Microsoft.Network/privateDnsZones/" + z}}}});
            deps.push_back("dns/zone/" + z);
        }
        desired_resource zg{key + "/dns", "Microsoft.Network/privateEndpoints/privateDnsZoneGroups", id + "/privateDnsZoneGroups/default", "",
                            object{{"properties", object{{"privateDnsZoneConfigs", configs}}}}, deps};
        zg.taggable = false;
        add(std::move(zg));
    }

    void outbound_rule(const environment_names& from, const environment_names& to) {
        const std::string reg = registry_id(to);
        const std::string reg_name = p_.registry_per_environment ? to.registry : n_.envs[0].registry;
        desired_resource r{from.env + "/outbound/" + reg_name, "Microsoft.MachineLearningServices/workspaces/outboundRules",
                           workspace_id(from) + "/outboundRules/to-" + reg_name, "",
                           object{{"properties", object{{"type", "PrivateEndpoint"}, {"category", "UserDefined"},
                                                        {"destination", object{{"serviceResourceId", reg}, {"subresourceTarget", "amlregistry"},
                                                                               {"sparkEnabled", false}}}}}},
                           {from.env + "/workspace", registry_key(to),
                            "rbac/Azure AI Enterprise Network Connection Approver@" + registry_key(to) + "/" + from.env + "/mi/workspace"}};
        r.taggable = false;
        add(std::move(r));
    }

    void environment(const environment_names& e) {
        const auto& cfg = *std::find_if(p_.environments.begin(), p_.environments.end(), [&](const auto& c) { return c.name == e.env; });
        const std::string env = e.env;
        add_rg(env + "/rg/network", e.network_rg, false);
        add_rg(env + "/rg/workspace", e.workspace_rg, false);
        if (p_.registry_per_environment || env == "dev") add_rg(env + "/rg/registry", e.registry_rg, false);
        const std::string loc = p_.location;

        // Network: NSG, VNet with its subnets inline (a VNet PUT without them would remove them).
        const std::string nsg_id = rg_id(e.network_rg) + "/providers/Microsoft.Network/networkSecurityGroups/" + e.nsg;
        add({env + "/nsg", "Microsoft.Network/networkSecurityGroups", nsg_id, "", object{{"location", loc}}, {env + "/rg/network"}});
        array subnets{object{{"name", e.subnet},
                             {"properties", object{{"addressPrefix", cfg.subnet_prefix}, {"networkSecurityGroup", object{{"id", nsg_id}}},
                                                   {"privateEndpointNetworkPolicies", "Disabled"}}}}};
        if (p_.bastion) subnets.push_back(object{{"name", "AzureBastionSubnet"}, {"properties", object{{"addressPrefix", cfg.bastion_prefix}}}});
        add({env + "/vnet", "Microsoft.Network/virtualNetworks", vnet_id(e), "",
             object{{"location", loc}, {"properties", object{{"addressSpace", object{{"addressPrefixes", array{json::value(cfg.address_space)}}}},
                                                             {"subnets", subnets}}}},
             {env + "/rg/network", env + "/nsg"}});
        if (p_.bastion) {
            const std::string pip = rg_id(e.network_rg) + "/providers/Microsoft.Network/publicIPAddresses/" + e.bastion_ip;
            add({env + "/bastion-ip", "Microsoft.Network/publicIPAddresses", pip, "",
                 object{{"location", loc}, {"sku", object{{"name", "Standard"}}}, {"properties", object{{"publicIPAllocationMethod", "Static"}}}},
                 {env + "/rg/network"}});
            add({env + "/bastion", "Microsoft.Network/bastionHosts", rg_id(e.network_rg) + "/providers/Microsoft.Network/bastionHosts/" + e.bastion, "",
                 object{{"location", loc}, {"sku", object{{"name", "Standard"}}},
                        {"properties", object{{"ipConfigurations", array{object{{"name", "ipconfig"},
                                                                                  {"properties", object{{"subnet", object{{"id", vnet_id(e) + "/subnets/AzureBastionSubnet"}}},
                                                                                                        {"publicIPAddress", object{{"id", pip}}}}}}}}}}},
                 {env + "/vnet", env + "/bastion-ip"}});
        }
        for (const char* z : dns_zones) {
            desired_resource link{"dns/link/" + std::string(z) + "/" + env, "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
                                  dns_rg_ + "/providers/Microsoft.Network/privateDnsZones/" + z + "/virtualNetworkLinks/link-" + e.vnet, "",
                                  object{{"location", "global"},
                                         {"properties", object{{"virtualNetwork", object{{"id", vnet_id(e)}}}, {"registrationEnabled", false}}}},
                                  {"dns/zone/" + std::string(z), env + "/vnet"}};
            add(std::move(link));
        }

        // Workspace dependencies, all private-only.
        const std::string la = ws_res(e, "Microsoft.OperationalInsights/workspaces", e.log_analytics);
        add({env + "/log", "Microsoft.OperationalInsights/workspaces", la, "",
             object{{"location", loc}, {"properties", object{{"sku", object{{"name", "PerGB2018"}}}, {"retentionInDays", 30}}}},
             {env + "/rg/workspace"}});
        const std::string appi = ws_res(e, "Microsoft.Insights/components", e.app_insights);
        add({env + "/appi", "Microsoft.Insights/components", appi, "",
             object{{"location", loc}, {"kind", "web"}, {"properties", object{{"Application_Type", "other"}, {"WorkspaceResourceId", la}}}},
             {env + "/log"}});
        const std::string st = ws_res(e, "Microsoft.Storage/storageAccounts", e.storage);
        add({env + "/storage", "Microsoft.Storage/storageAccounts", st, "",
             object{{"location", loc}, {"kind", "StorageV2"}, {"sku", object{{"name", "Standard_LRS"}}},
                    {"properties", object{{"publicNetworkAccess", "Disabled"}, {"allowBlobPublicAccess", false}, {"minimumTlsVersion", "TLS1_2"},
                                          {"networkAcls", object{{"defaultAction", "Deny"}, {"bypass", "AzureServices"}}}}}},
             {env + "/rg/workspace"}});
        const std::string kv = ws_res(e, "Microsoft.KeyVault/vaults", e.key_vault);
        object kv_props{{"tenantId", p_.tenant_id}, {"sku", object{{"family", "A"}, {"name", "standard"}}}, {"enableRbacAuthorization", true},
                        {"publicNetworkAccess", "Disabled"}, {"networkAcls", object{{"defaultAction", "Deny"}, {"bypass", "AzureServices"}}}};
        // Purge protection cannot be switched off once on, so it is only ever sent as true.
        if (p_.key_vault_purge_protection) kv_props["enablePurgeProtection"] = true;
        add({env + "/keyvault", "Microsoft.KeyVault/vaults", kv, "", object{{"location", loc}, {"properties", kv_props}}, {env + "/rg/workspace"}});
        const std::string acr = ws_res(e, "Microsoft.ContainerRegistry/registries", e.container_registry);
        add({env + "/acr", "Microsoft.ContainerRegistry/registries", acr, "",
             object{{"location", loc}, {"sku", object{{"name", "Premium"}}},
                    {"properties", object{{"publicNetworkAccess", "Disabled"}, {"adminUserEnabled", false}}}},
             {env + "/rg/workspace"}});
        const std::string mi_ws = ws_res(e, "Microsoft.ManagedIdentity/userAssignedIdentities", e.workspace_identity);
        const std::string mi_cc = ws_res(e, "Microsoft.ManagedIdentity/userAssignedIdentities", e.compute_identity);
        add({env + "/mi/workspace", "Microsoft.ManagedIdentity/userAssignedIdentities", mi_ws, "", object{{"location", loc}}, {env + "/rg/workspace"}});
        add({env + "/mi/compute", "Microsoft.ManagedIdentity/userAssignedIdentities", mi_cc, "", object{{"location", loc}}, {env + "/rg/workspace"}});

        // Deployment principal on every group of the environment (and the shared one, once).
        std::vector<std::pair<std::string, std::string>> groups{{env + "/rg/network", e.network_rg}, {env + "/rg/workspace", e.workspace_rg}};
        if (p_.registry_per_environment || env == "dev") groups.emplace_back(env + "/rg/registry", e.registry_rg);
        if (env == "dev") groups.emplace_back("shared/rg/dns", n_.dns_rg);
        for (const auto& [key, rg] : groups)
            for (const char* r : {"Contributor", "User Access Administrator", "Network Contributor"}) role("deployment", rg_id(rg), key, r);

        // Workspace identity: what workspace creation and the managed network need, before the workspace.
        const std::string wsmi = env + "/mi/workspace", ccmi = env + "/mi/compute";
        role(wsmi, rg_id(e.workspace_rg), env + "/rg/workspace", "Azure AI Administrator");
        role(wsmi, st, env + "/storage", "Storage Blob Data Owner");
        role(wsmi, kv, env + "/keyvault", "Key Vault Reader");
        role(wsmi, kv, env + "/keyvault", "Key Vault Secrets User");

        // The registry (system-assigned identity; the deployment principal pre-authorised on its managed group).
        if (p_.registry_per_environment || env == "dev") {
            object region{{"location", loc},
                          {"storageAccountDetails", array{object{{"systemCreatedStorageAccount",
                                                                  object{{"storageAccountType", "Standard_LRS"}, {"storageAccountHnsEnabled", false}}}}}},
                          {"acrDetails", array{object{{"systemCreatedAcrAccount", object{{"acrAccountSku", "Premium"}}}}}}};
            add({env + "/registry", "Microsoft.MachineLearningServices/registries", registry_id(e), "",
                 object{{"location", loc}, {"identity", object{{"type", "SystemAssigned"}}},
                        {"properties", object{{"publicNetworkAccess", "Disabled"}, {"regionDetails", array{region}},
                                              {"managedResourceGroupSettings",
                                               object{{"assignedIdentities", array{object{{"principalId", p_.deployment_principal_id}}}}}}}}},
                 {env + "/rg/registry"}});
        }
        role(wsmi, registry_id(e), registry_key(e), "Azure AI Enterprise Network Connection Approver");

        // The workspace: managed VNet approving only listed outbound, no public access,
        // the user-assigned identity primary; created after its identity can read the vault.
        const std::string ws = workspace_id(e);
        object ws_props{{"friendlyName", e.workspace}, {"keyVault", kv}, {"storageAccount", st}, {"containerRegistry", acr},
                        {"applicationInsights", appi}, {"primaryUserAssignedIdentity", mi_ws}, {"publicNetworkAccess", "Disabled"},
                        {"systemDatastoresAuthMode", "Identity"},
                        {"managedNetwork", object{{"isolationMode", "AllowOnlyApprovedOutbound"}}}};
        add({env + "/workspace", "Microsoft.MachineLearningServices/workspaces", ws, "",
             object{{"location", loc}, {"kind", "Default"},
                    {"identity", object{{"type", "UserAssigned"}, {"userAssignedIdentities", object{{mi_ws, object{}}}}}},
                    {"properties", ws_props}},
             {env + "/storage", env + "/keyvault", env + "/acr", env + "/appi", wsmi,
              "rbac/Key Vault Reader@" + env + "/keyvault/" + wsmi, "rbac/Key Vault Secrets User@" + env + "/keyvault/" + wsmi,
              "rbac/Azure AI Administrator@" + env + "/rg/workspace/" + wsmi, "rbac/Storage Blob Data Owner@" + env + "/storage/" + wsmi}});
        outbound_rule(e, e);

        // Compute identity and the CPU cluster that uses it.
        role(ccmi, ws, env + "/workspace", "AzureML Data Scientist");
        role(ccmi, st, env + "/storage", "Storage Blob Data Contributor");
        role(ccmi, st, env + "/storage", "Storage File Data Privileged Contributor");
        role(ccmi, kv, env + "/keyvault", "Key Vault Secrets User");
        role(ccmi, registry_id(e), registry_key(e), "AzureML Registry User");
        role(ccmi, acr, env + "/acr", "AcrPull");
        role(ccmi, acr, env + "/acr", "AcrPush");
        add({env + "/compute", "Microsoft.MachineLearningServices/workspaces/computes", ws + "/computes/" + e.compute, "",
             object{{"location", loc},
                    {"identity", object{{"type", "UserAssigned"}, {"userAssignedIdentities", object{{mi_cc, object{}}}}}},
                    {"properties", object{{"computeType", "AmlCompute"},
                                          {"properties", object{{"vmSize", p_.compute_vm_size},
                                                                {"scaleSettings", object{{"minNodeCount", 0}, {"maxNodeCount", p_.compute_max_nodes}}},
                                                                {"enableNodePublicIp", false},
                                                                {"remoteLoginPortPublicAccess", "Disabled"}}}}}},
             {env + "/workspace", ccmi}});
        out_.back().taggable = false;  // compute tags live on the workspace

        // Private endpoints into the environment's subnet.
        for (const char* g : {"blob", "file", "queue", "table"})
            private_endpoint(e, e.workspace_rg, env + "/storage", st, e.storage, g, {std::string("privatelink.") + g + ".core.windows.net"});
        private_endpoint(e, e.workspace_rg, env + "/keyvault", kv, e.key_vault, "vault", {"privatelink.vaultcore.azure.net"});
        private_endpoint(e, e.workspace_rg, env + "/acr", acr, e.container_registry, "registry", {"privatelink.azurecr.io"});
        private_endpoint(e, e.workspace_rg, env + "/workspace", ws, e.workspace, "amlworkspace",
                         {"privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"});
        if (p_.registry_per_environment || env == "dev")
            private_endpoint(e, e.registry_rg, env + "/registry", registry_id(e), e.registry, "amlregistry", {"privatelink.api.azureml.ms"});
    }
};

}  // namespace

std::string role_definition_guid(const std::string& role_name) {
    for (const auto& [name, guid] : builtin_roles)
        if (role_name == name) return guid;
    throw error(error_kind::config, "unknown role '" + role_name + "' (not in the built-in role table)");
}

std::vector<std::string> known_roles() {
    std::vector<std::string> out;
    for (const auto& [name, guid] : builtin_roles) out.emplace_back(name);
    return out;
}

std::string deterministic_guid(const std::string& text) {
    // UUID v5 layout over SHA-1 of a fixed amlops namespace + text (RFC 4122 §4.3 shape).
    static const std::string ns = "amlops-provision-role-assignment:";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const std::string input = ns + text;
    EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha1(), nullptr);
    digest[6] = static_cast<unsigned char>((digest[6] & 0x0F) | 0x50);
    digest[8] = static_cast<unsigned char>((digest[8] & 0x3F) | 0x80);
    char buf[37];
    std::snprintf(buf, sizeof buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", digest[0], digest[1], digest[2],
                  digest[3], digest[4], digest[5], digest[6], digest[7], digest[8], digest[9], digest[10], digest[11], digest[12], digest[13],
                  digest[14], digest[15]);
    return buf;
}

std::string api_version_for(const std::string& id) { return arm::parse_resource_id(id).api_version(); }

std::vector<desired_resource> desired_state(const platform_config& p, const platform_names& n) {
    auto out = builder(p, n).build();
    // Order: dependencies first (stable topological sort over the declaration order).
    std::map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (!index.emplace(out[i].key, i).second) throw error(error_kind::internal, "duplicate resource key " + out[i].key);
    }
    for (const auto& r : out)
        for (const auto& d : r.depends_on)
            if (!index.count(d)) throw error(error_kind::internal, r.key + " depends on unknown " + d);
    std::vector<desired_resource> sorted;
    std::vector<int> state(out.size(), 0);
    std::function<void(std::size_t)> visit = [&](std::size_t i) {
        if (state[i] == 2) return;
        if (state[i] == 1) throw error(error_kind::internal, "dependency cycle at " + out[i].key);
        state[i] = 1;
        for (const auto& d : out[i].depends_on) visit(index[d]);
        state[i] = 2;
        sorted.push_back(out[i]);
    };
    for (std::size_t i = 0; i < out.size(); ++i) visit(i);
    return sorted;
}

namespace {
bool find_ref(const std::string& s, std::string& key, std::string& path) {
    if (s.size() < 4 || s.rfind("${", 0) != 0 || s.back() != '}') return false;
    const auto hash = s.find('#');
    if (hash == std::string::npos) return false;
    key = s.substr(2, hash - 2);
    path = s.substr(hash + 1, s.size() - hash - 2);
    return true;
}
}  // namespace

std::optional<json::value> resolve_refs(const json::value& v, const std::map<std::string, json::value>& state) {
    if (v.is_string()) {
        std::string key, path;
        if (!find_ref(std::string(v.as_string()), key, path)) return v;
        auto it = state.find(key);
        if (it == state.end()) return std::nullopt;
        const json::value* cur = &it->second;
        std::size_t pos = 0;
        while (pos <= path.size()) {
            auto dot = path.find('.', pos);
            if (dot == std::string::npos) dot = path.size();
            const auto* o = cur->if_object();
            const auto* next = o ? o->if_contains(path.substr(pos, dot - pos)) : nullptr;
            if (!next) return std::nullopt;
            cur = next;
            pos = dot + 1;
        }
        if (cur->is_null()) return std::nullopt;
        return *cur;
    }
    if (const auto* o = v.if_object()) {
        object out;
        for (const auto& [k, x] : *o) {
            auto r = resolve_refs(x, state);
            if (!r) return std::nullopt;
            out[k] = std::move(*r);
        }
        return json::value(std::move(out));
    }
    if (const auto* a = v.if_array()) {
        array out;
        for (const auto& x : *a) {
            auto r = resolve_refs(x, state);
            if (!r) return std::nullopt;
            out.push_back(std::move(*r));
        }
        return json::value(std::move(out));
    }
    return v;
}

std::vector<std::string> referenced_keys(const json::value& v) {
    std::vector<std::string> out;
    if (v.is_string()) {
        std::string key, path;
        if (find_ref(std::string(v.as_string()), key, path)) out.push_back(key);
    } else if (const auto* o = v.if_object()) {
        for (const auto& [k, x] : *o)
            for (auto& r : referenced_keys(x)) out.push_back(std::move(r));
    } else if (const auto* a = v.if_array()) {
        for (const auto& x : *a)
            for (auto& r : referenced_keys(x)) out.push_back(std::move(r));
    }
    return out;
}

}  // namespace amlops::provision
