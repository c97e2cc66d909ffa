// Registering into an Azure ML *workspace* (config.yaml `workspace: <ws>`) against the emulator:
// artifacts go to `amlops/<model>/<version>/` of the workspace datastore — the key-based
// `workspaceblobstore` through a SAS signed with the key listSecrets hands out, an
// identity-based datastore with a storage-scoped Entra token — the version's modelUri is the
// azureml:// datastore URI, and show / download / promote read it back.
#include "workspace_fixture.hpp"
#include "test_support.hpp"

#include "amlops/azureml/blob.hpp"
#include "amlops/core/json.hpp"

#include <catch2/catch.hpp>

using namespace amlops;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

const std::string ws_container = "emustorage/azureml-blobstore-ws-ml/";
const std::string datastore_uri = "azureml://subscriptions/sub-1/resourcegroups/rg-ml/workspaces/ws-ml/datastores/workspaceblobstore/paths/";

std::string patterned(std::size_t size) {
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 7919 + 13) % 251);
    return s;
}

json::object result_of(const test::run_result& r) {
    INFO(r.out << r.err);
    return json::parse(r.out, "stdout").as_object().at("result").as_object();
}

}  // namespace

TEST_CASE("azureml backend: a workspace version is uploaded to the key-based workspaceblobstore with an account-key SAS") {
    test::workspace_fixture f;
    test::scratch_dir dir("azureml-ws");
    const std::string big = patterned(5000);  // above the 1 KiB block size below: Put Block + Put Block List
    test::write_text(dir / "m1" / "MLmodel", "artifact_path: model\n");
    test::write_text(dir / "m1" / "data" / "model.xgb", big);
    auto reg = f.open_workspace(1024);
    registry::new_version v;
    v.name = "taxi-fare";
    v.artifacts_dir = dir / "m1";
    v.created_by = "tester";
    v.type = "mlflow_model";
    v.reuse_identical = true;
    const auto first = reg->create_version(v);
    REQUIRE(first.created);
    CHECK(first.version.version == 1);

    // Every blob, read back from the emulator's store, byte for byte; plus the manifest.
    CHECK(f.emu.blob(ws_container + "amlops/taxi-fare/1/MLmodel") == std::optional<std::string>("artifact_path: model\n"));
    CHECK(f.emu.blob(ws_container + "amlops/taxi-fare/1/data/model.xgb") == std::optional<std::string>(big));
    const auto manifest = f.emu.blob(ws_container + "amlops/taxi-fare/1/amlops-manifest.json");
    REQUIRE(manifest);
    CHECK(registry::manifest::parse(*manifest, "manifest").sha256() == first.version.manifest_sha256);
    CHECK(f.model_uri("taxi-fare", 1) == datastore_uri + "amlops/taxi-fare/1/");

    // show / download / verify resolve the datastore URI.
    const auto shown = reg->get(registry::version_uri("ws", "taxi-fare", 1));
    CHECK(shown.manifest_sha256 == first.version.manifest_sha256);
    CHECK(shown.created_by == "tester");
    CHECK(reg->read_manifest(shown).files.size() == 2);
    reg->download(shown, dir / "dl");
    CHECK(test::read_text(dir / "dl" / "data" / "model.xgb") == big);
    CHECK(test::read_text(dir / "dl" / "MLmodel") == "artifact_path: model\n");
    CHECK(reg->verify(shown).empty());

    // Identical files: the existing version, nothing uploaded; changed files: version 2 in its own folder.
    const auto blobs_before = f.emu.blob_names().size();
    const auto again = reg->create_version(v);
    CHECK_FALSE(again.created);
    CHECK(again.version.version == 1);
    CHECK(f.emu.blob_names().size() == blobs_before);
    test::write_text(dir / "m1" / "MLmodel", "artifact_path: model\nflavors: {}\n");
    const auto second = reg->create_version(v);
    CHECK(second.created);
    CHECK(second.version.version == 2);
    CHECK(f.model_uri("taxi-fare", 2) == datastore_uri + "amlops/taxi-fare/2/");
    CHECK(f.emu.blob(ws_container + "amlops/taxi-fare/2/MLmodel") == std::optional<std::string>("artifact_path: model\nflavors: {}\n"));
    CHECK(f.emu.blob(ws_container + "amlops/taxi-fare/1/MLmodel") == std::optional<std::string>("artifact_path: model\n"));
    CHECK(reg->list({std::string("taxi-fare"), {}, false, 0}).size() == 2);

    // The downloaded folder is the same model: registered in a registry, the same manifest.
    auto dev = f.open();
    registry::new_version p;
    p.name = "taxi-fare";
    p.artifacts_dir = dir / "dl";
    p.created_by = "tester";
    CHECK(dev->create_version(p).version.manifest_sha256 == first.version.manifest_sha256);
}

