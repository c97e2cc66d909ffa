// aml-dnscheck end to end against dnsmasq serving the test zone (test_zone.hpp): every verdict with
// its hint, the JSON result, the JUnit report and the exit codes. Exits 77 without dnsmasq.
#include "dns_servers.hpp"
#include "test_support.hpp"
#include "test_zone.hpp"

#include "amlops/core/json.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

using namespace amlops;
using namespace amlops::test;

namespace {


std::string expect_file_text() {
    using namespace zone;
    return "address_spaces: [10.10.0.0/16, 'fd10:10::/48']\n"
           "names:\n"
           "  " + blob + ": 10.10.1.4\n"
           "  " + vault + ": [10.10.1.5, 'fd10:10::5']\n"
           "  " + acr + ": []\n"
           "  " + file + ": 10.10.1.6\n"
           "  " + queue + ": 10.10.1.8\n"
           "  " + table + ": 10.10.1.7\n"
           "  " + dfs + ": []\n"
           "  " + workspace + ": 10.10.1.10\n"
           "  " + notebooks + ": 10.10.1.11\n"
           "  " + instance + ": 10.10.1.12\n";
}

struct check_view {
    std::string verdict, hint, reason, transport;
    json::array chain, addresses;
};

std::map<std::string, check_view> checks_of(const json::value& doc) {
    std::map<std::string, check_view> out;
    for (const auto& c : doc.at("result").at("checks").as_array()) {
        const auto& o = c.as_object();
        check_view v;
        v.verdict = std::string(o.at("verdict").as_string());
        if (o.contains("hint")) v.hint = std::string(o.at("hint").as_string());
        if (o.contains("reason")) v.reason = std::string(o.at("reason").as_string());
        v.transport = std::string(o.at("transport").as_string());
        v.chain = o.at("chain").as_array();
        v.addresses = o.at("addresses").as_array();
        out[std::string(o.at("name").as_string())] = v;
    }
    return out;
}

}  // namespace

TEST_CASE("aml-dnscheck gives each name of the test zone its verdict, chain and hint") {
    test_zone_servers servers("dnscheck-tool");
    write_text(servers.dir / "expect.yaml", expect_file_text());
    const auto r = run_tool("aml-dnscheck", {"--expect", (servers.dir / "expect.yaml").string(), "--server",
                                             servers.main.address(), "--query-timeout-ms", "300", "--retries", "1"});
    INFO(r.err);
    REQUIRE(r.exit_code == 3);
    const auto doc = json::parse(r.out, "stdout");
    CHECK(doc.at("status") == "rejected");
    auto checks = checks_of(doc);
    using namespace zone;
    REQUIRE(checks.size() == 19);  // 10 names, 9 with a privatelink counterpart (instances has none)

    CHECK(checks[blob].verdict == "ok");
    CHECK(checks[blob].chain == json::array{json::value(blob_pl)});
    CHECK(checks[blob_pl].verdict == "ok");
    CHECK(checks[vault].verdict == "ok");
    CHECK(checks[vault].addresses == json::array{json::value("10.10.1.5"), json::value("fd10:10::5")});
    CHECK(checks[acr].verdict == "ok");
    CHECK(checks[acr].transport == "tcp");
    CHECK(checks[acr].addresses.size() == 60);

    CHECK(checks[file].verdict == "public_answer");
    CHECK(checks[file].reason == "public address 20.60.1.1");
    CHECK(checks[file].hint == "answered from public DNS: private DNS zone privatelink.file.core.windows.net is not linked to "
                               "this VNet, or the private endpoint has no DNS zone group writing its record");
    CHECK(checks[file_pl].verdict == "public_answer");

    CHECK(checks[queue].verdict == "nxdomain");
    CHECK(checks[queue].hint == "zone privatelink.queue.core.windows.net has no A record for " + queue_pl +
                                    ": the private endpoint's DNS zone group is missing or the record was deleted");
    CHECK(checks[queue_pl].verdict == "nxdomain");

    CHECK(checks[table].verdict == "wrong_address");
    CHECK(checks[table].reason == "10.10.1.99 is not the endpoint's address (10.10.1.7)");
    CHECK(checks[table].hint == "stale record: update " + table_pl + " in privatelink.table.core.windows.net to 10.10.1.7");

    CHECK(checks[dfs].verdict == "wrong_address");
    CHECK(checks[dfs].reason == "192.168.50.4 is outside the platform's address spaces (10.10.0.0/16, fd10:10::/48)");
    CHECK_THAT(checks[dfs].hint, Catch::Contains("points into another network"));

    CHECK(checks[workspace].verdict == "cname_loop");
    CHECK(checks[workspace].chain == json::array{json::value(workspace_pl), json::value(workspace)});
    CHECK(checks[workspace].hint == "the CNAME of " + workspace_pl +
                                        " leads back into the chain: a forwarder or record points the private name back at the public one; fix that CNAME");
    CHECK(checks[workspace_pl].verdict == "cname_loop");

    CHECK(checks[notebooks].verdict == "servfail");
    CHECK(checks[notebooks].reason == "SERVFAIL for " + notebooks_pl);
    CHECK(checks[notebooks].hint == servers.main.address() + " cannot answer for " + notebooks_pl +
                                        ": the server or its upstream for that zone is failing (a conditional forwarder to an unreachable resolver?)");

    CHECK(checks[instance].verdict == "timeout");
    CHECK(checks[instance].hint == "no answer from " + servers.main.address() + " after 2 attempt(s) (the first waited 300 ms, "
                                       "each retry twice as long): check the server address, UDP/TCP 53 in the NSGs, and the "
                                       "forwarder's upstream for " + instance);

    const auto& counts = doc.at("result").at("verdicts").as_object();
    CHECK(counts.at("ok").as_int64() == 6);
    CHECK(counts.at("public_answer").as_int64() == 2);
    CHECK(counts.at("nxdomain").as_int64() == 2);
    CHECK(counts.at("wrong_address").as_int64() == 4);
    CHECK(counts.at("cname_loop").as_int64() == 2);
    CHECK(counts.at("servfail").as_int64() == 2);
    CHECK(counts.at("timeout").as_int64() == 1);

    // The table on stderr shows the chain and the hint.
    CHECK_THAT(r.err, Catch::Contains("PUBLIC          " + file));
    CHECK_THAT(r.err, Catch::Contains(file_pl + " → file.bn9prdstr01a.store.core.windows.net → 20.60.1.1"));
    CHECK_THAT(r.err, Catch::Contains("CNAME LOOP"));
    CHECK_THAT(r.err, Catch::Contains("19 names, 6 ok, 13 failed"));
}

