#include "emulator_provision.hpp"
#include "emulator_util.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <regex>

namespace amlops::emulator::detail {
namespace {

using json::array;
using json::object;

/// A GUID derived from `text` (identities get stable principal/client ids, so tests can predict them).
std::string guid_of(const std::string& text) {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), d, &len, EVP_sha256(), nullptr);
    char buf[37];
    std::snprintf(buf, sizeof buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", d[0], d[1], d[2], d[3], d[4], d[5],
                  d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]);
    return buf;
}

/// api-version of each resource type: the version of the published spec in
/// azure-rest-api-specs that describes it (the copies the Prism test validates against):
/// Network 2024-03-01 (virtualNetwork.json, privateEndpoint.json, ...), privatedns.json
/// 2024-06-01, Key Vault openapi.json 2026-02-01, storage.json 2023-05-01,
/// containerregistry.json 2023-07-01, Workspaces.json 2022-10-01, components_API.json
/// 2020-02-02, ManagedIdentity.json 2026-05-31, authorization-RoleAssignmentsCalls.json
/// 2026-08-01, Azure ML 2025-09-01, resources.json 2025-04-01.
std::string api_version_of(const std::string& type) {
    const auto t = lower(type);
    if (t.rfind("microsoft.network/privatednszones", 0) == 0) return "2024-06-01";
    if (t.rfind("microsoft.network/", 0) == 0) return "2024-03-01";
    if (t.rfind("microsoft.authorization/", 0) == 0) return "2026-08-01";
    if (t.rfind("microsoft.keyvault/", 0) == 0) return "2026-02-01";
    if (t.rfind("microsoft.storage/", 0) == 0) return "2023-05-01";
    if (t.rfind("microsoft.containerregistry/", 0) == 0) return "2023-07-01";
    if (t.rfind("microsoft.operationalinsights/", 0) == 0) return "2022-10-01";
    if (t.rfind("microsoft.insights/", 0) == 0) return "2020-02-02";
    if (t.rfind("microsoft.managedidentity/", 0) == 0) return "2026-05-31";
    if (t.rfind("microsoft.machinelearningservices/", 0) == 0) return "2025-09-01";
    if (t == "microsoft.resources/resourcegroups") return "2025-04-01";
    return "";
}

/// Writes that ARM answers asynchronously (201/202 + Azure-AsyncOperation) for these types, per
/// the `x-ms-long-running-operation: true` marks of their specs' PUT operations.
bool long_running(const std::string& type) {
    static const char* const types[] = {
        "microsoft.network/virtualnetworks", "microsoft.network/virtualnetworks/virtualnetworkpeerings",
        "microsoft.network/networksecuritygroups", "microsoft.network/publicipaddresses", "microsoft.network/bastionhosts",
        "microsoft.network/privateendpoints", "microsoft.network/privateendpoints/privatednszonegroups",
        "microsoft.network/privatednszones", "microsoft.network/privatednszones/virtualnetworklinks",
        "microsoft.storage/storageaccounts", "microsoft.containerregistry/registries",
        "microsoft.machinelearningservices/workspaces", "microsoft.machinelearningservices/registries",
        "microsoft.machinelearningservices/workspaces/outboundrules", "microsoft.machinelearningservices/workspaces/computes",
    };
    const auto t = lower(type);
    return std::any_of(std::begin(types), std::end(types), [&](const char* x) { return t == x; });
}

/// Resource types without location/tags (child and extension resources).
bool is_child(const std::string& type) {
    const auto t = lower(type);
    return t.find("/subnets") != std::string::npos || t.find("/virtualnetworkpeerings") != std::string::npos ||
           t.find("/privatednszonegroups") != std::string::npos || t.find("/outboundrules") != std::string::npos ||
           t.find("microsoft.authorization/") == 0 || t.find("/computes") != std::string::npos ||
           std::regex_search(t, std::regex("privatednszones/(a|aaaa|cname|mx|ptr|soa|srv|txt)$"));
}

