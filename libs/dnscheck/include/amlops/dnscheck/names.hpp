#pragma once
// Azure Private Link DNS names: each service's public name is a CNAME into a privatelink zone,
// e.g. st.blob.core.windows.net → st.privatelink.blob.core.windows.net. Both must resolve
// privately from inside the VNet, so a check of one is a check of both.

#include <optional>
#include <string>
#include <string_view>

namespace amlops::dnscheck {

/// One private-link DNS zone and the public suffix its names mirror.
struct private_link_zone {
    std::string_view public_suffix;  ///< e.g. "blob.core.windows.net", "vault.azure.net"
    std::string_view zone;           ///< e.g. "privatelink.blob.core.windows.net"
    std::string_view service;        ///< short label for reports, e.g. "storage blob"
};

/// The zone a name belongs to (as a public or a privatelink name); nullopt for other names.
std::optional<private_link_zone> zone_of(std::string_view fqdn);
/// The privatelink name of a public name ("st.privatelink.blob.core.windows.net"); nullopt when
/// `fqdn` is already a privatelink name, not a private-link service name, or its zone has no
/// separate privatelink form (instances.azureml.ms).
std::optional<std::string> privatelink_name(std::string_view fqdn);
/// The public name of a privatelink name; nullopt otherwise.
std::optional<std::string> public_name(std::string_view fqdn);
/// The other name of the pair (privatelink for a public name and vice versa), if any.
std::optional<std::string> counterpart(std::string_view fqdn);

}  // namespace amlops::dnscheck
