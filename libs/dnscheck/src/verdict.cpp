#include "amlops/dnscheck/verdict.hpp"

#include "amlops/dnscheck/names.hpp"

#include <algorithm>

namespace amlops::dnscheck {

std::string_view to_string(verdict_kind k) noexcept {
    switch (k) {
    case verdict_kind::ok: return "ok";
    case verdict_kind::public_answer: return "public_answer";
    case verdict_kind::nxdomain: return "nxdomain";
    case verdict_kind::no_address: return "no_address";
    case verdict_kind::wrong_address: return "wrong_address";
    case verdict_kind::servfail: return "servfail";
    case verdict_kind::timeout: return "timeout";
    case verdict_kind::cname_loop: return "cname_loop";
    }
    return "servfail";
}

std::size_t check_report::failures() const {
    return static_cast<std::size_t>(
        std::count_if(verdicts.begin(), verdicts.end(), [](const verdict& v) { return v.kind != verdict_kind::ok; }));
}

namespace {

std::string join_addresses(const std::vector<dns::ip_address>& as) {
    std::string out;
    for (const auto& a : as) out.append(out.empty() ? "" : ", ").append(a.str());
    return out;
}

std::string join_spaces(const std::vector<dns::ip_network>& ns) {
    std::string out;
    for (const auto& n : ns) out.append(out.empty() ? "" : ", ").append(n.str());
    return out;
}

// The last name of the chain: where the records should be.
const std::string& final_name(const dns::lookup& l) { return l.chain.empty() ? l.name : l.chain.back(); }

// The privatelink zone the name's records belong in, by resource id when Azure told us.
std::string zone_label(const expected_name& e) {
    if (e.azure && !e.azure->zone_id.empty()) return e.azure->zone_id;
    if (auto z = zone_of(e.fqdn)) return std::string(z->zone);
    return "the private DNS zone";
}

// The record's name as the privatelink zone holds it (st.privatelink.blob.core.windows.net).
std::string private_record_name(const expected_name& e) {
    if (auto pl = privatelink_name(e.fqdn)) return *pl;
    return e.fqdn;
}

std::string hint_public(const expected_name& e) {
    const std::string zone = zone_of(e.fqdn) ? std::string(zone_of(e.fqdn)->zone) : "the privatelink zone";
    if (e.azure) {
        const auto& az = *e.azure;
        if (az.zone_group_id.empty())
            return "private endpoint " + az.private_endpoint_id + " has no privateDnsZoneGroup, so no zone holds its record: add one for " + zone;
        if (!az.missing_links.empty())
            return "private DNS zone " + az.zone_id + " has no virtualNetworkLink to " + az.missing_links.front() +
                   (az.missing_links.size() > 1 ? " (and " + std::to_string(az.missing_links.size() - 1) + " more VNet(s))" : "") +
                   ": link it, then that VNet resolves " + zone + " privately";
        if (az.zone_id.empty())
            return "zone group " + az.zone_group_id + " has no config for " + zone + ": add the zone to it";
        return "zone " + az.zone_id + " is linked to " + az.vnet_id +
               ": this client's DNS server does not use it — point it (or its forwarder) at Azure DNS 168.63.129.16 from a linked VNet";
    }
    return "answered from public DNS: private DNS zone " + zone +
           " is not linked to this VNet, or the private endpoint has no DNS zone group writing its record";
}

std::string hint_missing(const expected_name& e, const dns::lookup& l) {
    const std::string record = final_name(l);
    if (e.azure) {
        const auto& az = *e.azure;
        if (az.zone_group_id.empty())
            return "private endpoint " + az.private_endpoint_id + " has no privateDnsZoneGroup, so " + record +
                   " was never written: add a zone group for " + zone_label(e);
        return "zone " + zone_label(e) + " has no A record for " + record + " although zone group " + az.zone_group_id +
               " should write it: recreate the zone group (or add the record)";
    }
    return "zone " + zone_label(e) + " has no A record for " + record +
           ": the private endpoint's DNS zone group is missing or the record was deleted";
}

}  // namespace

verdict judge(const expected_name& expected, const dns::lookup& l, const std::vector<dns::ip_network>& spaces,
              const check_settings& settings) {
    verdict v{expected, l, verdict_kind::ok, {}, {}};
    auto fail = [&](verdict_kind k, std::string reason, std::string hint) {
        v.kind = k;
        v.reason = std::move(reason);
        v.hint = std::move(hint);
        return v;
    };
    const std::string attempts = std::to_string(settings.retries + 1);
    switch (l.result) {
    case dns::outcome::cname_loop:
    case dns::outcome::chain_too_long:
        return fail(verdict_kind::cname_loop, l.detail,
                    "the CNAME of " + (l.chain.size() >= 2 ? l.chain[l.chain.size() - 2] : l.name) +
                        " leads back into the chain: a forwarder or record points the private name back at the public one; fix that CNAME");
    case dns::outcome::timeout:
        return fail(verdict_kind::timeout, l.detail,
                    "no answer from " + settings.server + " after " + attempts + " attempt(s) (the first waited " +
                        std::to_string(settings.timeout.count()) +
                        " ms, each retry twice as long): check the server address, UDP/TCP 53 in the NSGs, and the forwarder's upstream for " +
                        final_name(l));
    case dns::outcome::servfail:
    case dns::outcome::refused:
    case dns::outcome::unreachable:
    case dns::outcome::error:
        return fail(verdict_kind::servfail, l.detail,
                    settings.server + " cannot answer for " + final_name(l) +
                        ": the server or its upstream for that zone is failing (a conditional forwarder to an unreachable resolver?)");
    case dns::outcome::nxdomain:
        return fail(verdict_kind::nxdomain, l.detail, hint_missing(expected, l));
    case dns::outcome::no_data:
        return fail(verdict_kind::no_address, l.detail, hint_missing(expected, l));
    case dns::outcome::answer: break;
    }
    std::vector<dns::ip_address> public_ones, outside, unexpected;
    for (const auto& a : l.addresses) {
        if (!dns::is_private(a)) public_ones.push_back(a);
        else if (!spaces.empty() && std::none_of(spaces.begin(), spaces.end(), [&](const dns::ip_network& n) { return n.contains(a); }))
            outside.push_back(a);
        else if (!expected.addresses.empty() &&
                 std::find(expected.addresses.begin(), expected.addresses.end(), a) == expected.addresses.end())
            unexpected.push_back(a);
    }
    if (!public_ones.empty())
        return fail(verdict_kind::public_answer, "public address " + join_addresses(public_ones), hint_public(expected));
    if (!outside.empty())
        return fail(verdict_kind::wrong_address,
                    join_addresses(outside) + " is outside the platform's address spaces (" + join_spaces(spaces) + ")",
                    "the record for " + final_name(l) + " in " + zone_label(expected) +
                        " points into another network: a stale record or a zone shared with another platform");
    if (!unexpected.empty())
        return fail(verdict_kind::wrong_address,
                    join_addresses(unexpected) + " is not the endpoint's address (" + join_addresses(expected.addresses) + ")",
                    "stale record: update " + private_record_name(expected) + " in " + zone_label(expected) + " to " +
                        join_addresses(expected.addresses) +
                        (expected.azure ? " (recreating the endpoint's zone group rewrites it)" : ""));
    return v;
}

check_report run_check(const check_plan& plan, dns::resolver& resolver, const check_settings& settings) {
    check_report report;
    report.settings = settings;
    report.address_spaces = plan.address_spaces;
    report.skipped = plan.skipped;
    std::vector<std::string> names;
    names.reserve(plan.names.size());
    for (const auto& n : plan.names) names.push_back(n.fqdn);
    const auto started = std::chrono::steady_clock::now();
    const auto lookups = resolver.resolve(names);
    report.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
    report.verdicts.reserve(lookups.size());
    for (std::size_t i = 0; i < lookups.size(); ++i)
        report.verdicts.push_back(judge(plan.names[i], lookups[i], plan.address_spaces, settings));
    return report;
}

}  // namespace amlops::dnscheck