TEST_CASE("azureml target: datastore settings of a workspace, refused for a registry") {
    const std::map<std::string, std::string> ws{{"subscription", "s"}, {"resource_group", "g"}, {"workspace", "w"}};
    CHECK(azureml::target::from_settings("ws", ws).datastore == "workspaceblobstore");
    auto custom = ws;
    custom["datastore"] = "models";
    custom["blob_endpoint"] = "https://pe.example/acct";
    const auto t = azureml::target::from_settings("ws", custom);
    CHECK(t.datastore == "models");
    CHECK(t.blob_endpoint == "https://pe.example/acct");
    const auto e = test::error_of([] {
        azureml::target::from_settings("dev", {{"subscription", "s"}, {"resource_group", "g"}, {"registry", "r"}, {"datastore", "x"}});
    });
    CHECK(e.kind() == error_kind::config);
    CHECK_THAT(std::string(e.what()), Contains("workspaces only"));
}

TEST_CASE("identity-based datastore: blob requests without a storage-scoped token are refused with a clear error") {
    test::workspace_fixture f;
    f.add_identity_datastore("idstore", "identity-container");
    const std::string url = f.emu.workspace_blob_endpoint() + "/identity-container/amlops/x/1/MLmodel";
    // No token at all.
    auto plain = http::make_transport();
    const auto missing = test::error_of([&] { azureml::upload_blob(*plain, url, "bytes"); });
    CHECK(missing.kind() == error_kind::auth);
    CHECK_THAT(std::string(missing.what()), Contains("Put Blob") && Contains("HTTP 403") && Contains("AuthenticationFailed") &&
                                                Contains("identity-container/amlops/x/1/MLmodel"));
    // A token for ARM is not one for storage.
    auto arm_scoped = test::emulator_pipeline(f.emu, f.credential);
    CHECK(test::error_of([&] { azureml::upload_blob(*arm_scoped, url, "bytes"); }).kind() == error_kind::auth);
    CHECK(test::error_of([&] { (void)azureml::download_blob(*arm_scoped, url); }).kind() == error_kind::auth);
    CHECK(f.emu.blob_names().empty());

    // The storage scope works.
    http::pipeline_options po;
    po.credential = f.credential;
    po.scope = "https://storage.azure.com/.default";
    auto storage = http::make_pipeline(po, http::make_transport());
    azureml::upload_blob(*storage, url, "bytes");
    CHECK(azureml::download_blob(*storage, url) == "bytes");
}

