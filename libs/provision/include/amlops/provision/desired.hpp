#pragma once
// The desired platform as ARM resources: id, api-version, the body amlops owns and the
// dependencies between resources. Values only known once another resource exists (an
// identity's principalId) are written as references "${KEY.path}" and resolved at apply time.

#include "amlops/core/json.hpp"
#include "amlops/provision/platform.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace amlops::provision {

/// One ARM resource of the platform.
struct desired_resource {
    std::string key;          ///< stable short key, e.g. "dev/storage", "dns/zone/privatelink.azurecr.io"
    std::string kind;         ///< display type, e.g. "Microsoft.Storage/storageAccounts"
    std::string id;           ///< full ARM id
    std::string api_version;
    json::object body;        ///< exactly the properties amlops owns (everything else is not compared)
    std::vector<std::string> depends_on;  ///< keys
    bool shared = false;      ///< shared DNS: kept by destroy unless --include-shared
    bool taggable = true;     ///< carries the ownership tag (false: children, role assignments)
    /// Immutable resources (role assignments) cannot be updated in place: a diff is a conflict.
    bool immutable = false;
};

/// The whole desired set, in a dependency-respecting order (dependencies first).
std::vector<desired_resource> desired_state(const platform_config& p, const platform_names& n);

/// The built-in role definition GUID of a role name (Azure's published built-in role ids);
/// throws error(config) for a name not in the table.
std::string role_definition_guid(const std::string& role_name);
/// Every role name of the table.
std::vector<std::string> known_roles();

/// A deterministic GUID (UUID v5-style, SHA-1 over a fixed namespace and `text`): the name of a
/// role assignment from its scope, role and principal, so re-runs address the same assignment.
std::string deterministic_guid(const std::string& text);

/// api-version amlops calls a resource type with (e.g. "Microsoft.Network/privateDnsZones").
std::string api_version_for(const std::string& id);

/// Resolves "${KEY.a.b}" references in `v` from `state` (key -> live resource JSON). Returns
/// nullopt when a referenced resource or property is not known yet.
std::optional<json::value> resolve_refs(const json::value& v, const std::map<std::string, json::value>& state);
/// Keys referenced by "${KEY...}" strings inside `v`.
std::vector<std::string> referenced_keys(const json::value& v);

}  // namespace amlops::provision
