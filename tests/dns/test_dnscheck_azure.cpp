// aml-dnscheck with Azure discovery (fake ARM + credential chain from the environment) against
// dnsmasq serving the test zone: the hints name the missing VNet link, the missing zone group and
// the stale record's zone by resource id. Exits 77 without dnsmasq.
#include "azure_platform.hpp"
#include "dns_servers.hpp"
#include "test_support.hpp"

#include "amlops/core/json.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace amlops;
using namespace amlops::test;
namespace ap = amlops::test::azure_platform;

TEST_CASE("aml-dnscheck --subscription --resource-group: hints name Azure resources by id") {
    test_zone_servers servers("dnscheck-azure");
    const auto& dns = servers.main;
    fake_arm fake;
    ap::populate(fake);

    const auto r = run_tool("aml-dnscheck", {"--subscription", ap::subscription, "--resource-group", ap::endpoint_rg_name,
                                             "--server", dns.address(), "--query-timeout-ms", "300"},
                            fake.tool_env());
    INFO(r.err);
    REQUIRE(r.exit_code == 3);
    CHECK(r.err.find("test-secret-value") == std::string::npos);
    CHECK(r.out.find("test-secret-value") == std::string::npos);
    const auto doc = json::parse(r.out, "stdout");
    std::map<std::string, json::object> checks;
    for (const auto& c : doc.at("result").at("checks").as_array())
        checks[std::string(c.at("name").as_string())] = c.as_object();
    using namespace zone;
    auto hint = [&](const std::string& name) { return std::string(checks.at(name).at("hint").as_string()); };
    auto verdict = [&](const std::string& name) { return std::string(checks.at(name).at("verdict").as_string()); };

    CHECK(verdict(blob) == "ok");
    CHECK(verdict(vault) == "ok");
    CHECK(std::string(checks.at(blob).at("azure").at("zone").as_string()) == ap::zone_id("privatelink.blob.core.windows.net"));

    CHECK(verdict(file) == "public_answer");
    CHECK(hint(file) == "private DNS zone " + ap::zone_id("privatelink.file.core.windows.net") +
                            " has no virtualNetworkLink to " + ap::dev_vnet +
                            ": link it, then that VNet resolves privatelink.file.core.windows.net privately");

    CHECK(verdict(queue) == "nxdomain");
    CHECK(hint(queue) == "private endpoint " + ap::endpoints + "pe-stdevcc01-queue has no privateDnsZoneGroup, so " +
                             queue_pl + " was never written: add a zone group for privatelink.queue.core.windows.net");

    CHECK(verdict(table) == "wrong_address");
    CHECK(hint(table) == "stale record: update " + table_pl + " in " + ap::zone_id("privatelink.table.core.windows.net") +
                             " to 10.10.1.7 (recreating the endpoint's zone group rewrites it)");
    CHECK(doc.at("result").at("skipped").as_array().size() == 1);
}
