// The azureml backend's version management against the emulator (in-memory blob storage):
// archive, deployment records, prune, reuse of identical files, the reject path of
// aml-register, the audit log refusal, and --ca-file.
#include "backend_fixture.hpp"
#include "test_support.hpp"

#include "amlops/core/json.hpp"

#include <catch2/catch.hpp>

using namespace amlops;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

registry::new_version version_in(const fs::path& dir, const std::string& content) { return test::taxi_fare_version(dir, content); }

json::object result_of(const test::run_result& r) {
    INFO(r.out << r.err);
    return json::parse(r.out, "stdout").as_object().at("result").as_object();
}

}  // namespace

TEST_CASE("azureml backend: archive, deployment records, prune and identical-file reuse map to Azure ML") {
    test::backend_fixture f({});
    test::scratch_dir dir("azureml-ops");
    auto reg = f.open();
    for (int i = 1; i <= 4; ++i) REQUIRE(reg->create_version(version_in(dir / ("m" + std::to_string(i)), "model " + std::to_string(i))).version.version == i);

    // Same files again with reuse_identical: the existing version, nothing new.
    auto again = version_in(dir / "m4", "model 4");
    again.reuse_identical = true;
    const auto reused = reg->create_version(again);
    CHECK_FALSE(reused.created);
    CHECK(reused.version.version == 4);

    // Archive: Azure ML's isArchived; hidden from list and latest, still resolvable by number.
    CHECK(reg->set_archived("taxi-fare", 4, true, "tester").archived);
    CHECK(reg->find(registry::model_uri::parse("azureml://registries/dev/models/taxi-fare/labels/latest"))->version == 3);
    CHECK(reg->get(registry::version_uri("dev", "taxi-fare", 4)).archived);
    CHECK_FALSE(reg->set_archived("taxi-fare", 4, false, "tester").archived);
    CHECK(reg->list({std::string("taxi-fare"), {}, false, 0}).size() == 4);
    CHECK(test::error_of([&] { reg->set_archived("taxi-fare", 9, true, "tester"); }).kind() == error_kind::not_found);

    // Deployment records: a new version on the same endpoint/deployment supersedes the old one.
    registry::deployment_record d;
    d.endpoint = "taxi-endpoint";
    d.deployment = "blue";
    d.recorded_by = "tester";
    d.recorded_at = "2026-01-01T00:00:00Z";
    d.details = json::object{{"traffic", 100}};
    reg->record_deployment("taxi-fare", 1, d);
    d.recorded_at = "2026-01-02T00:00:00Z";
    reg->record_deployment("taxi-fare", 2, d);
    const auto records = reg->deployments("taxi-fare", std::nullopt);
    REQUIRE(records.size() == 2);
    CHECK(records[0].version == 1);
    CHECK_FALSE(records[0].active);
    CHECK(records[1].version == 2);
    CHECK(records[1].active);
    CHECK(records[1].details.at("traffic").as_int64() == 100);
    CHECK(reg->deployments("taxi-fare", 2).size() == 1);

    // Prune keeping 1: v4 kept (newest), v2 deployed, v1 aliased; only v3 goes.
    reg->set_alias("taxi-fare", "legacy", 1, "tester");
    const auto dry = reg->prune("taxi-fare", 1, true, "tester");
    CHECK(dry.removed == std::vector<std::int64_t>{3});
    CHECK(reg->find(registry::version_uri("dev", "taxi-fare", 3)).has_value());
    const auto pruned = reg->prune("taxi-fare", 1, false, "tester");
    CHECK(pruned.removed == std::vector<std::int64_t>{3});
    CHECK_THAT(pruned.protected_reasons.at(2), Contains("taxi-endpoint/blue"));
    CHECK_THAT(pruned.protected_reasons.at(1), Contains("legacy"));
    CHECK_FALSE(reg->find(registry::version_uri("dev", "taxi-fare", 3)).has_value());
    CHECK(reg->list({std::string("taxi-fare"), {}, true, 0}).size() == 3);
}

TEST_CASE("aml-register on Azure ML: a rejected model is recorded and skipped, audit is refused with exit 2, --ca-file") {
    test::backend_fixture f({});
    test::scratch_dir dir("azureml-skip");
    const fs::path home = dir / "home";
    test::write_text(home / "config.yaml", f.config_yaml());
    const auto env = f.tool_env(home);
    test::write_text(dir / "model" / "MLmodel", "artifact_path: model\n");
    test::write_text(dir / "gate" / "decision.json", "{\"decision\": \"reject\", \"reasons\": [\"rmse regressed\"]}");

    const auto skip = test::run_tool("aml-register", {"--model", (dir / "model").string(), "--decision", (dir / "gate").string(),
                                                      "--registry", "dev", "--name", "taxi-fare"}, env);
    INFO(skip.out << skip.err);
    REQUIRE(skip.exit_code == 0);
    CHECK_FALSE(result_of(skip).at("registered").as_bool());
    // No version; the skip is kept on the model container, where Azure ML studio shows it.
    auto reg = f.open();
    CHECK(reg->list({}).empty());
    http::pipeline_options p;
    p.credential = f.credential;
    p.scope = f.emu.base_url() + "/.default";
    arm::client_options ao;
    ao.endpoint = f.emu.base_url();
    arm::client arm_client(http::make_pipeline(p, http::make_transport()), ao);
    const auto container = arm_client.get(arm::registry_id("sub-1", "rg-ml", "dev-reg").child("models", "taxi-fare"));
    const std::string skip_tag(container.at("properties").at("tags").at("amlops.event.skip").as_string());
    CHECK_THAT(skip_tag, Contains("rmse regressed"));

    const auto audit = test::run_tool("aml-register", {"audit", "--registry", "dev"}, env);
    CHECK(audit.exit_code == 2);
    CHECK_THAT(audit.err + audit.out, Contains("Activity Log"));

    const auto missing_ca = test::run_tool("aml-register", {"list", "--registry", "dev", "--ca-file", (dir / "nope.pem").string()}, env);
    CHECK(missing_ca.exit_code == 2);
    CHECK_THAT(missing_ca.err + missing_ca.out, Contains("nope.pem"));
    const auto gen = test::run_process({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                                        (dir / "ca.key").string(), "-out", (dir / "ca.pem").string(), "-subj", "/CN=amlops-test-ca", "-days", "1"});
    REQUIRE(gen.exit_code == 0);
    const auto with_ca = test::run_tool("aml-register", {"list", "--registry", "dev", "--ca-file", (dir / "ca.pem").string()}, env);
    INFO(with_ca.out << with_ca.err);
    CHECK(with_ca.exit_code == 0);
    const auto promote_ca = test::run_tool("aml-promote", {"--model", "taxi-fare", "--version", "1", "--ca-file", (dir / "nope.pem").string()}, env);
    CHECK(promote_ca.exit_code == 2);
    CHECK_THAT(promote_ca.err + promote_ca.out, Contains("nope.pem"));
}
