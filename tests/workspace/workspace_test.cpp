#include "amlops/workspace/workspace.hpp"

#include "amlops/core/error.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

namespace reg = amlops::registry;
using amlops::test::read_text;
using amlops::test::scratch_dir;
using amlops::test::write_text;
using Catch::Matchers::Contains;

TEST_CASE("a new workspace gets config.yaml with dev and prod on the local backend") {
    scratch_dir dir("registry-ws");
    reg::workspace ws(dir / "home");
    CHECK(ws.registry_names() == std::vector<std::string>{"dev", "prod"});
    const std::string config = read_text(dir / "home" / "config.yaml");
    CHECK_THAT(config, Contains("dev:"));
    CHECK_THAT(config, Contains("backend: local"));
    CHECK(ws.open("prod")->name() == "prod");

    ws.add_registry("staging", {});
    CHECK(reg::workspace(dir / "home").registry_names() == std::vector<std::string>{"dev", "prod", "staging"});
    try {
        (void)ws.open("qa");
        FAIL("opened an unconfigured registry");
    } catch (const amlops::error& e) {
        CHECK(e.kind() == amlops::error_kind::not_found);
        CHECK_THAT(e.what(), Contains("registry 'qa' is not configured (configured: dev, prod, staging)"));
    }
}

TEST_CASE("config.yaml errors name the file and the key") {
    scratch_dir dir("registry-ws-bad");
    write_text(dir / "a" / "config.yaml", "registries:\n  dev:\n    backend: s3\n    registry_name: contoso\n");
    reg::workspace ws(dir / "a");
    try {
        (void)ws.open("dev");
        FAIL("opened an unknown backend");
    } catch (const amlops::error& e) {
        CHECK(e.kind() == amlops::error_kind::config);
        CHECK_THAT(e.what(), Contains("backend 's3'"));
        CHECK(e.context().field == std::optional<std::string>("registries.dev.backend"));
    }
    // The azureml backend names the missing key (subscription, resource_group, registry|workspace).
    write_text(dir / "a2" / "config.yaml", "registries:\n  dev:\n    backend: azureml\n    registry_name: contoso\n");
    try {
        (void)reg::workspace(dir / "a2").open("dev");
        FAIL("opened an incomplete azureml registry");
    } catch (const amlops::error& e) {
        CHECK(e.kind() == amlops::error_kind::config);
        CHECK_THAT(e.what(), Contains("needs 'subscription'"));
        CHECK(e.context().field == std::optional<std::string>("registries.dev.subscription"));
        CHECK(e.context().file == (dir / "a2" / "config.yaml").string());
    }
    write_text(dir / "b" / "config.yaml", "registries: [dev, prod]\n");
    CHECK_THROWS_WITH(reg::workspace(dir / "b"), Contains("expected a 'registries' mapping"));
    write_text(dir / "c" / "config.yaml", "registries:\n  dev: {backend: local\n");
    CHECK_THROWS_WITH(reg::workspace(dir / "c"), Contains("invalid YAML"));
}

TEST_CASE("the workspace root comes from AMLOPS_HOME or defaults to ./.amlops") {
    auto env_with = [](std::optional<std::string> home) {
        return [home](const std::string& name) -> std::optional<std::string> { return name == "AMLOPS_HOME" ? home : std::nullopt; };
    };
    CHECK(reg::workspace::default_root(env_with("/x/y")) == "/x/y");
    CHECK(reg::workspace::default_root(env_with(std::nullopt)) == ".amlops");
}
