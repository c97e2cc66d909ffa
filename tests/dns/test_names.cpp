#include "test_support.hpp"

#include "amlops/dnscheck/expectations.hpp"
#include "amlops/dnscheck/names.hpp"
#include "amlops/dnscheck/verdict.hpp"

#include <catch2/catch.hpp>

using namespace amlops;
using namespace amlops::dnscheck;
namespace fs = std::filesystem;

TEST_CASE("public and privatelink names map onto each other for every platform service") {
    CHECK(privatelink_name("st.blob.core.windows.net") == "st.privatelink.blob.core.windows.net");
    CHECK(privatelink_name("ST.Blob.Core.Windows.Net.") == "st.privatelink.blob.core.windows.net");
    CHECK(privatelink_name("kv.vault.azure.net") == "kv.privatelink.vaultcore.azure.net");
    CHECK(public_name("kv.privatelink.vaultcore.azure.net") == "kv.vault.azure.net");
    CHECK(privatelink_name("cr.azurecr.io") == "cr.privatelink.azurecr.io");
    CHECK(privatelink_name("cr.canadacentral.data.azurecr.io") == "cr.canadacentral.data.privatelink.azurecr.io");
    CHECK(privatelink_name("id.workspace.canadacentral.api.azureml.ms") == "id.workspace.canadacentral.privatelink.api.azureml.ms");
    CHECK(privatelink_name("id.workspace.canadacentral.cert.api.azureml.ms") == "id.workspace.canadacentral.cert.privatelink.api.azureml.ms");
    CHECK(privatelink_name("ml-w.canadacentral.notebooks.azure.net") == "ml-w.canadacentral.privatelink.notebooks.azure.net");
    CHECK_FALSE(privatelink_name("ci.canadacentral.instances.azureml.ms"));  // that zone has no privatelink form
    CHECK_FALSE(privatelink_name("st.privatelink.blob.core.windows.net"));
    CHECK_FALSE(privatelink_name("example.com"));
    CHECK_FALSE(privatelink_name("blob.core.windows.net"));  // the suffix alone is no service name
    CHECK(counterpart("st.privatelink.file.core.windows.net") == "st.file.core.windows.net");
    CHECK(zone_of("st.queue.core.windows.net")->zone == "privatelink.queue.core.windows.net");
}

TEST_CASE("a plan holds each name once with both forms and the union of addresses") {
    check_plan plan;
    plan.add({"st.blob.core.windows.net", {*dns::ip_address::parse("10.0.0.4")}, "expect-file", std::nullopt});
    plan.add({"st.privatelink.blob.core.windows.net", {*dns::ip_address::parse("10.0.0.5")}, "azure", std::nullopt});
    REQUIRE(plan.names.size() == 2);
    CHECK(plan.names[0].addresses.size() == 2);
    CHECK(plan.names[1].fqdn == "st.privatelink.blob.core.windows.net");
    CHECK(plan.names[1].addresses.size() == 2);
}

TEST_CASE("the platform file gives aml-provision's storage, Key Vault and registry names per environment") {
    // The repository's own platform file, read and named by libs/provision: the names checked
    // are the names provision creates.
    const auto platform = provision::load_platform(fs::path(AMLOPS_SOURCE_DIR) / "infra/platform.yaml");
    const auto plan = platform_names(platform);
    const auto names = provision::derive_names(platform);
    CHECK(plan.names.size() == 2 * 14);
    CHECK(plan.names[0].fqdn == names.envs[0].storage + ".blob.core.windows.net");
    CHECK(plan.names[1].fqdn == names.envs[0].storage + ".privatelink.blob.core.windows.net");
    CHECK(plan.address_spaces.size() == 2);
    const auto has = [&](const std::string& n) {
        return std::any_of(plan.names.begin(), plan.names.end(), [&](const auto& e) { return e.fqdn == n; });
    };
    CHECK(has("stdevcc01.privatelink.blob.core.windows.net"));
    CHECK(has("kvprodcc01.privatelink.vaultcore.azure.net"));
    CHECK(has("acrprodcc01.canadacentral.data.privatelink.azurecr.io"));
    CHECK(has(names.envs[1].container_registry + ".privatelink.azurecr.io"));
}

TEST_CASE("judge: a name without A/AAAA records gets no_address with the zone's hint") {
    expected_name e{"st.blob.core.windows.net", {}, "expect-file", std::nullopt};
    dns::lookup l;
    l.name = e.fqdn;
    l.chain = {"st.privatelink.blob.core.windows.net"};
    l.result = dns::outcome::no_data;
    l.detail = "no A record for st.privatelink.blob.core.windows.net";
    const auto v = judge(e, l, {}, {"10.0.0.4:53", std::chrono::milliseconds(1000), 1});
    CHECK(v.kind == verdict_kind::no_address);
    CHECK(v.hint == "zone privatelink.blob.core.windows.net has no A record for st.privatelink.blob.core.windows.net: "
                    "the private endpoint's DNS zone group is missing or the record was deleted");
    CHECK(chain_text(v) == "st.blob.core.windows.net → st.privatelink.blob.core.windows.net → no A/AAAA");
}

TEST_CASE("judge: ok needs every address private, inside the spaces and expected") {
    const auto a = [](const char* t) { return *dns::ip_address::parse(t); };
    expected_name e{"st.blob.core.windows.net", {a("10.0.0.4")}, "expect-file", std::nullopt};
    dns::lookup l;
    l.name = e.fqdn;
    l.result = dns::outcome::answer;
    l.addresses = {a("10.0.0.4")};
    const check_settings s{"10.0.0.4:53", std::chrono::milliseconds(1000), 1};
    const std::vector<dns::ip_network> spaces{*dns::ip_network::parse("10.0.0.0/16")};
    CHECK(judge(e, l, spaces, s).kind == verdict_kind::ok);
    l.addresses.push_back(a("100.64.0.9"));  // private (RFC 6598) but outside the space
    CHECK(judge(e, l, spaces, s).kind == verdict_kind::wrong_address);
    CHECK(judge(e, l, {}, s).kind == verdict_kind::wrong_address);  // not the endpoint's address
    e.addresses.clear();
    CHECK(judge(e, l, {}, s).kind == verdict_kind::ok);  // any private address will do
    l.addresses.push_back(a("52.1.2.3"));
    CHECK(judge(e, l, spaces, s).kind == verdict_kind::public_answer);  // public wins over the rest
}
