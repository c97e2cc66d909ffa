// aml-dnscheck: prove from inside the network that every private endpoint name of the platform
// resolves privately, and say exactly why when one does not. Report (table, JUnit or nothing) on
// stderr or in --report FILE, one JSON result on stdout; exit 0 all OK, 3 any failure, 2 bad input.
#include "amlops/cli/tool.hpp"
#include "amlops/core/atomic_file.hpp"
#include "amlops/dnscheck/run.hpp"

#include <iostream>

namespace {

namespace po = amlops::cli::po;
namespace dc = amlops::dnscheck;
using amlops::error;
using amlops::error_kind;

struct options {
    dc::run_options run;
    std::string format = "table", report;
    std::vector<std::string> expect;
    std::string platform;
    long timeout_ms = 1000, retries = 1, concurrency = 256, max_hops = 16;
};

// Numeric flags are checked while parsing, so a bad value is a usage error naming the flag.
template <class T>
po::typed_value<T>* in_range(T* target, T low, T high, const char* flag) {
    return po::value(target)->notifier([=](T v) {
        if (v < low || v > high)
            throw error(error_kind::usage, "must be between " + std::to_string(low) + " and " + std::to_string(high) +
                                               ", got " + std::to_string(v)).on_field(flag);
    });
}

void describe(amlops::cli::option_spec& s, options& o) {
    s.options.add_options()
        ("server", po::value(&o.run.servers)->value_name("IP[:PORT]"), "DNS server to ask (repeatable; default: the nameservers of /etc/resolv.conf)")
        ("expect", po::value(&o.expect)->value_name("FILE"), "YAML/JSON: {names: {FQDN: ADDRESS|[ADDRESS...]}, address_spaces: [CIDR...]} (repeatable)")
        ("platform", po::value(&o.platform)->value_name("FILE"), "aml-provision platform file: its storage, Key Vault and registry names and address spaces")
        ("subscription", po::value(&o.run.azure.subscription)->value_name("ID"), "Azure discovery: subscription of the platform")
        ("resource-group", po::value(&o.run.azure.resource_groups)->value_name("NAME"), "Azure discovery: a resource group holding private endpoints (repeatable)")
        ("address-space", po::value(&o.run.address_spaces)->value_name("CIDR"), "an address space of the platform (repeatable; added to those found)")
        ("ca-file", po::value(&o.run.ca_file)->value_name("FILE"), "PEM CA bundle trusted for Azure (private endpoints) instead of the system store")
        ("timeout", in_range<long>(&o.timeout_ms, 1, 60'000, "--timeout")->default_value(1000)->value_name("MS"), "wait for the first attempt of a query (each retry waits twice as long)")
        ("retries", in_range<long>(&o.retries, 0, 10, "--retries")->default_value(1)->value_name("N"), "attempts after the first")
        ("concurrency", in_range<long>(&o.concurrency, 1, 4096, "--concurrency")->default_value(256)->value_name("N"), "queries in flight at once")
        ("max-cname-hops", in_range<long>(&o.max_hops, 1, 64, "--max-cname-hops")->default_value(16)->value_name("N"), "CNAME hops followed before giving up")
        ("format", po::value(&o.format)->default_value("table")->value_name("FMT"), "report: table|junit|json (json: only the result on stdout)")
        ("report", po::value(&o.report)->value_name("FILE"), "write the report to FILE instead of stderr (e.g. JUnit for CI)");
}

amlops::json::value run(options& o, amlops::cli::context& ctx) {
    if (o.format != "table" && o.format != "junit" && o.format != "json")
        throw error(error_kind::usage, "expected table, junit or json, got '" + o.format + "'").on_field("--format");
    for (const auto& f : o.expect) o.run.expect_files.emplace_back(f);
    o.run.platform_file = o.platform;
    o.run.timeout = std::chrono::milliseconds(o.timeout_ms);
    o.run.retries = static_cast<int>(o.retries);
    o.run.concurrency = static_cast<std::size_t>(o.concurrency);
    o.run.max_cname_hops = static_cast<int>(o.max_hops);
    const auto report = dc::run_dnscheck(o.run, ctx.log(), ctx.env());

    std::string text = o.format == "table" ? dc::render_table(report) : o.format == "junit" ? dc::render_junit(report) : "";
    if (!o.report.empty()) {
        amlops::write_file_atomic(o.report, text);
        ctx.add_output("report", o.report);
    } else if (!text.empty()) {
        std::cerr << text << std::flush;
    }
    if (report.failures() > 0) ctx.reject();
    return dc::to_json(report);
}

}  // namespace

int main(int argc, char** argv) {
    const amlops::cli::tool_info info{
        "aml-dnscheck",
        "Prove that every private endpoint name of the platform resolves privately (CNAME chain, private address, "
        "inside the address spaces, the endpoint's own address), and say why when one does not.",
        "[options] (--expect FILE | --platform FILE | --subscription ID --resource-group NAME...)",
        "Example (from the jumpbox, Azure DNS of the VNet):\n"
        "  aml-dnscheck --subscription $SUB --resource-group rg-aml-ws-dev-cc-01 --server 168.63.129.16\n"
        "Verdicts: ok, public_answer, nxdomain, no_address, wrong_address, servfail, timeout, cname_loop."};
    // Constructed here rather than by run_tool<options>(): GCC 12 reports a false
    // -Wmaybe-uninitialized for the value-initialised nested strings of that template.
    options o;
    return amlops::cli::run_tool(
        argc, argv, info, [&](amlops::cli::option_spec& s) { describe(s, o); },
        [&](amlops::cli::context& ctx) { return run(o, ctx); });
}
