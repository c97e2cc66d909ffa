#pragma once
// The platform file (infra/platform.yaml) and the deterministic names derived from it.
//
// Names follow the original MLOps platform's Terraform: resource groups are
// "rg-<prefix>-<component>-<env>-<location_code>-<suffix>" (rg-aml-ws-dev-cc-01), Azure resources
// are "<type prefix><env><location_code><suffix>" without separators (mlwdevcc01, mlrdevcc01,
// stdevcc01), identities "<env>-mi-workspace" / "<env>-mi-compute", the compute cluster
// "aml-cluster-<env>-<location_code><suffix>". docs/provision.md lists every rule.

#include "amlops/core/json.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace amlops::provision {

/// One environment (dev or prod): its address space and what it reaches.
struct environment_config {
    std::string name;               ///< "dev" | "prod"
    std::string address_space;      ///< VNet CIDR, e.g. 10.1.0.0/16
    std::string subnet_prefix;      ///< workload subnet CIDR, e.g. 10.1.1.0/24
    std::string bastion_prefix;     ///< AzureBastionSubnet CIDR (used when bastion is on)
};

/// Everything infra/platform.yaml says.
struct platform_config {
    std::string subscription_id;
    std::string prefix = "aml";
    std::string purpose = "mlops";
    std::string location = "canadacentral";
    std::string location_code = "cc";
    std::string naming_suffix = "01";
    std::string tenant_id;
    /// Object id of the deployment principal (RBAC and registry managed-RG pre-authorisation).
    std::string deployment_principal_id;
    std::vector<environment_config> environments;  ///< dev first, then prod
    std::map<std::string, std::string> tags;
    bool bastion = false;
    bool key_vault_purge_protection = true;
    /// "per-environment" (one registry per environment) or "shared" (dev registry only).
    bool registry_per_environment = true;
    std::string compute_vm_size = "Standard_DS3_v2";
    int compute_max_nodes = 2;
    std::filesystem::path source;  ///< the file it came from (for messages)

    /// The value of the ownership tag ("amlops-platform") on everything this platform owns.
    std::string owner_tag() const;
};

/// The ownership tag name.
inline constexpr const char* owner_tag_name = "amlops-platform";

/// Reads and validates the platform file. Throws error(config) naming file, line and field for
/// a missing or invalid value; error(bad_input) for YAML that does not parse.
platform_config load_platform(const std::filesystem::path& file);
/// Same, from text (`origin` is used in messages).
platform_config parse_platform(const std::string& text, const std::filesystem::path& origin);

/// Deterministic names of one environment's resources.
struct environment_names {
    std::string env;
    std::string network_rg, workspace_rg, registry_rg;
    std::string vnet, subnet, nsg, bastion, bastion_ip, peering;
    std::string log_analytics, app_insights, storage, key_vault, container_registry;
    std::string workspace_identity, compute_identity;
    std::string workspace, compute, registry;
};

struct platform_names {
    std::string dns_rg;
    std::vector<environment_names> envs;  ///< same order as platform_config::environments
};

/// Derives every name. Pure: the same file always gives the same names.
platform_names derive_names(const platform_config& p);

/// A naming rule that a name broke.
struct naming_violation {
    std::string resource_type;  ///< e.g. "Microsoft.Storage/storageAccounts"
    std::string name;
    std::string rule;           ///< e.g. "3-24 lower-case letters and digits"
};

/// Checks every derived name against its resource type's rules (storage 3-24 lower-case
/// alphanumerics, Key Vault 3-24 alphanumerics and hyphens starting with a letter, container
/// registry 5-50 alphanumerics, ...). Empty when every name is valid.
std::vector<naming_violation> check_names(const platform_names& names);
/// The rule text for a resource type, and whether `name` satisfies it.
bool name_is_valid(const std::string& resource_type, const std::string& name, std::string* rule = nullptr);

/// Throws error(config) naming the first violation's type, name and rule (exit 2).
void require_valid_names(const platform_names& names, const platform_config& p);

}  // namespace amlops::provision
