// aml-dnscheck: prove from inside the network that every private endpoint name of the platform
// resolves privately, and say exactly why when one does not. Report (table, JUnit or nothing) on
// stderr or in --report FILE, one JSON result on stdout; exit 0 all OK, 3 any failure, 2 bad input.
// The flags and the run are libs/dnscheck's describe_flags() and run_tool().
#include "amlops/cli/tool.hpp"
#include "amlops/dnscheck/tool.hpp"

int main(int argc, char** argv) {
    namespace dc = amlops::dnscheck;
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
    dc::tool_options o;
    return amlops::cli::run_tool(
        argc, argv, info, [&](amlops::cli::option_spec& s) { dc::describe_flags(s, o); },
        [&](amlops::cli::context& ctx) { return dc::run_tool(o, ctx); });
}
