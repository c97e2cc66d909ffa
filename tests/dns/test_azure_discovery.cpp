// Azure discovery against the fake ARM (spec-shaped responses, see fake_arm.hpp): which names,
// addresses, address spaces and resource ids the plan gets, and which requests were sent.
#include "azure_platform.hpp"
#include "test_support.hpp"

#include "amlops/dnscheck/azure_discovery.hpp"
#include "amlops/http/pipeline.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace amlops;
using namespace amlops::test;
namespace ap = amlops::test::azure_platform;

namespace {

struct fixed_token : http::token_credential {
    http::access_token get_token(const std::string&) override {
        return {"fake-arm-token", std::chrono::system_clock::now() + std::chrono::hours(1)};
    }
    std::string name() const override { return "fixed"; }
};

arm::client client_for(const fake_arm& fake) {
    http::pipeline_options p;
    p.credential = std::make_shared<fixed_token>();
    p.scope = "https://management.azure.com/.default";
    p.retry.max_retries = 0;
    arm::client_options o;
    o.endpoint = fake.endpoint();
    return arm::client(http::make_pipeline(p, http::make_transport()), o);
}

const dnscheck::expected_name& find(const dnscheck::check_plan& plan, const std::string& fqdn) {
    auto it = std::find_if(plan.names.begin(), plan.names.end(), [&](const auto& n) { return n.fqdn == fqdn; });
    REQUIRE(it != plan.names.end());
    return *it;
}

}  // namespace

TEST_CASE("Azure discovery: endpoint names, privatelink names, zone groups, zone links and address spaces") {
    fake_arm fake;
    ap::populate(fake);
    auto client = client_for(fake);
    const auto plan = dnscheck::discover_azure(client, {ap::subscription, {ap::endpoint_rg_name}});
    using namespace zone;

    CHECK(plan.names.size() == 10);  // 5 endpoints × (public + privatelink); the wildcard is skipped
    REQUIRE(plan.skipped.size() == 1);
    CHECK_THAT(plan.skipped[0], Catch::StartsWith("*.0f1e2d3c-0000-4000-8000-000000000001.inference"));
    REQUIRE(plan.address_spaces.size() == 3);
    CHECK(plan.address_spaces[0].str() == "10.10.0.0/16");
    CHECK(plan.address_spaces[2].str() == "10.20.0.0/16");

    const auto& b = find(plan, blob);
    CHECK(b.source == "azure");
    REQUIRE(b.addresses.size() == 1);
    CHECK(b.addresses[0].str() == "10.10.1.4");
    REQUIRE(b.azure);
    CHECK(b.azure->private_endpoint_id == ap::endpoints + "pe-stdevcc01-blob");
    CHECK(b.azure->zone_group_id == ap::endpoints + "pe-stdevcc01-blob/privateDnsZoneGroups/default");
    CHECK(b.azure->zone_id == ap::zone_id("privatelink.blob.core.windows.net"));
    CHECK(b.azure->record_set == "stdevcc01");
    CHECK(b.azure->vnet_id == ap::dev_vnet);
    CHECK(b.azure->missing_links.empty());
    CHECK(find(plan, blob_pl).azure->zone_id == b.azure->zone_id);

    const auto& f = find(plan, file_pl);
    CHECK(f.azure->missing_links == std::vector<std::string>{ap::dev_vnet});

    const auto& q = find(plan, queue);
    CHECK(q.azure->zone_group_id.empty());
    CHECK(q.azure->zone_id.empty());

    CHECK(find(plan, vault).addresses.size() == 2);

    // Every request is a GET with the api-version of its resource type.
    const auto sent = fake.requests();
    CHECK(std::all_of(sent.begin(), sent.end(), [](const std::string& r) {
        return r.rfind("GET ", 0) == 0 && (r.find("api-version=2024-03-01") != std::string::npos ||
                                           r.find("api-version=2024-06-01") != std::string::npos);
    }));
    CHECK(std::count_if(sent.begin(), sent.end(), [](const std::string& r) { return r.find("/virtualNetworkLinks?") != std::string::npos; }) == 4);
}

TEST_CASE("Azure discovery: ARM errors surface with their status and code") {
    fake_arm fake;
    auto client = client_for(fake);
    auto e = error_of([&] { dnscheck::discover_azure(client, {ap::subscription, {"rg-missing"}}); });
    CHECK(e.kind() == error_kind::not_found);
    CHECK(e.context().http_status == 404);
    CHECK(e.context().service_code == "ResourceNotFound");
}

TEST_CASE("Microsoft.Network resource ids carry the api-versions discovery uses") {
    CHECK(arm::parse_resource_id(ap::endpoints + "pe-x").api_version() == "2024-03-01");
    CHECK(arm::parse_resource_id(ap::endpoints + "pe-x/privateDnsZoneGroups/default").api_version() == "2024-03-01");
    CHECK(arm::parse_resource_id(ap::dev_vnet).api_version() == "2024-03-01");
    CHECK(arm::parse_resource_id(ap::zone_id("privatelink.blob.core.windows.net")).api_version() == "2024-06-01");
    CHECK(arm::parse_resource_id(ap::zone_id("privatelink.blob.core.windows.net") + "/virtualNetworkLinks/l").api_version() == "2024-06-01");
}