/// Name patterns of the specs (storage.json, containerregistry.json, Key Vault openapi.json,
/// Workspaces.json common types, Azure ML workspaceRP.json/registries.json).
std::optional<std::string> name_problem(const std::string& type, const std::string& name) {
    static const std::pair<const char*, const char*> rules[] = {
        {"microsoft.storage/storageaccounts", "^[a-z0-9]{3,24}$"},
        {"microsoft.containerregistry/registries", "^[a-zA-Z0-9]{5,50}$"},
        {"microsoft.keyvault/vaults", "^[a-zA-Z0-9-]{3,24}$"},
        {"microsoft.operationalinsights/workspaces", "^[A-Za-z0-9][A-Za-z0-9-]+[A-Za-z0-9]$"},
        {"microsoft.machinelearningservices/workspaces", "^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$"},
        {"microsoft.machinelearningservices/registries", "^[a-zA-Z0-9][a-zA-Z0-9\\-_]{2,32}$"},
        {"microsoft.authorization/roleassignments", "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"},
    };
    for (const auto& [t, pattern] : rules)
        if (lower(type) == t && !std::regex_match(name, std::regex(pattern))) return std::string("must match ") + pattern;
    return std::nullopt;
}

/// Every string value below `v` that is an ARM resource id inside a resource group (references
/// ARM resolves on write), with the JSON path it was found at. Object keys of
/// userAssignedIdentities are references too.
void collect_refs(const json::value& v, const std::string& path, std::vector<std::pair<std::string, std::string>>& out) {
    static const std::regex id_re("^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/.+$", std::regex::icase);
    if (v.is_string()) {
        const std::string s(v.as_string());
        if (std::regex_match(s, id_re)) out.emplace_back(path, s);
    } else if (const auto* o = v.if_object()) {
        for (const auto& [k, x] : *o) {
            const std::string p = path.empty() ? std::string(k) : path + "." + std::string(k);
            if (k == "userAssignedIdentities" && x.is_object())
                for (const auto& [id, ignored] : x.as_object()) out.emplace_back(p, std::string(id));
            else
                collect_refs(x, p, out);
        }
    } else if (const auto* a = v.if_array()) {
        for (std::size_t i = 0; i < a->size(); ++i) collect_refs((*a)[i], path + "[" + std::to_string(i) + "]", out);
    }
}

std::string str_at(const json::value& v, std::initializer_list<std::string_view> path) { return json::string_at(v, path); }

// Built-in role ids the failure modes look for (Azure built-in roles documentation).
constexpr const char* key_vault_reader = "21090545-7ca7-4776-b22c-e363652d74d2";
constexpr const char* reader = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
constexpr const char* network_connection_approver = "b556d68e-0be0-4f35-a333-ad7ee1ce17ea";

/// The public DNS suffix each privatelink zone stands in for (Azure private endpoint DNS
/// configuration values, learn.microsoft.com/azure/private-link/private-endpoint-dns).
std::string public_suffix_of_zone(const std::string& zone) {
    static const std::pair<const char*, const char*> zones[] = {
        {"privatelink.vaultcore.azure.net", "vault.azure.net"},
        {"privatelink.api.azureml.ms", "api.azureml.ms"},
        {"privatelink.notebooks.azure.net", "notebooks.azure.net"},
    };
    for (const auto& [z, suffix] : zones)
        if (lower(zone) == z) return suffix;
    return zone.rfind("privatelink.", 0) == 0 ? zone.substr(std::string("privatelink.").size()) : zone;
}

}  // namespace

