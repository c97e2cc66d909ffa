#pragma once
// ARM resource ids and the api-version each resource type is called with.
//   /subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}/{type}/{name}[/{type}/{name}]...
// e.g. .../providers/Microsoft.MachineLearningServices/registries/{r}/models/{m}/versions/{v}.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace amlops::arm {

/// The Azure ML resource provider namespace.
inline constexpr std::string_view ml_namespace = "Microsoft.MachineLearningServices";
/// api-version for Microsoft.MachineLearningServices (docs/AZURE.md).
inline constexpr std::string_view ml_api_version = "2025-09-01";
/// api-version for resource groups (Microsoft.Resources).
inline constexpr std::string_view resource_group_api_version = "2025-04-01";
/// api-version for Microsoft.Network private endpoints, zone groups and virtual networks
/// (the stable Network spec that still has per-resource files).
inline constexpr std::string_view network_api_version = "2024-03-01";
/// api-version for Microsoft.Network/privateDnsZones and their children (record sets, links).
inline constexpr std::string_view private_dns_api_version = "2024-06-01";

/// A parsed ARM resource id. Segment names keep the case they were given; comparisons of the
/// fixed keywords (subscriptions, resourceGroups, providers) are case-insensitive like ARM's.
struct resource_id {
    std::string subscription;
    std::string resource_group;  ///< empty for a subscription id
    std::string provider;        ///< namespace, empty for a subscription or resource group id
    /// (type, name) pairs below the provider, outermost first: {{"registries","r"},{"models","m"}}.
    std::vector<std::pair<std::string, std::string>> segments;

    /// The canonical id string (starts with '/', no trailing '/').
    std::string str() const;
    /// A copy with one more (type, name) child segment. Throws error(bad_input) when this id has
    /// no provider (children of resource groups need one).
    resource_id child(std::string type, std::string name) const;
    /// A copy without the last segment (the parent resource). Throws error(bad_input) at a
    /// resource group or subscription.
    resource_id parent() const;
    /// "Microsoft.MachineLearningServices/registries/models", "Microsoft.Resources/resourceGroups"
    /// or "Microsoft.Resources/subscriptions".
    std::string type() const;
    /// The name of the resource (last segment, resource group or subscription).
    const std::string& name() const;
    /// The api-version for this resource's type (ml_api_version, resource_group_api_version, and
    /// the Network, private DNS, Authorization, Key Vault, Storage, Container Registry, Log
    /// Analytics, Application Insights and Managed Identity versions the platform uses; an
    /// extension resource such as .../providers/Microsoft.Authorization/roleAssignments/{n} below
    /// another resource uses its own namespace's). Throws error(config) for an unknown provider.
    std::string api_version() const;

    friend bool operator==(const resource_id&, const resource_id&) = default;
};

/// Parses an id. Throws error(bad_input) naming the id for anything that is not
/// /subscriptions/{s}[/resourceGroups/{rg}[/providers/{ns}/{type}/{name}...]] with non-empty
/// names and an even number of segments below the provider.
resource_id parse_resource_id(std::string_view id);

/// /subscriptions/{sub}/resourceGroups/{rg}.
resource_id resource_group_id(std::string subscription, std::string resource_group);
/// .../providers/Microsoft.MachineLearningServices/workspaces/{name}.
resource_id workspace_id(std::string subscription, std::string resource_group, std::string name);
/// .../providers/Microsoft.MachineLearningServices/registries/{name}.
resource_id registry_id(std::string subscription, std::string resource_group, std::string name);
/// `parent`/models/{model}/versions/{version} (parent: a workspace or registry id).
resource_id model_version_id(const resource_id& parent, std::string model, std::string version);

}  // namespace amlops::arm