TEST_CASE("emulator: a workspace version's datastore modelUri must name this workspace's datastore and uploaded blobs") {
    test::workspace_fixture f;
    auto c = f.arm();
    const auto ws = arm::workspace_id("sub-1", "rg-ml", "ws-ml");
    const auto ds = c.get(ws.child("datastores", "workspaceblobstore")).at("properties").as_object();
    CHECK(ds.at("accountName").as_string() == "emustorage");
    CHECK(ds.at("containerName").as_string() == "azureml-blobstore-ws-ml");
    CHECK(ds.at("endpoint").as_string() == "core.windows.net");
    auto body = [](const std::string& uri) { return json::object{{"properties", json::object{{"modelUri", uri}, {"modelType", "custom_model"}}}}; };
    CHECK_THROWS_WITH(c.put(arm::model_version_id(ws, "m", "1"), body(datastore_uri + "nothing/here/")), Contains("without blobs"));
    CHECK_THROWS_WITH(c.put(arm::model_version_id(ws, "m", "1"),
                            body("azureml://subscriptions/sub-1/resourcegroups/rg-ml/workspaces/ws-ml/datastores/nope/paths/a/")),
                      Contains("'nope', which does not exist"));
    CHECK_THROWS_WITH(c.put(arm::model_version_id(ws, "m", "1"),
                            body("azureml://subscriptions/sub-1/resourcegroups/rg-ml/workspaces/other/datastores/workspaceblobstore/paths/a/")),
                      Contains("another workspace"));
    // A datastore of one's own (PUT) is usable by name.
    c.put(ws.child("datastores", "models"), json::object{{"properties", json::object{{"datastoreType", "AzureBlob"}, {"accountName", "emustorage"},
                                                                                      {"containerName", "models"},
                                                                                      {"credentials", json::object{{"credentialsType", "None"}}}}}});
    CHECK(c.get(ws.child("datastores", "models")).at("properties").at("containerName").as_string() == "models");
}

TEST_CASE("aml-register registers into an Azure ML workspace configured in config.yaml, and aml-promote reads it") {
    test::workspace_fixture f;
    test::scratch_dir dir("azureml-ws-tool");
    const fs::path home = dir / "home";
    test::write_text(home / "config.yaml", f.config_yaml() + "  ws: {backend: azureml, workspace: ws-ml, subscription: sub-1, resource_group: rg-ml, arm_endpoint: '" +
                                               f.emu.base_url() + "', authority_host: '" + f.emu.base_url() + "', datastore: workspaceblobstore, blob_endpoint: '" +
                                               f.emu.workspace_blob_endpoint() + "'}\n");
    const auto env = f.tool_env(home);
    const std::string big = patterned(300'000);
    test::write_text(dir / "model" / "MLmodel", "artifact_path: model\n");
    test::write_text(dir / "model" / "model.json", big);
    test::write_text(dir / "gate" / "decision.json", "{\"decision\": \"approve\", \"reasons\": [\"ok\"], \"metrics\": {\"candidate\": {\"rmse\": 3.0}}}");

    const auto reg = test::run_tool("aml-register", {"--model", (dir / "model").string(), "--decision", (dir / "gate").string(), "--registry", "ws",
                                                     "--name", "taxi-fare", "--set-alias", "champion"}, env);
    INFO(reg.out << reg.err);
    REQUIRE(reg.exit_code == 0);
    CHECK(result_of(reg).at("uri").as_string() == "azureml://registries/ws/models/taxi-fare/versions/1");
    CHECK(f.emu.blob(ws_container + "amlops/taxi-fare/1/model.json") == std::optional<std::string>(big));
    CHECK(f.model_uri("taxi-fare", 1) == datastore_uri + "amlops/taxi-fare/1/");

    const auto dl = test::run_tool("aml-register", {"download", "azureml://registries/ws/models/taxi-fare@champion", "--output", (dir / "dl").string()}, env);
    INFO(dl.out << dl.err);
    REQUIRE(dl.exit_code == 0);
    CHECK(test::read_text(dir / "dl" / "model.json") == big);

    const auto promote = test::run_tool("aml-promote", {"--from", "ws", "--to", "prod", "--model", "taxi-fare", "--version", "1"}, env);
    INFO(promote.out << promote.err);
    REQUIRE(promote.exit_code == 0);
    CHECK(result_of(promote).at("uri").as_string() == "azureml://registries/prod/models/taxi-fare/versions/1");
}