std::optional<http::response> provision_routes::route(const http::request& req, const std::string& path,
                                                      std::map<std::string, std::string>& query) {
    if (!ctx_.opt.provision.enabled) return std::nullopt;
    const auto parts = split(path);
    if (parts.size() < 4 || lower(parts[0]) != "subscriptions") return std::nullopt;
    const std::string sub = parts[1];
    const bool operation = parts.size() == 6 && lower(parts[2]) == "providers" && parts[3] == "amlops.emulator" && parts[4] == "operations";
    if (!operation && lower(parts[2]) != "resourcegroups") return std::nullopt;

    // Which type this path addresses: the last provider namespace and the types after it.
    std::string type = "Microsoft.Resources/resourceGroups";
    bool collection = false;
    if (!operation && parts.size() > 4) {
        if (lower(parts[4]) != "providers" || parts.size() < 7) return std::nullopt;
        std::string ns = parts[5];
        std::vector<std::string> types;
        for (std::size_t i = 6; i < parts.size(); i += 2) {
            if (lower(parts[i]) == "providers" && i + 1 < parts.size()) {
                ns = parts[i + 1];
                types.clear();
                collection = false;
                continue;  // "providers/{namespace}" is one (keyword, name) pair
            }
            types.push_back(parts[i]);
            collection = i + 1 >= parts.size();
        }
        type = ns;
        for (const auto& t : types) type += "/" + t;
        // The ML routes of the main emulator keep models, datastores and online endpoints.
        const auto t = lower(type);
        if (t.rfind("microsoft.machinelearningservices/", 0) == 0 && t != "microsoft.machinelearningservices/workspaces" &&
            t != "microsoft.machinelearningservices/registries" && t != "microsoft.machinelearningservices/workspaces/outboundrules" &&
            t != "microsoft.machinelearningservices/workspaces/computes")
            return std::nullopt;
    } else if (!operation) {
        collection = false;
    }

    const auto auth = req.headers.get("Authorization");
    if (!auth || auth->rfind("Bearer ", 0) != 0 || !ctx_.tokens.count(auth->substr(7)))
        return arm_error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or invalid.");
    // ARM requires api-version on every request and rejects versions the type does not have.
    const auto av = query.find("api-version");
    if (av == query.end() || av->second.empty())
        return arm_error(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
    if (operation) {
        // Azure-AsyncOperation status (ARM RPC async operations: {status: InProgress|Succeeded}).
        auto it = operations_.find(parts[5]);
        if (it == operations_.end()) return arm_error(404, "NotFound", "operation " + parts[5]);
        const auto now = clock::now();
        if (now < it->second.ready_at) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(it->second.ready_at - now).count();
            return json_reply(200, object{{"name", parts[5]}, {"status", "InProgress"}}, {{"retry-after-ms", std::to_string(left)}});
        }
        settle(it->second.key);
        return json_reply(200, object{{"name", parts[5]}, {"status", "Succeeded"}});
    }
    const auto expected = api_version_of(type);
    if (expected.empty()) return arm_error(400, "NoRegisteredProviderFound", "No registered resource provider found for type '" + type + "'.");
    if (av->second != expected)
        return arm_error(400, "InvalidApiVersionParameter",
                    "The api-version '" + av->second + "' is invalid for '" + type + "'. The supported versions are '" + expected + "'.");

    const std::string key = lower(path);
    if (req.method == "GET") return get(path, key, collection, type);
    if (collection) return arm_error(405, "MethodNotAllowed", req.method + " is not supported on a collection");
    if (req.method == "PUT") return put(req, path, key, type, sub, av->second);
    if (req.method == "DELETE") return remove(key);
    return arm_error(405, "MethodNotAllowed", req.method + " is not supported on " + path);
}

void provision_routes::settle(const std::string& key) {
    auto it = ready_at_.find(key);
    if (it == ready_at_.end() || clock::now() < it->second) return;
    ready_at_.erase(it);
    auto res = ctx_.resources.find(key);
    if (res == ctx_.resources.end()) return;
    auto& props = res->second["properties"];
    if (props.is_object()) props.as_object()["provisioningState"] = "Succeeded";
}

http::response provision_routes::get(const std::string& path, const std::string& key, bool collection, const std::string& type) {
    if (!collection) {
        settle(key);
        auto it = ctx_.resources.find(key);
        if (it == ctx_.resources.end())
            return arm_error(404, lower(type) == "microsoft.resources/resourcegroups" ? "ResourceGroupNotFound" : "ResourceNotFound",
                        "The Resource '" + type + "/" + path.substr(path.rfind('/') + 1) + "' was not found.");
        return json_reply(200, it->second);
    }
    // A list: the direct children under this collection path ({"value": [...]}, one page).
    array items;
    std::vector<std::string> keys;
    for (const auto& [k, v] : ctx_.resources)
        if (k.rfind(key + "/", 0) == 0 && k.find('/', key.size() + 1) == std::string::npos) keys.push_back(k);
    for (const auto& k : keys) {
        settle(k);
        items.push_back(ctx_.resources.at(k));
    }
    return json_reply(200, object{{"value", items}});
}

