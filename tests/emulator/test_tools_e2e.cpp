// aml-register and aml-promote, unchanged, against Azure ML registries served by the emulator
// (config.yaml `backend: azureml`) with Azurite as blob storage, and every third request — ARM,
// token and blob alike (blobs go through the emulator's storage proxy) — answered 429 or 503.
#include "azurite_fixture.hpp"
#include "emulator.hpp"
#include "emulator_clients.hpp"

#include "amlops/core/json.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace amlops;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

const std::string secret = "e2e-Secret-Value-123";

json::object result_of(const test::run_result& r) {
    INFO(r.out << r.err);
    return json::parse(r.out, "stdout").as_object().at("result").as_object();
}

}  // namespace

TEST_CASE("aml-register and aml-promote work against the emulator with faults, no duplicates, no lost bytes") {
    emulator::options eo;
    eo.client_secret = secret;
    eo.storage.endpoint = test::azurite_endpoint();
    eo.storage.through_emulator = true;
    emulator::emulator emu(eo);
    {
        // Provision the resource group and both registries (control plane, no faults yet).
        auto c = test::emulator_arm_client(emu, test::emulator_credential(emu, secret));
        test::provision_registries(c);
    }
    emulator::fault_options faults;
    faults.every_nth = 3;
    faults.statuses = {429, 503};
    emu.set_faults(faults);

    test::scratch_dir dir("emulator-tools");
    const fs::path home = dir / "home";
    const std::string common = "subscription: sub-1, resource_group: rg-ml, arm_endpoint: '" + emu.base_url() +
                               "', authority_host: '" + emu.base_url() + "'";
    test::write_text(home / "config.yaml", "registries:\n  dev: {backend: azureml, registry: dev-reg, " + common +
                                               "}\n  prod: {backend: azureml, registry: prod-reg, " + common + "}\n");
    const std::vector<std::string> env{"AMLOPS_HOME=" + home.string(), "AZURE_TENANT_ID=emulator-tenant", "AZURE_CLIENT_ID=emulator-client",
                                       "AZURE_CLIENT_SECRET=" + secret, "GITHUB_SHA=c0ffee00", "GITHUB_REF_NAME=main"};

    const fs::path model = dir / "model";
    std::string big(300'000, 'x');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 7919) % 26);
    test::write_text(model / "MLmodel", "artifact_path: model\n");
    test::write_text(model / "model.json", big);
    test::write_text(dir / "gate" / "decision.json",
                     "{\"decision\": \"approve\", \"reasons\": [\"ok\"], \"metrics\": {\"candidate\": {\"rmse\": 3.0}}}");

    const auto reg = test::run_tool("aml-register", {"--model", model.string(), "--decision", (dir / "gate").string(), "--registry", "dev",
                                                     "--name", "taxi-fare", "--set-alias", "champion", "--log-level", "debug"}, env);
    INFO(reg.out << reg.err);
    REQUIRE(reg.exit_code == 0);
    CHECK(result_of(reg).at("uri").as_string() == "azureml://registries/dev/models/taxi-fare/versions/1");

    const auto promote = test::run_tool("aml-promote", {"--from", "dev", "--to", "prod", "--model", "taxi-fare", "--alias", "champion",
                                                        "--require-tag", "decision=approve", "--set-alias", "champion",
                                                        "--log-level", "debug"}, env);
    INFO(promote.out << promote.err);
    REQUIRE(promote.exit_code == 0);
    CHECK(result_of(promote).at("uri").as_string() == "azureml://registries/prod/models/taxi-fare/versions/1");
    // Promoting again is idempotent: no second version in prod.
    const auto again = test::run_tool("aml-promote", {"--from", "dev", "--to", "prod", "--model", "taxi-fare", "--version", "1"}, env);
    INFO(again.out << again.err);
    REQUIRE(again.exit_code == 0);
    CHECK_FALSE(result_of(again).at("created").as_bool());

    const auto shown = test::run_tool("aml-register", {"show", "azureml://registries/prod/models/taxi-fare@champion"}, env);
    INFO(shown.out << shown.err);
    REQUIRE(shown.exit_code == 0);
    CHECK(result_of(shown).at("version").as_int64() == 1);

    const auto list = test::run_tool("aml-register", {"list", "--registry", "prod"}, env);
    INFO(list.out << list.err);
    REQUIRE(list.exit_code == 0);
    CHECK(result_of(list).at("count").as_int64() == 1);
    const auto dev_list = test::run_tool("aml-register", {"list", "--registry", "dev"}, env);
    INFO(dev_list.out << dev_list.err);
    REQUIRE(dev_list.exit_code == 0);
    CHECK(result_of(dev_list).at("count").as_int64() == 1);  // no duplicate version despite retries

    const auto dl = test::run_tool("aml-register", {"download", "azureml://registries/prod/models/taxi-fare/versions/1", "--output",
                                                    (dir / "dl").string()}, env);
    INFO(dl.out << dl.err);
    REQUIRE(dl.exit_code == 0);
    CHECK(test::read_text(dir / "dl" / "model.json") == big);
    // No lost artifact: every blob of every pending upload, read back from Azurite, is a
    // byte-identical copy of a model file (or the manifest); both registries hold all files.
    auto storage = http::make_transport();
    int model_copies = 0, mlmodel_copies = 0, manifests = 0;
    for (const auto& sas : emu.container_sas_uris()) {
        for (const auto& [name, bytes] : test::read_container(*storage, sas)) {
            INFO(name);
            if (name == "model.json") model_copies += bytes == big ? 1 : 100;
            else if (name == "MLmodel") mlmodel_copies += bytes == "artifact_path: model\n" ? 1 : 100;
            else if (name == "amlops-manifest.json") ++manifests;
            else FAIL("unexpected blob " << name);
        }
    }
    CHECK(model_copies == 2);  // one in dev, one in prod, both byte-identical
    CHECK(mlmodel_copies == 2);
    CHECK(manifests == 2);

    CHECK(emu.snapshot().faults > 3);
    for (const auto* r : {&reg, &promote, &again, &list, &dl}) {
        CHECK_THAT(r->err + r->out, !Contains(secret));
        CHECK_THAT(r->err + r->out, !Contains("sig="));
    }
}
