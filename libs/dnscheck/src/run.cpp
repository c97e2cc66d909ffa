#include "amlops/dnscheck/run.hpp"

#include "amlops/arm/connection.hpp"

namespace amlops::dnscheck {

namespace {

// ARM through the standard pipeline and the default credential chain (environment, workload
// identity, GitHub OIDC, managed identity, Azure CLI), endpoints from AZURE_* variables.
arm::connection connect_arm(const run_options& o, logger& log, const env_lookup& env) {
    arm::connection_options co;
    co.env = env;
    co.ca_file = o.ca_file;
    co.log = &log;
    co.tool = "aml-dnscheck";
    return arm::connection(co);
}

}  // namespace

check_report run_dnscheck(const run_options& o, logger& log, const env_lookup& env) {
    const bool azure = !o.azure.subscription.empty() || !o.azure.resource_groups.empty();
    if (o.expect_files.empty() && o.platform_file.empty() && !azure)
        throw error(error_kind::usage, "nothing to check: give --expect FILE, --platform FILE or --subscription with --resource-group");
    if (azure && (o.azure.subscription.empty() || o.azure.resource_groups.empty()))
        throw error(error_kind::usage, "Azure discovery needs both --subscription and at least one --resource-group")
            .on_field(o.azure.subscription.empty() ? "--subscription" : "--resource-group");

    check_plan plan;
    for (const auto& f : o.expect_files) plan.merge(load_expect_file(f));
    if (!o.platform_file.empty()) plan.merge(platform_names(provision::load_platform(o.platform_file)));
    if (azure) {
        auto connection = connect_arm(o, log, env);
        plan.merge(discover_azure(connection.arm(), o.azure, &log));
    }
    for (const auto& text : o.address_spaces) {
        auto net = dns::ip_network::parse(text);
        if (!net) throw error(error_kind::usage, "expected a network like 10.10.0.0/16, got '" + text + "'").on_field("--address-space");
        plan.add_space(*net);
    }
    for (const auto& s : plan.skipped) log.info("skipped " + s);
    if (plan.names.empty()) throw error(error_kind::bad_input, "the sources named no names to check");

    dns::resolver_options ro;
    for (const auto& s : o.servers) ro.servers.push_back(dns::parse_server(s));
    ro.resolv_conf = o.resolv_conf;
    ro.timeout = o.timeout;
    ro.retries = o.retries;
    ro.max_cname_hops = o.max_cname_hops;
    ro.max_in_flight = o.concurrency;
    dns::resolver resolver(ro);
    check_settings settings;
    for (const auto& s : resolver.servers()) settings.server.append(settings.server.empty() ? "" : ",").append(s.str());
    settings.timeout = o.timeout;
    settings.retries = o.retries;
    log.info("checking " + std::to_string(plan.names.size()) + " names against " + settings.server);
    return run_check(plan, resolver, settings);
}

}  // namespace amlops::dnscheck
