// Backend factories: the workspace opens registries only through its catalog, hands each factory
// the caller's surroundings, and checks a --ca-file before any backend is used.
#include "amlops/workspace/workspace.hpp"

#include "amlops/core/error.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

namespace reg = amlops::registry;
using amlops::test::scratch_dir;
using amlops::test::write_text;
using Catch::Matchers::Contains;

namespace {

// A transport that answers nothing; tests only compare its address.
struct silent_transport final : amlops::http::transport {
    amlops::http::response send(const amlops::http::request&) override {
        throw amlops::error(amlops::error_kind::network, "silent transport");
    }
};

}  // namespace

TEST_CASE("registries open through the catalog's factories with the caller's surroundings") {
    scratch_dir dir("workspace-backends");
    write_text(dir / "ws" / "config.yaml", "registries:\n  dev: {backend: fake, region: north}\n  prod: {backend: local}\n");
    reg::backend_surroundings with;
    with.env = [](const std::string& name) -> std::optional<std::string> {
        return name == "FAKE_ENDPOINT" ? std::optional<std::string>("https://fake.test") : std::nullopt;
    };
    with.transport = std::make_shared<silent_transport>();
    const auto transport = with.transport;

    reg::backend_catalog catalog;
    std::vector<std::string> seen;
    catalog.add("fake", [&](const reg::backend_request& r) -> std::unique_ptr<reg::registry> {
        seen.push_back(r.name + " " + r.config.settings.at("region") + " " + r.with.env("FAKE_ENDPOINT").value_or("-") +
                       (r.with.transport == transport ? " same-transport" : " other-transport") + " " + r.config_file.filename().string());
        return reg::open_local_registry(r.name, r.root / "fake" / r.name, r.root / "artifacts", r.local);
    });
    reg::workspace ws(dir / "ws", {}, with, catalog);
    CHECK(ws.open("dev")->name() == "dev");
    CHECK(seen == std::vector<std::string>{"dev north https://fake.test same-transport config.yaml"});

    // `local` is not in this catalog: the error lists what is.
    const auto e = amlops::test::error_of([&] { (void)ws.open("prod"); });
    CHECK(e.kind() == amlops::error_kind::config);
    CHECK_THAT(e.what(), Contains("backend 'local'") && Contains("(available: fake)"));

    CHECK(reg::standard_backends().names() == std::vector<std::string>{"azureml", "local"});
}

TEST_CASE("a missing --ca-file is reported when the workspace opens, naming the file, whatever the backends") {
    scratch_dir dir("workspace-ca");
    reg::backend_surroundings with;
    with.ca_file = dir / "missing.pem";
    const auto missing = amlops::test::error_of([&] { reg::workspace ws(dir / "ws", {}, with); });
    CHECK(missing.kind() == amlops::error_kind::config);
    CHECK(missing.context().file == (dir / "missing.pem").string());
}
