// Issue 10, Azure ML contract items 1, 2, 3, 6 and 7, against the emulator (which behaves as the
// published specs and SDKs say, sources in emulator.cpp): version numbers with archived
// versions, registry artifacts read through the data-reference SAS, key-based workspace
// datastores through listSecrets, read-only fields kept out of PUT bodies, and PUTs whose
// resource reports a non-terminal provisioningState without a polling header. Each case failed
// on the code before the fix (see the commit message).
#include "workspace_fixture.hpp"
#include "test_support.hpp"

#include "amlops/azureml/blob.hpp"
#include "amlops/core/json.hpp"

#include <catch2/catch.hpp>

using namespace amlops;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

registry::new_version version_in(const fs::path& dir, const std::string& content) { return test::taxi_fare_version(dir, content); }

std::vector<std::int64_t> numbers(const std::vector<registry::model_version>& vs) {
    std::vector<std::int64_t> out;
    for (const auto& v : vs) out.push_back(v.version);
    return out;
}

/// Archived newest version: registration, include-archived listing, deployment records and
/// prune must all see it.
void archived_newest_version(registry::registry& reg, const fs::path& dir) {
    for (int i = 1; i <= 2; ++i) REQUIRE(reg.create_version(version_in(dir / ("m" + std::to_string(i)), "model " + std::to_string(i))).version.version == i);
    registry::deployment_record d;
    d.endpoint = "taxi-endpoint";
    d.deployment = "blue";
    d.recorded_by = "tester";
    reg.record_deployment("taxi-fare", 2, d);
    REQUIRE(reg.set_archived("taxi-fare", 2, true, "tester").archived);

    // The next number is 3, not the archived 2 again.
    CHECK(reg.create_version(version_in(dir / "m3", "model 3")).version.version == 3);
    CHECK(numbers(reg.list({std::string("taxi-fare"), {}, true, 0})) == std::vector<std::int64_t>{3, 2, 1});
    CHECK(numbers(reg.list({std::string("taxi-fare"), {}, false, 0})) == std::vector<std::int64_t>{3, 1});
    const auto deployed = reg.deployments("taxi-fare", std::nullopt);
    REQUIRE(deployed.size() == 1);
    CHECK(deployed[0].version == 2);
    // Prune keeps the newest and the deployed (archived) version 2, removes 1.
    const auto pruned = reg.prune("taxi-fare", 1, true, "tester");
    CHECK(pruned.removed == std::vector<std::int64_t>{1});
    CHECK(pruned.protected_reasons.count(2) == 1);
}

}  // namespace

TEST_CASE("emulator: version lists honour listViewType (default ActiveOnly); containers report nextVersion") {
    test::backend_fixture f({});
    test::scratch_dir dir("contract-listview");
    auto reg = f.open();
    for (int i = 1; i <= 3; ++i) reg->create_version(version_in(dir / ("m" + std::to_string(i)), "model " + std::to_string(i)));
    reg->set_archived("taxi-fare", 3, true, "tester");
    auto c = test::emulator_arm_client(f.emu, f.credential);
    const auto model = arm::registry_id("sub-1", "rg-ml", "dev-reg").child("models", "taxi-fare");
    // Every page of the version list with `view` (empty: the service default), following nextLink.
    auto count = [&](const std::string& view) {
        std::string url = c.url_for(model.str() + "/versions", model.api_version()) + (view.empty() ? "" : "&listViewType=" + view);
        std::size_t n = 0;
        for (int page = 0; page < 20 && !url.empty(); ++page) {
            const auto res = c.send("GET", url);
            if (!res.ok()) throw arm::make_arm_error(res, "GET", "versions");
            const auto doc = json::parse(res.body, "list").as_object();
            n += doc.at("value").as_array().size();
            url = doc.contains("nextLink") ? std::string(doc.at("nextLink").as_string()) : std::string{};
        }
        return n;
    };
    CHECK(count("") == 2);
    CHECK(count("ActiveOnly") == 2);
    CHECK(count("All") == 3);
    CHECK(count("ArchivedOnly") == 1);
    CHECK_THROWS_WITH(count("Everything"), Contains("listViewType"));
    const auto container = c.get(model).at("properties").as_object();
    CHECK(container.at("nextVersion").as_string() == "4");
    CHECK(container.at("latestVersion").as_string() == "3");
}

TEST_CASE("an archived newest version: registry and workspace number the next version past it; archived versions stay visible where they matter") {
    test::scratch_dir dir("contract-archived");
    SECTION("registry") {
        test::backend_fixture f({});
        archived_newest_version(*f.open(), dir / "reg");
    }
    SECTION("workspace") {
        test::workspace_fixture f;
        archived_newest_version(*f.open_workspace(), dir / "ws");
    }
}

