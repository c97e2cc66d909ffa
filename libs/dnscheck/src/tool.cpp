#include "amlops/dnscheck/tool.hpp"

#include "amlops/cli/vocabulary.hpp"
#include "amlops/core/atomic_file.hpp"

#include <iostream>

namespace amlops::dnscheck {

void describe_flags(cli::option_spec& s, tool_options& o) {
    namespace po = cli::po;
    s.options.add_options()
        ("server", po::value(&o.run.servers)->value_name("IP[:PORT]"), "DNS server to ask (repeatable; default: the nameservers of /etc/resolv.conf)")
        ("expect", po::value(&o.expect)->value_name("FILE"), "YAML/JSON: {names: {FQDN: ADDRESS|[ADDRESS...]}, address_spaces: [CIDR...]} (repeatable)")
        ("platform", po::value(&o.platform)->value_name("FILE"), "aml-provision platform file: its storage, Key Vault and registry names and address spaces")
        ("subscription", po::value(&o.run.azure.subscription)->value_name("ID"), "Azure discovery: subscription of the platform")
        ("resource-group", po::value(&o.run.azure.resource_groups)->value_name("NAME"), "Azure discovery: a resource group holding private endpoints (repeatable)")
        ("address-space", po::value(&o.run.address_spaces)->value_name("CIDR"), "an address space of the platform (repeatable; added to those found)");
    cli::add_ca_file(s, o.ca_file);
    cli::add_bounded(s, "query-timeout-ms", o.timeout_ms, 1, 60'000, "MS", "wait for the first attempt of a query, 1..60000 (each retry waits twice as long; default 1000)");
    cli::add_bounded(s, "retries", o.retries, 0, 10, "N", "attempts after the first, 0..10 (default 1)");
    cli::add_bounded(s, "concurrency", o.concurrency, 1, 4096, "N", "queries in flight at once, 1..4096 (default 256)");
    cli::add_bounded(s, "max-cname-hops", o.max_hops, 1, 64, "N", "CNAME hops followed before giving up, 1..64 (default 16)");
    s.options.add_options()
        ("format", po::value(&o.format)->default_value("table")->value_name("FMT"), "report: table|junit|json (json: only the result on stdout)")
        ("report", po::value(&o.report)->value_name("FILE"), "write the report to FILE instead of stderr (e.g. JUnit for CI)");
}

json::value run_tool(tool_options& o, cli::context& ctx) {
    if (o.format != "table" && o.format != "junit" && o.format != "json")
        throw error(error_kind::usage, "expected table, junit or json, got '" + o.format + "'").on_field("--format");
    for (const auto& f : o.expect) o.run.expect_files.emplace_back(f);
    o.run.platform_file = o.platform;
    o.run.ca_file = cli::ca_file(o.ca_file, ctx.env());
    o.run.timeout = std::chrono::milliseconds(o.timeout_ms);
    o.run.retries = static_cast<int>(o.retries);
    o.run.concurrency = static_cast<std::size_t>(o.concurrency);
    o.run.max_cname_hops = static_cast<int>(o.max_hops);
    const auto report = run_dnscheck(o.run, ctx.log(), ctx.env());

    const std::string text = o.format == "table" ? render_table(report) : o.format == "junit" ? render_junit(report) : "";
    if (!o.report.empty()) {
        write_file_atomic(o.report, text);
        ctx.add_output("report", o.report);
    } else if (!text.empty()) {
        std::cerr << text << std::flush;
    }
    if (report.failures() > 0) ctx.reject();
    return to_json(report);
}

}  // namespace amlops::dnscheck
