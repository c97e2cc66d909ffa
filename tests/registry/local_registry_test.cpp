// The local backend through the registry interface: versions, aliases, archive, prune, audit,
// integrity checks and crash safety of version creation.
#include "amlops/registry/local_registry.hpp"

#include "amlops/core/error.hpp"
#include "amlops/core/sha256.hpp"
#include "amlops/registry/artifact_store.hpp"
#include "amlops/workspace/workspace.hpp"
#include "registry_fixture.hpp"

#include <catch2/catch.hpp>

namespace fs = std::filesystem;
namespace reg = amlops::registry;
using amlops::error_kind;
using amlops::test::make_model;
using amlops::test::scratch_dir;
using Catch::Matchers::Contains;

namespace {

struct fixture {
    scratch_dir dir{"registry-local"};
    reg::workspace ws{dir / "ws"};
    std::unique_ptr<reg::registry> dev = ws.open("dev");
    int models = 0;

    reg::model_version create(const std::string& name = "taxi-fare", std::map<std::string, std::string> tags = {}) {
        reg::new_version v;
        v.name = name;
        const std::string n = std::to_string(++models);
        v.artifacts_dir = make_model(dir / ("model" + n), "trees-" + n);
        v.tags = std::move(tags);
        v.created_by = "tester";
        v.properties = amlops::json::object{{"rmse", 3.5}};
        return dev->create_version(v).version;
    }
};

reg::model_uri uri(const std::string& text) { return reg::model_uri::parse(text); }

}  // namespace

TEST_CASE("register, resolve and download round-trip with matching hashes") {
    fixture f;
    const auto v = f.create("taxi-fare", {{"commit_sha", "abc123"}});
    CHECK(v.version == 1);
    CHECK(v.registry == "dev");
    CHECK(v.type == "mlflow_model");
    CHECK(v.tags.at("commit_sha") == "abc123");
    CHECK(v.uri().to_string() == "azureml://registries/dev/models/taxi-fare/versions/1");

    const auto got = f.dev->get(uri("azureml://registries/dev/models/taxi-fare/versions/1"));
    CHECK(got.manifest_sha256 == v.manifest_sha256);
    CHECK(got.properties.at("rmse").as_double() == 3.5);
    CHECK(f.dev->get(uri("azureml://registries/dev/models/taxi-fare/labels/latest")).version == 1);

    const auto m = f.dev->read_manifest(got);
    REQUIRE(m.files.size() == 3);
    CHECK(m.files[0].path == "MLmodel");
    CHECK(m.files[1].path == "metrics/metrics.json");
    CHECK(m.files[2].path == "model.json");
    CHECK(m.sha256() == v.manifest_sha256);

    const fs::path out = f.dir / "download";
    f.dev->download(got, out);
    for (const auto& file : m.files) {
        INFO(file.path);
        CHECK(amlops::sha256_file(out / file.path) == file.sha256);
        CHECK(amlops::sha256_file(out / file.path) == amlops::sha256_file(f.dir / "model1" / file.path));
        CHECK(fs::file_size(out / file.path) == file.size);
    }
    CHECK(f.dev->verify(got).empty());
}

TEST_CASE("version numbers are consecutive per model and never reused") {
    fixture f;
    CHECK(f.create("a").version == 1);
    CHECK(f.create("a").version == 2);
    CHECK(f.create("b").version == 1);
    CHECK(f.create("a").version == 3);
    f.dev->prune("a", 1, false, "tester");  // removes 1 and 2
    CHECK(f.create("a").version == 4);
    CHECK_THROWS_WITH(f.dev->get(uri("azureml://registries/dev/models/a/versions/1")), Contains("has no version 1"));
    CHECK_THROWS_WITH(f.dev->get(uri("azureml://registries/dev/models/zzz/versions/1")), Contains("'zzz'"));
}