bool provision_routes::has_role(const std::string& principal, const std::string& scope_key, const std::string& role_guid) const {
    // A role assignment applies at its scope and below, once it has propagated (RBAC
    // troubleshooting documentation: new assignments can take minutes to take effect).
    const auto now = clock::now();
    for (const auto& [k, created] : created_at_) {
        auto it = ctx_.resources.find(k);
        if (it == ctx_.resources.end()) continue;
        const json::value res(it->second);
        const auto scope = lower(k.substr(0, k.find("/providers/microsoft.authorization/roleassignments/")));
        if (scope_key != scope && scope_key.rfind(scope + "/", 0) != 0) continue;
        if (str_at(res, {"properties", "principalId"}) != principal) continue;
        const auto role = lower(str_at(res, {"properties", "roleDefinitionId"}));
        if (!role.ends_with(role_guid)) continue;
        if (now - created >= ctx_.opt.provision.rbac_propagation) return true;
    }
    return false;
}

std::optional<http::response> provision_routes::check_failure_modes(const std::string& key, const std::string& type, const json::object& body) {
    const auto t = lower(type);
    const json::value doc(body);
    if (t == "microsoft.machinelearningservices/workspaces" && !ctx_.resources.count(key)) {
        // Re-creating a workspace soon after deleting it fails while Azure ML still cleans up its
        // identity (the original platform waits ~150 s "to allow any prior failed workspace
        // (soft delete / identity ops) to fully clear": MLOPs-AzureML
        // infra/modules/aml-managed-umi/main.tf, time_sleep.wait_workspace_slot).
        if (auto d = deleted_at_.find(key); d != deleted_at_.end() && clock::now() - d->second < ctx_.opt.provision.recreate_cooldown)
            return arm_error(409, "FailedIdentityOperation",
                        "Identity operation for resource '" + key + "' failed: the previous workspace's identity is still being removed.");
        // Creating a workspace whose user-assigned identity cannot read the Key Vault fails with
        // 403 on Microsoft.KeyVault/vaults/read (same file: Key Vault Reader is granted to the
        // workspace identity before the workspace "to avoid 403 on KV read").
        const auto kv = lower(str_at(doc, {"properties", "keyVault"}));
        const auto primary = lower(str_at(doc, {"properties", "primaryUserAssignedIdentity"}));
        if (!kv.empty() && !primary.empty()) {
            const auto mi = ctx_.resources.find(primary);
            const std::string principal = mi == ctx_.resources.end() ? "" : str_at(json::value(mi->second), {"properties", "principalId"});
            if (!has_role(principal, kv, key_vault_reader) && !has_role(principal, kv, reader))
                return arm_error(403, "AuthorizationFailed",
                            "The client '" + principal + "' with object id '" + principal +
                                "' does not have authorization to perform action 'Microsoft.KeyVault/vaults/read' over scope '" +
                                str_at(doc, {"properties", "keyVault"}) + "' or the scope is invalid. If access was recently granted, please refresh your credentials.");
        }
    }
    if (t == "microsoft.machinelearningservices/workspaces/outboundrules") {
        const auto rule_type = str_at(doc, {"properties", "type"});
        // A PrivateEndpoint rule to a registry needs its sub-resource ("amlregistry"); the
        // service rejects the rule without it (Azure ML managed network docs:
        // learn.microsoft.com/azure/machine-learning/how-to-managed-network, private endpoint rules).
        if (rule_type == "PrivateEndpoint" && str_at(doc, {"properties", "destination", "subresourceTarget"}).empty())
            return arm_error(400, "ValidationError", "Outbound rule of type PrivateEndpoint requires destination.subresourceTarget.",
                        "properties.destination.subresourceTarget");
        // Approving the managed private endpoint needs the workspace identity to hold Azure AI
        // Enterprise Network Connection Approver on the target (same documentation page), and a
        // fresh assignment only works once it has propagated.
        if (rule_type == "PrivateEndpoint") {
            const auto target = lower(str_at(doc, {"properties", "destination", "serviceResourceId"}));
            const auto ws = ctx_.resources.find(key.substr(0, key.find("/outboundrules/")));
            std::string principal;
            if (ws != ctx_.resources.end()) {
                const auto primary = lower(str_at(json::value(ws->second), {"properties", "primaryUserAssignedIdentity"}));
                if (auto mi = ctx_.resources.find(primary); mi != ctx_.resources.end())
                    principal = str_at(json::value(mi->second), {"properties", "principalId"});
            }
            if (!has_role(principal, target, network_connection_approver))
                return arm_error(403, "AuthorizationFailed",
                            "The client '" + principal + "' does not have authorization to perform action "
                            "'Microsoft.MachineLearningServices/registries/privateEndpointConnectionsApproval/action' over scope '" +
                                str_at(doc, {"properties", "destination", "serviceResourceId"}) + "'.");
        }
    }
    return std::nullopt;
}

