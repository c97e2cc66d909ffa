// register_model, promote and lineage over a local workspace, with an injected environment.
#include "amlops/registry/operations.hpp"

#include "amlops/core/error.hpp"
#include "amlops/registry/artifact_store.hpp"
#include "registry_fixture.hpp"

#include <catch2/catch.hpp>

#include <map>

namespace fs = std::filesystem;
namespace reg = amlops::registry;
using amlops::error_kind;
using amlops::test::make_decision;
using amlops::test::make_model;
using amlops::test::scratch_dir;
using Catch::Matchers::Contains;

namespace {

amlops::env_lookup fake_env(std::map<std::string, std::string> vars) {
    return [vars](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

const auto ci_env = fake_env({{"GITHUB_SHA", "0123abcd"},
                              {"GITHUB_REF_NAME", "main"},
                              {"AMLOPS_RUN_ID", "run-7"},
                              {"AMLOPS_PIPELINE_NAME", "taxi-fare-train"},
                              {"AMLOPS_PIPELINE_RUN_ID", "prun-3"}});

struct fixture {
    scratch_dir dir{"registry-ops"};
    reg::workspace ws{dir / "ws"};

    reg::register_outcome register_one(bool approve, const std::string& payload, std::optional<std::string> alias = "champion") {
        auto dev = ws.open("dev");
        reg::register_request r;
        r.model_dir = make_model(dir / payload, payload);
        r.decision = make_decision(dir / (payload + "-decision") / "decision.json", approve);
        r.name = "taxi-fare";
        r.set_alias = std::move(alias);
        r.actor = "ci";
        r.tags = {{"team", "fares"}};
        return reg::register_model(*dev, r, ci_env);
    }

    reg::promote_outcome promote(std::vector<std::pair<std::string, std::optional<std::string>>> required = {}) {
        reg::promote_request p;
        p.from = "dev";
        p.to = "prod";
        p.name = "taxi-fare";
        p.alias = "champion";
        p.required_tags = std::move(required);
        p.set_alias = "champion";
        p.actor = "release";
        return reg::promote(ws, p);
    }
};

}  // namespace

TEST_CASE("an approved model is registered with provenance tags, metrics and the alias") {
    fixture f;
    const auto out = f.register_one(true, "m1");
    REQUIRE(out.registered);
    const auto& v = *out.version;
    CHECK(v.version == 1);
    CHECK(v.aliases == std::vector<std::string>{"champion"});
    CHECK(v.tags.at("commit_sha") == "0123abcd");
    CHECK(v.tags.at("branch") == "main");
    CHECK(v.tags.at("run_id") == "run-7");
    CHECK(v.tags.at("pipeline") == "taxi-fare-train");
    CHECK(v.tags.at("pipeline_run") == "prun-3");
    CHECK(v.tags.at("decision") == "approve");
    CHECK(v.tags.at("rmse") == "3.25");
    CHECK(v.tags.at("team") == "fares");
    CHECK(v.properties.at("rmse").as_double() == 3.25);
    CHECK(v.source.commit_sha == std::optional<std::string>("0123abcd"));
    CHECK(v.created_by == "ci");

    const auto second = f.register_one(true, "m2");
    CHECK(second.version->version == 2);
    CHECK(second.alias_previous == std::optional<std::int64_t>(1));
}

TEST_CASE("a rejected model is not registered, the skip and its reasons are audited") {
    fixture f;
    const auto out = f.register_one(false, "worse");
    CHECK_FALSE(out.registered);
    CHECK_FALSE(out.version);
    REQUIRE(out.reasons.size() == 1);
    auto dev = f.ws.open("dev");
    CHECK(dev->list({}).empty());
    const auto log = dev->audit({});
    REQUIRE(log.size() == 1);
    CHECK(log[0].action == "skip");
    CHECK(log[0].details.at("decision").as_string() == "reject");
    CHECK_THAT(std::string(log[0].details.at("reasons").as_array()[0].as_string()), Contains("worse than champion"));
}

TEST_CASE("a malformed decision is bad input naming the file and field") {
    fixture f;
    auto dev = f.ws.open("dev");
    reg::register_request r;
    r.model_dir = make_model(f.dir / "m", "x");
    r.decision = f.dir / "d.json";
    r.name = "taxi-fare";
    amlops::test::write_text(r.decision, "{\"decision\": \"maybe\"}");
    try {
        reg::register_model(*dev, r, ci_env);
        FAIL("accepted a bad decision");
    } catch (const amlops::error& e) {
        CHECK(e.kind() == error_kind::bad_input);
        CHECK(e.context().field == std::optional<std::string>("decision"));
        CHECK(e.context().file == std::optional<std::string>(r.decision.string()));
    }
    fs::remove(r.model_dir / "MLmodel");
    amlops::test::write_text(r.decision, "{\"decision\": \"approve\"}");
    CHECK_THROWS_WITH(reg::register_model(*dev, r, ci_env), Contains("not an MLflow model folder"));
}

TEST_CASE("promotion copies with lineage, is idempotent and moves the target alias") {
    fixture f;
    f.register_one(true, "m1");
    const auto first = f.promote({{"decision", std::string("approve")}, {"commit_sha", std::nullopt}});
    CHECK(first.created);
    CHECK(first.target.registry == "prod");
    CHECK(first.target.version == 1);
    CHECK(first.target.manifest_sha256 == first.source.manifest_sha256);
    CHECK(first.target.tags.at("promoted_from") == "azureml://registries/dev/models/taxi-fare/versions/1");
    CHECK(first.target.tags.at("commit_sha") == "0123abcd");
    REQUIRE(first.target.promoted_from);
    CHECK(first.target.promoted_from->uri == "azureml://registries/dev/models/taxi-fare/versions/1");
    CHECK(first.target.aliases == std::vector<std::string>{"champion"});

    const auto again = f.promote();
    CHECK_FALSE(again.created);
    CHECK(again.target.version == 1);
    CHECK(f.ws.open("prod")->list({}).size() == 1);

    f.register_one(true, "m2");
    const auto next = f.promote();
    CHECK(next.created);
    CHECK(next.target.version == 2);
    CHECK(next.alias_previous == std::optional<std::int64_t>(1));
    CHECK(f.ws.open("prod")->download(next.target, f.dir / "prod-download").files.size() == 3);
}

TEST_CASE("promotion refusals are rejections (exit 3) with the reason") {
    fixture f;
    f.register_one(true, "m1");
    auto expect_refusal = [&](const std::vector<std::pair<std::string, std::optional<std::string>>>& req, const std::string& why) {
        try {
            f.promote(req);
            FAIL("promoted");
        } catch (const amlops::error& e) {
            CHECK(e.kind() == error_kind::rejected);
            CHECK(e.exit_code() == 3);
            CHECK_THAT(e.what(), Contains(why));
        }
    };
    expect_refusal({{"approved_by", std::nullopt}}, "required tag 'approved_by' is missing");
    expect_refusal({{"branch", std::string("release")}}, "tag 'branch' is 'main', required 'release'");

    auto dev = f.ws.open("dev");
    dev->set_archived("taxi-fare", 1, true, "x");
    expect_refusal({}, "the source version is archived");
    dev->set_archived("taxi-fare", 1, false, "x");

    const auto v = dev->get(reg::model_uri::parse("azureml://registries/dev/models/taxi-fare/versions/1"));
    const auto m = dev->read_manifest(v);
    amlops::test::flip_byte(reg::artifact_store(f.ws.root() / "artifacts").blob_path(m.files.back().sha256));
    expect_refusal({}, "hash verification failed");
    CHECK(f.ws.open("prod")->list({}).empty());
}

TEST_CASE("lineage follows commit, pipeline run, dev version, prod version and deployments") {
    fixture f;
    f.register_one(true, "m1");
    f.promote();
    auto prod = f.ws.open("prod");
    reg::deployment_record d;
    d.endpoint = "taxi-fare-online";
    d.deployment = "blue";
    d.recorded_by = "serve";
    prod->record_deployment("taxi-fare", 1, d);

    for (const char* start : {"azureml://registries/dev/models/taxi-fare/versions/1", "azureml://registries/prod/models/taxi-fare@champion"}) {
        INFO(start);
        const auto rep = reg::lineage(f.ws, reg::model_uri::parse(start));
        CHECK(rep.commit_sha == std::optional<std::string>("0123abcd"));
        CHECK(rep.pipeline_run == std::optional<std::string>("prun-3"));
        REQUIRE(rep.versions.size() == 2);
        CHECK(rep.versions[0].uri().to_string() == "azureml://registries/dev/models/taxi-fare/versions/1");
        CHECK(rep.versions[1].uri().to_string() == "azureml://registries/prod/models/taxi-fare/versions/1");
        REQUIRE(rep.deployments.size() == 1);
        CHECK(rep.deployments[0].second.endpoint == "taxi-fare-online");

        const std::string text = rep.to_text();
        const auto commit = text.find("commit 0123abcd");
        const auto run = text.find("pipeline run prun-3");
        const auto dev_v = text.find("azureml://registries/dev/models/taxi-fare/versions/1");
        const auto prod_v = text.find("azureml://registries/prod/models/taxi-fare/versions/1");
        const auto dep = text.find("deployment blue on endpoint taxi-fare-online");
        CHECK(commit < run);
        CHECK(run < dev_v);
        CHECK(dev_v < prod_v);
        CHECK(prod_v < dep);
        CHECK(dep != std::string::npos);
        const auto doc = rep.to_json();
        CHECK(doc.at("versions").as_array().size() == 2);
        CHECK(doc.at("commit_sha").as_string() == "0123abcd");
    }
}

TEST_CASE("registering identical files again returns the existing version, audits the rerun and moves the alias") {
    fixture f;
    const auto first = f.register_one(true, "same", std::nullopt);
    REQUIRE(first.registered);
    CHECK(first.created);
    CHECK(first.version->version == 1);

    // The rerun a pipeline makes when only the gate policy changed: same folder, alias now asked for.
    const auto again = f.register_one(true, "same", "champion");
    REQUIRE(again.registered);
    CHECK_FALSE(again.created);
    CHECK(again.version->version == 1);
    CHECK(again.version->manifest_sha256 == first.version->manifest_sha256);
    CHECK(again.version->aliases == std::vector<std::string>{"champion"});

    auto dev = f.ws.open("dev");
    CHECK(dev->list({}).size() == 1);
    const auto reuse = dev->audit({std::nullopt, std::nullopt, std::string("reuse"), 0});
    REQUIRE(reuse.size() == 1);
    CHECK(reuse[0].version == std::optional<std::int64_t>(1));
    CHECK(reuse[0].details.at("manifest_sha256").as_string() == first.version->manifest_sha256);
    CHECK(dev->audit({std::nullopt, std::nullopt, std::string("create"), 0}).size() == 1);

    // The alias already points there: a third identical run changes nothing, not even the alias log.
    const auto third = f.register_one(true, "same", "champion");
    CHECK_FALSE(third.created);
    CHECK(dev->audit({std::nullopt, std::nullopt, std::string("alias_set"), 0}).size() == 1);
}

TEST_CASE("different files, or an archived identical version, still create a new version") {
    fixture f;
    REQUIRE(f.register_one(true, "a", std::nullopt).version->version == 1);
    const auto other = f.register_one(true, "b", std::nullopt);
    CHECK(other.created);
    CHECK(other.version->version == 2);

    auto dev = f.ws.open("dev");
    dev->set_archived("taxi-fare", 1, true, "ci");
    const auto rerun = f.register_one(true, "a", std::nullopt);
    CHECK(rerun.created);
    CHECK(rerun.version->version == 3);
    CHECK(rerun.version->manifest_sha256 == dev->get(reg::version_uri("dev", "taxi-fare", 1)).manifest_sha256);
}

TEST_CASE("a model folder stored twice writes its blobs once and both manifests read back") {
    scratch_dir dir{"registry-store"};
    reg::artifact_store store(dir / "store");
    const auto model = make_model(dir / "m", "m");
    const auto first = store.put_model(model);
    const auto second = store.put_model(model);
    CHECK(first.manifest_sha256 == second.manifest_sha256);
    CHECK(first.files.files == second.files.files);
    CHECK(first.manifest_sha256 == first.files.sha256());
    CHECK(store.read_verified(first.manifest_sha256, "manifest") == first.files.canonical_text());
    for (const auto& e : first.files.files) CHECK(store.check(e).empty());
    // No temp files are left behind.
    CHECK(fs::is_empty(dir / "store" / "tmp"));
}
