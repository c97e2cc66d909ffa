#pragma once
// What aml-dnscheck expects: names, the private addresses they should resolve to (when known),
// the platform's address spaces, and — from Azure — the resources behind each name, so a failure's
// hint can name the missing VNet link or DNS zone group by resource id.

#include "amlops/dns/address.hpp"
#include "amlops/provision/platform.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace amlops::dnscheck {

/// The Azure resources behind one name (filled by Azure discovery).
struct azure_context {
    std::string private_endpoint_id;
    std::string vnet_id;          ///< the VNet of the endpoint's subnet
    std::string zone_group_id;    ///< the endpoint's privateDnsZoneGroup; empty when it has none
    std::string zone_id;          ///< the private DNS zone holding this name, when a zone group names it
    std::string record_set;       ///< the record set name in that zone, when listed
    bool zone_links_known = false;
    std::vector<std::string> linked_vnet_ids;  ///< VNets the zone is linked to (virtualNetworkLinks)
    std::vector<std::string> missing_links;    ///< platform VNets (those of its endpoints) the zone is not linked to
};

/// One name to check.
struct expected_name {
    std::string fqdn;                          ///< lower case, no trailing dot
    std::vector<dns::ip_address> addresses;    ///< expected private addresses; empty = any private one
    std::string source;                        ///< "azure", "expect-file", "platform"
    std::optional<azure_context> azure;
};

/// Everything to check.
struct check_plan {
    std::vector<expected_name> names;
    std::vector<dns::ip_network> address_spaces;  ///< empty = only "is private" is checked
    std::vector<std::string> skipped;             ///< names not checkable (wildcards), with why

    /// Adds `name` and its public/privatelink counterpart (same expectation). A name already in
    /// the plan gets the union of the addresses; the first Azure context is kept.
    void add(expected_name name);
    /// Adds an address space unless already present.
    void add_space(const dns::ip_network& space);
    /// add() of every name and space of `other`.
    void merge(const check_plan& other);
};

/// Reads an --expect file, YAML or JSON:
///   {names: {FQDN: ADDRESS | [ADDRESS...] | []}, address_spaces: [CIDR...]}
/// or just the FQDN map. Throws error(bad_input) naming the file, line and field.
check_plan load_expect_file(const std::filesystem::path& path);

/// The private-link names of the platform aml-provision builds from `platform` (infra/platform.yaml,
/// read with provision::load_platform, named with provision::derive_names: one convention, owned
/// by aml-provision): per environment the storage account's blob/file/queue/table, the Key Vault,
/// the container registry and its regional data endpoint, each with its privatelink alias, and the
/// environments' address spaces. Workspace, notebook and registry names contain ids that only
/// Azure knows: use Azure discovery for those.
check_plan platform_names(const provision::platform_config& platform);

}  // namespace amlops::dnscheck
