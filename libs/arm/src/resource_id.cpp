#include "amlops/arm/resource_id.hpp"

#include "amlops/core/error.hpp"
#include "amlops/http/message.hpp"

namespace amlops::arm {
namespace {

[[noreturn]] void bad_id(std::string_view id, const std::string& why) {
    throw error(error_kind::bad_input, "invalid ARM resource id '" + std::string(id) + "': " + why);
}

std::vector<std::string> split_path(std::string_view id) {
    std::vector<std::string> parts;
    std::size_t pos = 1;
    while (pos <= id.size()) {
        const auto slash = id.find('/', pos);
        const auto end = slash == std::string_view::npos ? id.size() : slash;
        parts.emplace_back(id.substr(pos, end - pos));
        pos = end + 1;
    }
    return parts;
}

}  // namespace

std::string resource_id::str() const {
    std::string out = "/subscriptions/" + subscription;
    if (resource_group.empty()) return out;
    out.append("/resourceGroups/").append(resource_group);
    if (provider.empty()) return out;
    out.append("/providers/").append(provider);
    for (const auto& [type, n] : segments) out.append("/").append(type).append("/").append(n);
    return out;
}

resource_id resource_id::child(std::string type, std::string child_name) const {
    if (provider.empty()) bad_id(str(), "a child resource needs a provider namespace");
    resource_id out = *this;
    out.segments.emplace_back(std::move(type), std::move(child_name));
    return out;
}

resource_id resource_id::parent() const {
    resource_id out = *this;
    if (!out.segments.empty()) {
        out.segments.pop_back();
        if (out.segments.empty()) out.provider.clear();
        return out;
    }
    bad_id(str(), "a resource group or subscription has no parent resource in this client");
}

std::string resource_id::type() const {
    if (resource_group.empty()) return "Microsoft.Resources/subscriptions";
    if (provider.empty()) return "Microsoft.Resources/resourceGroups";
    std::string out = provider;
    for (const auto& segment : segments) out.append("/").append(segment.first);
    return out;
}

const std::string& resource_id::name() const {
    if (!segments.empty()) return segments.back().second;
    return resource_group.empty() ? subscription : resource_group;
}

std::string resource_id::api_version() const {
    if (provider.empty()) return std::string(resource_group_api_version);
    if (http::iequals(provider, ml_namespace)) return std::string(ml_api_version);
    if (http::iequals(provider, "Microsoft.Network")) {
        const bool dns_zone = !segments.empty() && http::iequals(segments.front().first, "privateDnsZones");
        return std::string(dns_zone ? private_dns_api_version : network_api_version);
    }
    throw error(error_kind::config, "no api-version is known for resource type '" + type() + "'");
}

resource_id parse_resource_id(std::string_view id) {
    if (id.empty() || id.front() != '/') bad_id(id, "it must start with '/subscriptions/'");
    if (id.back() == '/') id.remove_suffix(1);
    const auto parts = split_path(id);
    for (const auto& p : parts)
        if (p.empty()) bad_id(id, "empty path segment");
    if (parts.size() < 2 || !http::iequals(parts[0], "subscriptions")) bad_id(id, "it must start with '/subscriptions/{id}'");
    resource_id out;
    out.subscription = parts[1];
    if (parts.size() == 2) return out;
    if (parts.size() < 4 || !http::iequals(parts[2], "resourceGroups")) bad_id(id, "expected 'resourceGroups/{name}' after the subscription");
    out.resource_group = parts[3];
    if (parts.size() == 4) return out;
    if (parts.size() < 5 || !http::iequals(parts[4], "providers") || parts.size() < 6) bad_id(id, "expected 'providers/{namespace}' after the resource group");
    out.provider = parts[5];
    if (parts.size() == 6 || (parts.size() - 6) % 2 != 0) bad_id(id, "expected {type}/{name} pairs after the provider namespace");
    for (std::size_t i = 6; i < parts.size(); i += 2) out.segments.emplace_back(parts[i], parts[i + 1]);
    return out;
}

resource_id resource_group_id(std::string subscription, std::string resource_group) {
    resource_id out;
    out.subscription = std::move(subscription);
    out.resource_group = std::move(resource_group);
    return out;
}

resource_id workspace_id(std::string subscription, std::string resource_group, std::string name) {
    resource_id out = resource_group_id(std::move(subscription), std::move(resource_group));
    out.provider = std::string(ml_namespace);
    out.segments.emplace_back("workspaces", std::move(name));
    return out;
}

resource_id registry_id(std::string subscription, std::string resource_group, std::string name) {
    resource_id out = resource_group_id(std::move(subscription), std::move(resource_group));
    out.provider = std::string(ml_namespace);
    out.segments.emplace_back("registries", std::move(name));
    return out;
}

resource_id model_version_id(const resource_id& parent, std::string model, std::string version) {
    return parent.child("models", std::move(model)).child("versions", std::move(version));
}

}  // namespace amlops::arm