http::response provision_routes::put(const http::request& req, const std::string& path, const std::string& key, const std::string& type,
                                     const std::string& subscription, const std::string& api_version) {
    const auto t = lower(type);
    const auto parts = split(path);
    const std::string name = parts.back();
    json::value parsed;
    try {
        parsed = json::parse(req.body, "request body");
    } catch (const std::exception& e) {
        return arm_error(400, "InvalidRequestContent", std::string("The request content was invalid: ") + e.what());
    }
    if (!parsed.is_object()) return arm_error(400, "InvalidRequestContent", "The request content must be a JSON object.");
    object body = parsed.as_object();

    // The parent must exist: the resource group for top-level resources (ResourceGroupNotFound),
    // the parent resource / the scope for children and extension resources (ParentResourceNotFound).
    if (t != "microsoft.resources/resourcegroups") {
        const std::string rg_key = lower("/" + parts[0] + "/" + parts[1] + "/" + parts[2] + "/" + parts[3]);
        if (!ctx_.resources.count(rg_key)) return arm_error(404, "ResourceGroupNotFound", "Resource group '" + parts[3] + "' could not be found.");
        std::string parent = key.substr(0, key.rfind('/'));
        parent = parent.substr(0, parent.rfind('/'));
        if (const auto ext = parent.rfind("/providers/microsoft.authorization"); ext != std::string::npos) parent = parent.substr(0, ext);
        const bool top_level = std::count(key.begin() + static_cast<long>(rg_key.size()), key.end(), '/') == 4;
        if (!top_level && parent != rg_key && !ctx_.resources.count(parent))
            return arm_error(404, "ParentResourceNotFound", "Can not perform requested operation on nested resource. Parent resource '" + parent + "' not found.");
    }
    if (auto bad = name_problem(type, name)) return arm_error(400, "InvalidResourceName", "The resource name '" + name + "' is invalid: " + *bad, "name");
    if (!is_child(type) && !body.contains("location"))
        return arm_error(400, "LocationRequired", "The location property is required for this definition.", "location");
    // Required properties of the specs (StorageAccountCreateParameters: kind, sku; VaultProperties:
    // tenantId, sku; Registry: sku; RoleAssignmentProperties: roleDefinitionId, principalId).
    const json::value doc(body);
    auto require = [&](std::initializer_list<const char*> p, const char* text) -> std::optional<http::response> {
        const json::value* cur = &doc;
        for (const char* k : p) {
            const auto* o = cur->if_object();
            cur = o ? o->if_contains(k) : nullptr;
            if (!cur) return arm_error(400, "InvalidRequestContent", std::string("Required property '") + text + "' is missing.", text);
        }
        return std::nullopt;
    };
    std::optional<http::response> missing;
    if (t == "microsoft.storage/storageaccounts") missing = missing ? missing : require({"kind"}, "kind");
    if (t == "microsoft.storage/storageaccounts" || t == "microsoft.containerregistry/registries") missing = missing ? missing : require({"sku", "name"}, "sku.name");
    if (t == "microsoft.keyvault/vaults") {
        missing = require({"properties", "tenantId"}, "properties.tenantId");
        missing = missing ? missing : require({"properties", "sku", "name"}, "properties.sku.name");
    }
    if (t == "microsoft.authorization/roleassignments") {
        missing = require({"properties", "roleDefinitionId"}, "properties.roleDefinitionId");
        missing = missing ? missing : require({"properties", "principalId"}, "properties.principalId");
    }
    if (missing) return std::move(*missing);

    // Every resource the body refers to must exist (ARM's LinkedInvalidPropertyId / InvalidResourceReference).
    std::vector<std::pair<std::string, std::string>> refs;
    collect_refs(doc, "", refs);
    for (const auto& [where, id] : refs) {
        const auto ref_key = lower(id);
        if (ref_key == key || ctx_.resources.count(ref_key)) continue;
        // Subnets declared inline in this same VNet body.
        if (t == "microsoft.network/virtualnetworks" && ref_key.rfind(key + "/subnets/", 0) == 0) continue;
        return arm_error(400, "InvalidResourceReference", "Resource " + id + " referenced by " + where + " was not found.", where);
    }

    if (t == "microsoft.authorization/roleassignments") {
        // One assignment per (scope, role, principal): a second one under another name is
        // RoleAssignmentExists; an existing one cannot change principal or role (RBAC REST docs).
        const auto scope = key.substr(0, key.find("/providers/microsoft.authorization/roleassignments/"));
        const auto role = lower(str_at(doc, {"properties", "roleDefinitionId"}));
        const auto principal = str_at(doc, {"properties", "principalId"});
        for (const auto& [k, v] : ctx_.resources) {
            if (k == key || k.rfind(scope + "/providers/microsoft.authorization/roleassignments/", 0) != 0) continue;
            const json::value other(v);
            if (lower(str_at(other, {"properties", "roleDefinitionId"})) == role && str_at(other, {"properties", "principalId"}) == principal)
                return arm_error(409, "RoleAssignmentExists", "The role assignment already exists.");
        }
        if (auto it = ctx_.resources.find(key); it != ctx_.resources.end()) {
            const json::value old(it->second);
            if (lower(str_at(old, {"properties", "roleDefinitionId"})) != role || str_at(old, {"properties", "principalId"}) != principal)
                return arm_error(409, "RoleAssignmentUpdateNotPermitted", "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.");
        }
    }
    if (auto failure = check_failure_modes(key, type, body)) return std::move(*failure);

    // Store: the body as sent plus what ARM adds (id, name, type, provisioningState, generated ids).
    const bool existed = ctx_.resources.count(key) > 0;
    object res = body;
    res["id"] = path;
    res["name"] = name;
    res["type"] = type;
    object props = res.contains("properties") && res["properties"].is_object() ? res["properties"].as_object() : object{};
    const bool lro = long_running(type) && ctx_.opt.provision.lro_latency.count() >= 0;
    props["provisioningState"] = lro ? (existed ? "Updating" : "Creating") : "Succeeded";
    const object* old = existed ? &ctx_.resources.at(key) : nullptr;
    const json::value old_doc = old ? json::value(*old) : json::value(nullptr);
    if (t == "microsoft.managedidentity/userassignedidentities") {
        props["principalId"] = guid_of("principal:" + key);
        props["clientId"] = guid_of("client:" + key);
        props["tenantId"] = guid_of("tenant:" + subscription);
    }
    if (t == "microsoft.machinelearningservices/registries" || t == "microsoft.machinelearningservices/workspaces") {
        if (auto* id = res.if_contains("identity"); id && id->is_object() && str_at(*id, {"type"}).find("SystemAssigned") != std::string::npos)
            id->as_object()["principalId"] = guid_of("principal:" + key);
        props["workspaceId"] = old ? str_at(old_doc, {"properties", "workspaceId"}) : guid_of("wsid:" + key + std::to_string(ctx_.resources.size()));
        if (t == "microsoft.machinelearningservices/registries") props.erase("workspaceId");
    }
    if (t == "microsoft.network/virtualnetworks") {
        // Inline subnets become child resources (GET .../subnets/{name} works) and get ids.
        if (auto* subnets = props.if_contains("subnets"); subnets && subnets->is_array())
            for (auto& s : subnets->as_array()) {
                if (!s.is_object()) continue;
                const std::string sn = str_at(s, {"name"});
                const std::string sid = path + "/subnets/" + sn;
                s.as_object()["id"] = sid;
                object child = s.as_object();
                child["type"] = "Microsoft.Network/virtualNetworks/subnets";
                ctx_.store(lower(sid), child);
            }
    }
    if (t == "microsoft.network/privateendpoints") {
        // customDnsConfigs: the FQDNs of the target's sub-resource and the IP the endpoint got in
        // its subnet (privateEndpoint.json CustomDnsConfigPropertiesFormat).
        const json::value p(props);
        const std::string subnet = lower(str_at(p, {"subnet", "id"}));
        auto& conns = props["privateLinkServiceConnections"];
        array dns;
        if (conns.is_array() && !conns.as_array().empty()) {
            auto& conn = conns.as_array()[0];
            const std::string target = str_at(conn, {"properties", "privateLinkServiceId"});
            std::string group;
            if (const auto* g = conn.as_object().at("properties").as_object().if_contains("groupIds"); g && g->is_array() && !g->as_array().empty())
                group = std::string(g->as_array()[0].as_string());
            conn.as_object()["properties"].as_object()["privateLinkServiceConnectionState"] =
                object{{"status", "Approved"}, {"description", "Auto-Approved"}, {"actionsRequired", "None"}};
            const std::string tname = target.substr(target.rfind('/') + 1);
            const std::string region = str_at(doc, {"location"});
            std::vector<std::string> fqdns;
            if (group == "blob" || group == "file" || group == "queue" || group == "table" || group == "dfs") fqdns.push_back(tname + "." + group + ".core.windows.net");
            else if (group == "vault") fqdns.push_back(tname + ".vault.azure.net");
            else if (group == "registry") fqdns = {tname + ".azurecr.io", tname + "." + region + ".data.azurecr.io"};
            else if (group == "amlworkspace") {
                const auto ws = ctx_.resources.find(lower(target));
                const std::string wsid = ws == ctx_.resources.end() ? tname : str_at(json::value(ws->second), {"properties", "workspaceId"});
                fqdns = {wsid + ".workspace." + region + ".api.azureml.ms", wsid + ".workspace." + region + ".cert.api.azureml.ms",
                         "ml-" + tname + "-" + region + "-" + wsid + "." + region + ".notebooks.azure.net"};
            } else if (group == "amlregistry") fqdns = {tname + "." + region + ".api.azureml.ms"};
            // The next free address of the subnet (Azure reserves the first four).
            std::string base = "10.0.0.";
            if (auto sn = ctx_.resources.find(subnet); sn != ctx_.resources.end()) {
                const auto cidr = str_at(json::value(sn->second), {"properties", "addressPrefix"});
                if (const auto dot = cidr.rfind('.'); dot != std::string::npos) base = cidr.substr(0, dot + 1);
            }
            int& host = next_ip_[subnet];
            if (host == 0) host = 4;
            const std::string ip = base + std::to_string(host++);
            for (const auto& f : fqdns) dns.push_back(object{{"fqdn", f}, {"ipAddresses", array{json::value(ip)}}});
        }
        props["customDnsConfigs"] = dns;
        props["networkInterfaces"] = array{object{{"id", path.substr(0, path.find("/providers/")) + "/providers/Microsoft.Network/networkInterfaces/" + name + ".nic"}}};
    }
    res["properties"] = props;
    if (t == "microsoft.network/privateendpoints/privatednszonegroups") write_records(key, key.substr(0, key.find("/privatednszonegroups/")), res);
    if (t == "microsoft.authorization/roleassignments") {
        res["properties"].as_object()["scope"] = path.substr(0, path.find("/providers/Microsoft.Authorization/roleAssignments/"));
        if (!existed) created_at_[key] = clock::now();
    }
    ctx_.store(key, res);
    if (!lro) return json_reply(existed ? 200 : 201, res);
    const auto op = "op" + ctx_.next_id();
    const auto ready = clock::now() + ctx_.opt.provision.lro_latency;
    operations_[op] = {ready, key};
    ready_at_[key] = ready;
    const std::string status_url = ctx_.base() + "/subscriptions/" + subscription + "/providers/amlops.emulator/operations/" + op + "?api-version=" + api_version;
    return json_reply(201, res, {{"Azure-AsyncOperation", status_url},
                            {"retry-after-ms", std::to_string(ctx_.opt.provision.lro_latency.count())}});
}