TEST_CASE("read-only fields: the emulator refuses them in PUT bodies; aliases and events PUT containers without them") {
    test::backend_fixture f({});
    test::scratch_dir dir("contract-readonly");
    auto reg = f.open();
    reg->create_version(version_in(dir / "m1", "model 1"));
    auto c = test::emulator_arm_client(f.emu, f.credential);
    const auto model = arm::registry_id("sub-1", "rg-ml", "dev-reg").child("models", "taxi-fare");
    for (const char* field : {"nextVersion", "latestVersion", "provisioningState"}) {
        const auto e = test::error_of([&] { c.put(model, json::object{{"properties", json::object{{field, "7"}}}}); });
        CHECK(e.context().http_status == std::optional<int>(400));
        CHECK_THAT(std::string(e.what()), Contains("UserError") && Contains(std::string("properties.") + field) && Contains("read-only"));
    }
    CHECK_THROWS_WITH(c.put(model, json::object{{"properties", json::object{}}, {"systemData", json::object{}}}), Contains("systemData"));
    // The backend's read-modify-write of the container (aliases, events) and of versions.
    CHECK_FALSE(reg->set_alias("taxi-fare", "champion", 1, "tester"));
    CHECK(reg->unset_alias("taxi-fare", "champion", "tester") == 1);
    reg->record_event("skipped", "taxi-fare", "tester", json::object{{"why", "test"}});
    CHECK(reg->set_archived("taxi-fare", 1, true, "tester").archived);
    CHECK(c.get(model).at("properties").at("nextVersion").as_string() == "2");
}

TEST_CASE("long-running PUT without a polling header: the resource is polled until provisioningState is terminal") {
    emulator::options o;
    o.version_put_without_polling_header = true;
    o.lro_polls = 3;
    test::backend_fixture f(o);
    auto c = test::emulator_arm_client(f.emu, f.credential);
    const auto id = arm::model_version_id(arm::registry_id("sub-1", "rg-ml", "dev-reg"), "taxi-fare", "1");
    const auto pending = c.post(id, "startPendingUpload", json::object{{"pendingUploadType", "TemporaryBlobReference"}});
    const auto& ref = pending.at("blobReferenceForConsumption").as_object();
    auto plain = http::make_transport();
    azureml::upload_blob(*plain, azureml::blob_url(std::string(ref.at("credential").at("sasUri").as_string()), "MLmodel"), "artifact_path: model\n");
    const auto before = f.emu.snapshot().requests;
    const auto doc = c.put(id, json::object{{"properties", json::object{{"modelUri", ref.at("blobUri")}, {"modelType", "custom_model"}}}});
    CHECK(doc.at("properties").at("provisioningState").as_string() == "Succeeded");
    CHECK(f.emu.snapshot().requests - before >= 4);  // the PUT and at least three GETs

    SECTION("registry DELETE is 202 + Location, polled to completion") {
        http::request del;
        del.method = "DELETE";
        del.url = c.url_for(id.str(), id.api_version());
        const auto res = c.send("DELETE", del.url);
        CHECK(res.status == 202);
        CHECK(res.headers.get("Location"));
        CHECK(c.find(id));  // still there until the operation completes
        CHECK(c.remove(id));
        CHECK_FALSE(c.find(id));
    }
}