TEST_CASE("aliases move between versions and are audited with before and after") {
    fixture f;
    f.create();
    f.create();
    CHECK_FALSE(f.dev->set_alias("taxi-fare", "champion", 1, "alice"));
    CHECK(f.dev->get(uri("azureml://registries/dev/models/taxi-fare@champion")).version == 1);
    CHECK(f.dev->set_alias("taxi-fare", "champion", 2, "bob") == std::optional<std::int64_t>(1));
    const auto v2 = f.dev->get(uri("azureml://registries/dev/models/taxi-fare@champion"));
    CHECK(v2.version == 2);
    CHECK(v2.aliases == std::vector<std::string>{"champion"});
    CHECK(f.dev->get(uri("azureml://registries/dev/models/taxi-fare/versions/1")).aliases.empty());

    CHECK(f.dev->unset_alias("taxi-fare", "champion", "carol") == 2);
    CHECK_FALSE(f.dev->find(uri("azureml://registries/dev/models/taxi-fare@champion")));
    try {
        f.dev->get(uri("azureml://registries/dev/models/taxi-fare@champion"));
        FAIL("resolved a removed alias");
    } catch (const amlops::error& e) {
        CHECK(e.kind() == error_kind::not_found);
        CHECK_THAT(e.what(), Contains("no alias 'champion'"));
    }
    CHECK_THROWS_AS(f.dev->set_alias("taxi-fare", "champion", 9, "x"), amlops::error);
    CHECK_THROWS_WITH(f.dev->set_alias("taxi-fare", "Bad Alias", 1, "x"), Contains("invalid alias"));

    const auto log = f.dev->audit({"taxi-fare", std::nullopt, std::nullopt, 0});
    std::vector<std::string> actions;
    for (const auto& e : log) actions.push_back(e.action);
    CHECK(actions == std::vector<std::string>{"create", "create", "alias_set", "alias_set", "alias_unset"});
    const auto& moved = log[3];
    CHECK(moved.actor == "bob");
    CHECK(moved.before.at("version").as_int64() == 1);
    CHECK(moved.after.at("version").as_int64() == 2);
    CHECK(log[4].after.at("version").is_null());
    CHECK(log[0].before.is_null());
    CHECK(log[0].after.at("uri").as_string() == "azureml://registries/dev/models/taxi-fare/versions/1");
    CHECK_FALSE(log[0].at.empty());
}

TEST_CASE("archived versions leave list and latest but stay resolvable by number") {
    fixture f;
    f.create();
    f.create();
    const auto archived = f.dev->set_archived("taxi-fare", 2, true, "tester");
    CHECK(archived.archived);
    CHECK(f.dev->get(uri("azureml://registries/dev/models/taxi-fare/labels/latest")).version == 1);
    CHECK(f.dev->list({"taxi-fare", {}, false, 0}).size() == 1);
    CHECK(f.dev->list({"taxi-fare", {}, true, 0}).size() == 2);
    CHECK(f.dev->get(uri("azureml://registries/dev/models/taxi-fare/versions/2")).archived);
    f.dev->set_archived("taxi-fare", 2, false, "tester");
    CHECK(f.dev->get(uri("azureml://registries/dev/models/taxi-fare/labels/latest")).version == 2);
    const auto log = f.dev->audit({"taxi-fare", 2, std::nullopt, 0});
    REQUIRE(log.size() == 3);
    CHECK(log[1].action == "archive");
    CHECK(log[1].before.at("archived").as_bool() == false);
    CHECK(log[1].after.at("archived").as_bool() == true);
    CHECK(log[2].action == "unarchive");
}

TEST_CASE("list filters by name and tags, newest first") {
    fixture f;
    f.create("a", {{"branch", "main"}});
    f.create("a", {{"branch", "dev"}});
    f.create("a", {{"branch", "main"}, {"team", "x"}});
    f.create("b", {{"branch", "main"}});
    const auto all = f.dev->list({});
    REQUIRE(all.size() == 4);
    CHECK(all[0].name == "a");
    CHECK(all[0].version == 3);
    const auto main_a = f.dev->list({"a", {{"branch", "main"}}, false, 0});
    REQUIRE(main_a.size() == 2);
    CHECK(main_a[0].version == 3);
    CHECK(main_a[1].version == 1);
    CHECK(f.dev->list({std::nullopt, {{"branch", "main"}, {"team", "x"}}, false, 0}).size() == 1);
    CHECK(f.dev->list({"a", {}, false, 1}).size() == 1);
}

TEST_CASE("prune keeps the newest N and never removes aliased or deployed versions") {
    fixture f;
    for (int i = 0; i < 6; ++i) f.create();
    f.dev->set_alias("taxi-fare", "champion", 1, "tester");
    reg::deployment_record d;
    d.endpoint = "taxi-fare-online";
    d.deployment = "blue";
    d.recorded_by = "tester";
    f.dev->record_deployment("taxi-fare", 2, d);

    const auto dry = f.dev->prune("taxi-fare", 2, true, "tester");
    CHECK(dry.dry_run);
    CHECK(dry.removed == std::vector<std::int64_t>{4, 3});
    CHECK(dry.protected_reasons.at(1) == "alias champion");
    CHECK(dry.protected_reasons.at(2) == "deployed");
    CHECK(f.dev->list({"taxi-fare", {}, true, 0}).size() == 6);  // nothing changed
    CHECK(f.dev->audit({"taxi-fare", std::nullopt, std::string("prune"), 0}).empty());

    const auto real = f.dev->prune("taxi-fare", 2, false, "tester");
    CHECK(real.removed == dry.removed);
    std::vector<std::int64_t> left;
    for (const auto& v : f.dev->list({"taxi-fare", {}, true, 0})) left.push_back(v.version);
    CHECK(left == std::vector<std::int64_t>{6, 5, 2, 1});
    const auto log = f.dev->audit({"taxi-fare", std::nullopt, std::string("prune"), 0});
    REQUIRE(log.size() == 2);
    CHECK(log[0].before.at("version").as_int64() == 4);
    CHECK(log[0].after.is_null());

    // Replacing the deployment makes version 2 prunable; the alias still protects version 1.
    f.dev->record_deployment("taxi-fare", 6, d);
    CHECK(f.dev->prune("taxi-fare", 2, false, "tester").removed == std::vector<std::int64_t>{2});
    const auto deps = f.dev->deployments("taxi-fare", std::nullopt);
    REQUIRE(deps.size() == 2);
    CHECK_FALSE(deps[0].active);
    CHECK(deps[1].active);
}