void provision_routes::write_records(const std::string& group_key, const std::string& pe_key, json::object& group) {
    // A zone group makes Azure write one A record per customDnsConfig FQDN into the matching
    // zone (private endpoint DNS integration docs), and report them in recordSets.
    const auto pe = ctx_.resources.find(pe_key);
    if (pe == ctx_.resources.end()) return;
    const json::value pe_doc(pe->second);
    auto& configs = group["properties"].as_object()["privateDnsZoneConfigs"];
    if (!configs.is_array()) return;
    for (auto& cfg : configs.as_array()) {
        const std::string zone_id = str_at(cfg, {"properties", "privateDnsZoneId"});
        const std::string zone = zone_id.substr(zone_id.rfind('/') + 1);
        const std::string suffix = public_suffix_of_zone(zone);
        array record_sets;
        const auto* dns = pe_doc.as_object().at("properties").as_object().if_contains("customDnsConfigs");
        if (dns && dns->is_array())
            for (const auto& entry : dns->as_array()) {
                const std::string fqdn = str_at(entry, {"fqdn"});
                if (fqdn.size() <= suffix.size() + 1 || !fqdn.ends_with("." + suffix)) continue;
                const std::string record = fqdn.substr(0, fqdn.size() - suffix.size() - 1);
                array a_records;
                array ips;
                for (const auto& ip : entry.as_object().at("ipAddresses").as_array()) {
                    a_records.push_back(object{{"ipv4Address", ip}});
                    ips.push_back(ip);
                }
                const std::string record_id = zone_id + "/A/" + record;
                ctx_.store(lower(record_id), object{{"id", record_id}, {"name", record}, {"type", "Microsoft.Network/privateDnsZones/A"},
                                                    {"properties", object{{"ttl", 10}, {"fqdn", record + "." + zone + "."}, {"aRecords", a_records},
                                                                          {"isAutoRegistered", false}}}});
                record_owner_[lower(record_id)] = group_key;
                record_sets.push_back(object{{"recordType", "A"}, {"recordSetName", record}, {"fqdn", record + "." + zone}, {"ttl", 10},
                                             {"ipAddresses", ips}, {"provisioningState", "Succeeded"}});
            }
        cfg.as_object()["properties"].as_object()["recordSets"] = record_sets;
    }
}

http::response provision_routes::remove(const std::string& key) {
    if (!ctx_.resources.count(key)) return {204, "", {}, ""};
    // Deleting a resource deletes what lives below it (a resource group deletes its resources,
    // a private endpoint its zone group, whose records go with it).
    std::vector<std::string> doomed;
    for (const auto& [k, v] : ctx_.resources)
        if (k == key || k.rfind(key + "/", 0) == 0) doomed.push_back(k);
    for (const auto& [record, owner] : record_owner_)
        for (const auto& d : std::vector<std::string>(doomed))
            if (owner == d) doomed.push_back(record);
    for (const auto& k : doomed) {
        if (ctx_.resources.count(k) && lower(str_at(json::value(ctx_.resources.at(k)), {"type"})) == "microsoft.machinelearningservices/workspaces")
            deleted_at_[k] = clock::now();
        ctx_.erase(k);
        created_at_.erase(k);
        ready_at_.erase(k);
        record_owner_.erase(k);
    }
    return json_reply(200, object{});
}

}  // namespace amlops::emulator::detail