TEST_CASE("registry artifacts are read through the data-reference SAS; registry storage refuses Entra tokens") {
    test::backend_fixture f({});
    test::scratch_dir dir("contract-dataref");
    auto reg = f.open();
    const auto created = reg->create_version(version_in(dir / "m1", "model 1")).version;
    const auto before = f.emu.snapshot().log.size();
    reg->download(created, dir / "dl");
    CHECK(test::read_text(dir / "dl" / "model.json") == "model 1");
    CHECK(reg->verify(created).empty());
    const auto log = f.emu.snapshot().log;
    CHECK(std::count(log.begin() + static_cast<std::ptrdiff_t>(before), log.end(),
                     "POST /subscriptions/sub-1/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/registries/dev-reg/datareferences/taxi-fare/versions/1") >= 1);

    // An Entra token for storage is refused by the registry's storage.
    auto c = test::emulator_arm_client(f.emu, f.credential);
    const auto id = arm::model_version_id(arm::registry_id("sub-1", "rg-ml", "dev-reg"), "taxi-fare", "1");
    const std::string folder(c.get(id).at("properties").at("modelUri").as_string());
    http::pipeline_options po;
    po.credential = f.credential;
    po.scope = "https://storage.azure.com/.default";
    auto storage = http::make_pipeline(po, http::make_transport());
    const auto refused = test::error_of([&] { (void)azureml::download_blob(*storage, azureml::blob_url(folder, "model.json")); });
    CHECK(refused.kind() == error_kind::auth);
    CHECK_THAT(std::string(refused.what()), Contains("AuthorizationPermissionMismatch"));

    // The data reference: read-only SAS, for versions that exist and blobs of this registry.
    const auto dataref = arm::registry_id("sub-1", "rg-ml", "dev-reg").child("datareferences", "taxi-fare").child("versions", "1");
    const auto answer = c.post(dataref, "", json::object{{"assetId", "azureml://registries/dev-reg/models/taxi-fare/versions/1"}, {"blobUri", folder}});
    const std::string sas(answer.at("blobReferenceForConsumption").at("credential").at("sasUri").as_string());
    auto plain = http::make_transport();
    CHECK(azureml::download_blob(*plain, azureml::blob_url(sas, "model.json")) == "model 1");
    CHECK(test::error_of([&] { azureml::upload_blob(*plain, azureml::blob_url(sas, "model.json"), "overwritten"); }).kind() == error_kind::auth);
    CHECK_THROWS_WITH(c.post(dataref, "", json::object{{"blobUri", folder}, {"extra", 1}}), Contains("Unknown property 'extra'"));
    CHECK_THROWS_WITH(c.post(dataref.parent().child("versions", "9"), "", json::object{{"blobUri", folder}}), Contains("was not found"));
    CHECK_THROWS_WITH(c.post(dataref, "", json::object{{"blobUri", "https://elsewhere.example/c"}}), Contains("not in the storage"));
}

TEST_CASE("workspace uploads: key-based workspaceblobstore through listSecrets, identity-based datastores with the storage token") {
    test::workspace_fixture f;
    test::scratch_dir dir("contract-datastores");
    auto c = f.arm();
    const auto ws = arm::workspace_id("sub-1", "rg-ml", "ws-ml");
    // The default datastore is key-based; its key only comes from listSecrets.
    const auto ds = c.get(ws.child("datastores", "workspaceblobstore")).at("properties").as_object();
    CHECK(ds.at("credentials").at("credentialsType").as_string() == "AccountKey");
    CHECK(boost::json::serialize(ds).find(f.emu.workspace_account_key()) == std::string::npos);
    CHECK(c.post(ws.child("datastores", "workspaceblobstore"), "listSecrets", nullptr).at("key").as_string() == f.emu.workspace_account_key());

    auto reg = f.open_workspace();
    const auto v1 = reg->create_version(version_in(dir / "m1", "model 1")).version;
    CHECK(f.emu.blob("emustorage/azureml-blobstore-ws-ml/amlops/taxi-fare/1/model.json") == std::optional<std::string>("model 1"));
    reg->download(v1, dir / "dl1");
    CHECK(test::read_text(dir / "dl1" / "model.json") == "model 1");

    // A storage token is refused by the key-based container; a SAS signed with another key too.
    const std::string url = f.emu.workspace_blob_endpoint() + "/azureml-blobstore-ws-ml/amlops/x";
    http::pipeline_options po;
    po.credential = f.credential;
    po.scope = "https://storage.azure.com/.default";
    auto storage = http::make_pipeline(po, http::make_transport());
    CHECK(test::error_of([&] { azureml::upload_blob(*storage, url, "bytes"); }).kind() == error_kind::auth);
    auto plain = http::make_transport();
    const std::string forged = "sv=2023-11-03&sr=c&sp=racwl&se=2099-01-01T00%3A00%3A00Z&sig=Zm9yZ2VkLXNpZ25hdHVyZQ%3D%3D";
    CHECK(test::error_of([&] { azureml::upload_blob(*plain, url + "?" + forged, "bytes"); }).kind() == error_kind::auth);

    // An identity-based datastore: the storage token.
    f.add_identity_datastore("idstore", "identity-container");
    auto by_identity = f.open_workspace(0, "idstore");
    const auto v2 = by_identity->create_version(version_in(dir / "m2", "model 2")).version;
    CHECK(v2.version == 2);
    CHECK(f.emu.blob("emustorage/identity-container/amlops/taxi-fare/2/model.json") == std::optional<std::string>("model 2"));
    by_identity->download(v2, dir / "dl2");
    CHECK(test::read_text(dir / "dl2" / "model.json") == "model 2");
}