TEST_CASE("skipped registrations are recorded as audit events") {
    fixture f;
    const auto e = f.dev->record_event("skip", "taxi-fare", "ci", amlops::json::object{{"reasons", amlops::json::array{"worse"}}});
    CHECK(e.id > 0);
    const auto log = f.dev->audit({"taxi-fare", std::nullopt, std::string("skip"), 0});
    REQUIRE(log.size() == 1);
    CHECK(log[0].details.at("reasons").as_array()[0].as_string() == "worse");
    CHECK_FALSE(log[0].version);
    CHECK(f.dev->list({}).empty());
}

TEST_CASE("a tampered artifact fails verify, download and read with a clear io error") {
    fixture f;
    const auto v = f.create();
    const auto m = f.dev->read_manifest(v);
    const auto model_json = std::find_if(m.files.begin(), m.files.end(), [](const auto& e) { return e.path == "model.json"; });
    REQUIRE(model_json != m.files.end());
    const reg::artifact_store store(f.ws.root() / "artifacts");
    const fs::path blob = store.blob_path(model_json->sha256);
    REQUIRE(fs::exists(blob));
    CHECK((fs::status(blob).permissions() & fs::perms::owner_write) == fs::perms::none);  // stored read-only
    amlops::test::flip_byte(blob);

    const auto problems = f.dev->verify(v);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].path == "model.json");
    CHECK_THAT(problems[0].message, Contains("corrupt"));
    try {
        f.dev->download(v, f.dir / "out");
        FAIL("downloaded a tampered model");
    } catch (const amlops::error& e) {
        CHECK(e.kind() == error_kind::io);
        CHECK(e.exit_code() == 1);
        CHECK_THAT(e.what(), Contains("'model.json' of azureml://registries/dev/models/taxi-fare/versions/1 is corrupt"));
        CHECK_THAT(e.what(), Contains(model_json->sha256));
    }
    CHECK_FALSE(fs::exists(f.dir / "out" / "model.json"));  // nothing half-written under the real name

    // A tampered manifest is caught too.
    amlops::test::flip_byte(store.blob_path(v.manifest_sha256));
    CHECK_THROWS_WITH(f.dev->read_manifest(v), Contains("manifest of azureml://registries/dev/models/taxi-fare/versions/1 is corrupt"));
}

TEST_CASE("a failure just before commit leaves no version and the next one is version 1") {
    scratch_dir dir("registry-crash");
    reg::local_options opts;
    opts.before_commit = [] { throw amlops::error(error_kind::io, "simulated crash"); };
    {
        reg::workspace ws(dir / "ws", opts);
        auto dev = ws.open("dev");
        reg::new_version v;
        v.name = "taxi-fare";
        v.artifacts_dir = make_model(dir / "m", "x");
        CHECK_THROWS_WITH(dev->create_version(v), Contains("simulated crash"));
        CHECK(dev->list({}).empty());
        CHECK(dev->audit({}).empty());
    }
    reg::workspace ws(dir / "ws");
    auto dev = ws.open("dev");
    reg::new_version v;
    v.name = "taxi-fare";
    v.artifacts_dir = dir / "m";
    const auto created = dev->create_version(v).version;
    CHECK(created.version == 1);
    CHECK(dev->verify(created).empty());
}

TEST_CASE("a model folder must be a non-empty folder of regular files") {
    fixture f;
    reg::new_version v;
    v.name = "taxi-fare";
    v.artifacts_dir = f.dir / "missing";
    CHECK_THROWS_WITH(f.dev->create_version(v), Contains("does not exist"));
    fs::create_directories(f.dir / "empty");
    v.artifacts_dir = f.dir / "empty";
    CHECK_THROWS_WITH(f.dev->create_version(v), Contains("empty"));
    v.artifacts_dir = make_model(f.dir / "linked", "x");
    fs::create_symlink("/etc/hostname", f.dir / "linked" / "link");
    CHECK_THROWS_WITH(f.dev->create_version(v), Contains("'link' is not a regular file"));
    v.artifacts_dir = make_model(f.dir / "ok", "x");
    v.name = "bad name";
    CHECK_THROWS_WITH(f.dev->create_version(v), Contains("invalid model name 'bad name'"));
}