TEST_CASE("aml-dnscheck exits 0 when every name is private and writes JUnit for CI") {
    test_zone_servers servers("dnscheck-tool");
    using namespace zone;
    write_text(servers.dir / "ok.json", "{\"names\": {\"" + blob + "\": \"10.10.1.4\", \"" + acr + "\": []},"
                                        " \"address_spaces\": [\"10.10.0.0/16\"]}");
    const auto report = servers.dir / "junit.xml";
    const auto r = run_tool("aml-dnscheck", {"--expect", (servers.dir / "ok.json").string(), "--server", servers.main.address(),
                                             "--format", "junit", "--report", report.string()});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    const auto doc = json::parse(r.out, "stdout");
    CHECK(doc.at("status") == "ok");
    CHECK(doc.at("result").at("ok").as_int64() == 4);
    const auto xml = read_text(report);
    CHECK_THAT(xml, Catch::Contains("<testsuite name=\"aml-dnscheck\" tests=\"4\" failures=\"0\""));
    CHECK_THAT(xml, Catch::Contains("name=\"" + acr_pl + "\""));

    // A failing name becomes a <failure> with its type, chain and hint.
    write_text(servers.dir / "bad.yaml", queue + ": 10.10.1.8\n");
    const auto bad = run_tool("aml-dnscheck", {"--expect", (servers.dir / "bad.yaml").string(), "--server", servers.main.address(),
                                               "--format", "junit", "--report", report.string()});
    CHECK(bad.exit_code == 3);
    const auto failed = read_text(report);
    CHECK_THAT(failed, Catch::Contains("failures=\"2\""));
    CHECK_THAT(failed, Catch::Contains("<failure type=\"nxdomain\" message=\"NXDOMAIN for " + queue_pl + "\">"));
}

TEST_CASE("aml-dnscheck rejects bad input with exit 2 naming the file, line and field") {
    scratch_dir dir("dnscheck-bad");
    auto error_of_run = [&](const std::vector<std::string>& args) {
        const auto r = run_tool("aml-dnscheck", args);
        INFO(r.err);
        CHECK(r.exit_code == 2);
        return json::parse(r.out, "stdout").at("error").as_object();
    };
    CHECK(error_of_run({"--query-timeout-ms", "0", "--expect", "x"}).at("field") == "--query-timeout-ms");
    CHECK(error_of_run({"--concurrency", "-1", "--expect", "x"}).at("field") == "--concurrency");
    CHECK(error_of_run({"--max-cname-hops", "65", "--expect", "x"}).at("field") == "--max-cname-hops");
    CHECK(error_of_run({"--ca-file", (dir / "no-such-ca.pem").string(), "--expect", "x"}).at("field") == "--ca-file");
    CHECK(error_of_run({"--server", "dns.example", "--expect", "x"}).at("kind") == "not_found");  // the file is read first
    write_text(dir / "e.yaml", "a.blob.core.windows.net: 10.0.0.1\n");
    CHECK(error_of_run({"--server", "dns.example", "--expect", (dir / "e.yaml").string()}).at("field") == "--server");
    CHECK(error_of_run({"--format", "xml", "--expect", (dir / "e.yaml").string()}).at("field") == "--format");
    CHECK(error_of_run({}).at("kind") == "usage");
    CHECK(error_of_run({"--subscription", "s"}).at("field") == "--resource-group");

    write_text(dir / "public.yaml", "names:\n  a.blob.core.windows.net: 10.0.0.1\n  b.blob.core.windows.net: 20.60.1.1\n");
    auto e = error_of_run({"--expect", (dir / "public.yaml").string()});
    CHECK(e.at("line").as_int64() == 3);
    CHECK(e.at("field") == "names.b.blob.core.windows.net");
    CHECK_THAT(std::string(e.at("message").as_string()), Catch::Contains("not a private address"));

    write_text(dir / "syntax.yaml", "names: {a.blob.core.windows.net: [10.0.0.1\n");
    e = error_of_run({"--expect", (dir / "syntax.yaml").string()});
    CHECK(e.at("kind") == "bad_input");
    CHECK(e.contains("line"));

    // The repository's platform file with one bad CIDR: aml-provision's parser names it.
    std::string platform = read_text(std::filesystem::path(AMLOPS_SOURCE_DIR) / "infra/platform.yaml");
    const auto at = platform.find("10.1.0.0/16");
    REQUIRE(at != std::string::npos);
    const auto line = 1 + std::count(platform.begin(), platform.begin() + static_cast<std::ptrdiff_t>(at), '\n');
    platform.replace(at, 11, "10.1.0.0/33");
    write_text(dir / "platform.yaml", platform);
    e = error_of_run({"--platform", (dir / "platform.yaml").string()});
    CHECK(e.at("line").as_int64() == line);
    CHECK(e.at("field") == "environments.dev.address_space");
}
