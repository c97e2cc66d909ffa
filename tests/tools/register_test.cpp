// Black-box tests of aml-register: the register/skip paths and their files, the read and
// mutation verbs, tamper detection, and the concurrency and kill-safety guarantees.
#include "amlops/core/json.hpp"
#include "amlops/core/sha256.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <set>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace json = amlops::json;
namespace fs = std::filesystem;
using amlops::test::read_text;
using amlops::test::run_result;
using amlops::test::run_tool;
using amlops::test::scratch_dir;
using amlops::test::write_text;
using Catch::Matchers::Contains;

namespace {

/// A small MLflow-shaped model folder; `bytes` of pseudo-random payload in model.json.
fs::path make_model(const fs::path& dir, const std::string& seed, std::size_t bytes = 2000) {
    write_text(dir / "MLmodel", "artifact_path: model\nflavors:\n  xgboost:\n    model_format: json\n");
    std::string payload;
    payload.reserve(bytes);
    std::uint64_t x = std::hash<std::string>{}(seed) | 1;
    while (payload.size() < bytes) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        payload += static_cast<char>('a' + x % 26);
    }
    write_text(dir / "model.json", "{\"trees\": \"" + payload + "\"}");
    write_text(dir / "metrics.json", "{\"test\": {\"rmse\": 3.1}}");
    write_text(dir / "manifest.json", "{\"tool\": \"aml-train\", \"run_id\": \"train-run-1\", \"commit_sha\": \"feedbeef\"}");
    return dir;
}

fs::path make_decision(const fs::path& dir, bool approve) {
    write_text(dir / "decision.json",
               std::string("{\"decision\": \"") + (approve ? "approve" : "reject") +
                   "\", \"reasons\": [\"candidate rmse 3.4 is worse than champion rmse 3.1 (required improvement 0%)\"], "
                   "\"primary_metric\": \"rmse\", \"metrics\": {\"candidate\": {\"n\": 300, \"rmse\": 3.4, \"mae\": 2.2, "
                   "\"r2\": 0.91}, \"champion\": {\"n\": 300, \"rmse\": 3.1, \"mae\": 2.0, \"r2\": 0.93}, \"delta\": "
                   "{\"rmse\": 0.3, \"relative_improvement\": -0.0967}}}");
    return dir;
}

json::object result_of(const run_result& r) {
    INFO(r.out << r.err);
    const json::value doc = json::parse(r.out, "stdout");
    return doc.as_object().at("result").as_object();
}

struct workspace_fixture {
    scratch_dir dir{"tool-register"};
    std::vector<std::string> env{"AMLOPS_HOME=" + (dir / "home").string(), "GITHUB_SHA=c0ffee00", "GITHUB_REF_NAME=main",
                                 "AMLOPS_RUN_ID=run-42", "AMLOPS_PIPELINE_NAME=taxi-fare-train"};

    run_result reg(const std::vector<std::string>& args, std::vector<std::string> extra = {}) const {
        std::vector<std::string> e = env;
        e.insert(e.end(), extra.begin(), extra.end());
        return run_tool("aml-register", args, e);
    }
    run_result register_model(const std::string& seed, bool approve = true, std::vector<std::string> more = {}) const {
        std::vector<std::string> args{"--model", make_model(dir / seed, seed).string(), "--decision",
                                      make_decision(dir / (seed + "-gate"), approve).string(), "--registry", "dev",
                                      "--name", "taxi-fare"};
        args.insert(args.end(), more.begin(), more.end());
        return reg(args);
    }
};

const std::string v1 = "azureml://registries/dev/models/taxi-fare/versions/1";

}  // namespace

TEST_CASE("register writes registered.json and model_versions.json, show and download round-trip") {
    workspace_fixture f;
    const auto r = f.register_model("m1", true, {"--set-alias", "champion", "--tag", "owner=fares", "--output", (f.dir / "out").string()});
    REQUIRE(r.exit_code == 0);
    const auto res = result_of(r);
    CHECK(res.at("registered").as_bool());
    CHECK(res.at("uri").as_string() == v1);
    CHECK(res.at("version").as_int64() == 1);
    CHECK(res.at("tags").as_object().at("commit_sha").as_string() == "c0ffee00");
    CHECK(res.at("tags").as_object().at("run_id").as_string() == "run-42");
    CHECK(res.at("tags").as_object().at("pipeline").as_string() == "taxi-fare-train");
    CHECK(res.at("tags").as_object().at("rmse").as_string() == "3.4");
    CHECK(res.at("tags").as_object().at("owner").as_string() == "fares");

    const auto registered = json::read_file(f.dir / "out" / "registered.json").as_object();
    CHECK(registered.at("uri").as_string() == v1);
    CHECK(registered.at("name").as_string() == "taxi-fare");
    CHECK(registered.at("version").as_int64() == 1);
    CHECK(registered.at("sha256").as_string() == res.at("sha256").as_string());
    const auto versions = json::read_file(f.dir / "out" / "model_versions.json").as_object();
    CHECK(versions.at("model_name").as_string() == "taxi-fare");
    CHECK(versions.at("workspace_version").as_int64() == 1);
    CHECK(versions.contains("registry_version"));

    const auto show = f.reg({"show", "azureml://registries/dev/models/taxi-fare@champion"});
    REQUIRE(show.exit_code == 0);
    const auto shown = result_of(show);
    CHECK(shown.at("verified").as_bool());
    CHECK(shown.at("version").as_int64() == 1);
    CHECK(shown.at("files").as_array().size() == 4);
    CHECK(shown.at("properties").as_object().at("rmse").as_double() == 3.4);

    const auto dl = f.reg({"download", "azureml://registries/dev/models/taxi-fare/labels/latest", "--output", (f.dir / "dl").string()});
    REQUIRE(dl.exit_code == 0);
    for (const char* file : {"MLmodel", "model.json", "metrics.json", "manifest.json"}) {
        INFO(file);
        CHECK(amlops::sha256_file(f.dir / "dl" / file) == amlops::sha256_file(f.dir / "m1" / file));
    }
    CHECK(f.register_model("m2").exit_code == 0);
    CHECK(result_of(f.reg({"list", "--name", "taxi-fare"})).at("count").as_int64() == 2);
}

TEST_CASE("a rejected decision registers nothing, exits 0 and audits the reasons") {
    workspace_fixture f;
    const auto r = f.register_model("worse", false, {"--output", (f.dir / "out").string()});
    REQUIRE(r.exit_code == 0);
    const auto res = result_of(r);
    CHECK_FALSE(res.at("registered").as_bool());
    CHECK(res.at("version").is_null());
    CHECK_THAT(r.err, Contains("worse than champion"));
    CHECK_FALSE(json::read_file(f.dir / "out" / "registered.json").as_object().at("registered").as_bool());
    CHECK_FALSE(fs::exists(f.dir / "out" / "model_versions.json"));
    CHECK(result_of(f.reg({"list"})).at("count").as_int64() == 0);
    const auto audit = result_of(f.reg({"audit", "--action", "skip"})).at("entries").as_array();
    REQUIRE(audit.size() == 1);
    const auto& details = audit[0].as_object().at("details").as_object();
    CHECK_THAT(std::string(details.at("reasons").as_array()[0].as_string()), Contains("worse than champion"));
}

TEST_CASE("bad URIs exit 2 naming the URI, missing versions exit 2, --allow-missing reports found=false") {
    workspace_fixture f;
    const auto bad = f.reg({"show", "azureml://registries/dev/taxi-fare/1"});
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.err, Contains("'azureml://registries/dev/taxi-fare/1'"));
    CHECK(f.reg({"show", "azureml://registries/qa/models/taxi-fare/versions/1"}).exit_code == 2);

    const auto missing = f.reg({"download", "azureml://registries/dev/models/taxi-fare@champion", "--output", (f.dir / "c").string()});
    CHECK(missing.exit_code == 2);
    CHECK_THAT(missing.err, Contains("does not exist"));
    const auto allowed = f.reg({"download", "azureml://registries/dev/models/taxi-fare@champion", "--output",
                                (f.dir / "c").string(), "--allow-missing"});
    REQUIRE(allowed.exit_code == 0);
    CHECK_FALSE(result_of(allowed).at("found").as_bool());
    CHECK_FALSE(fs::exists(f.dir / "c"));
}

TEST_CASE("alias, archive and prune verbs change the registry and the audit log") {
    workspace_fixture f;
    for (const char* seed : {"a", "b", "c", "d"}) REQUIRE(f.register_model(seed).exit_code == 0);
    REQUIRE(f.reg({"alias", "set", v1, "champion"}).exit_code == 0);
    CHECK(result_of(f.reg({"show", "azureml://registries/dev/models/taxi-fare@champion"})).at("version").as_int64() == 1);
    REQUIRE(f.reg({"archive", "azureml://registries/dev/models/taxi-fare/versions/4"}).exit_code == 0);
    CHECK(result_of(f.reg({"show", "azureml://registries/dev/models/taxi-fare/labels/latest"})).at("version").as_int64() == 3);

    const auto dry = result_of(f.reg({"prune", "--name", "taxi-fare", "--retain", "1", "--dry-run"}));
    CHECK(dry.at("removed").as_array() == json::array{3, 2});
    CHECK(result_of(f.reg({"list", "--include-archived"})).at("count").as_int64() == 4);
    const auto pruned = result_of(f.reg({"prune", "--name", "taxi-fare", "--retain", "1"}));
    CHECK(pruned.at("removed").as_array() == json::array{3, 2});
    CHECK(pruned.at("protected").as_object().at("1").as_string() == "alias champion");
    CHECK(result_of(f.reg({"list", "--include-archived"})).at("count").as_int64() == 2);

    REQUIRE(f.reg({"alias", "unset", "azureml://registries/dev/models/taxi-fare@champion"}).exit_code == 0);
    CHECK(f.reg({"show", "azureml://registries/dev/models/taxi-fare@champion"}).exit_code == 2);
    std::vector<std::string> actions;
    const auto audit = result_of(f.reg({"audit"}));  // kept alive: the loop borrows from it
    for (const auto& e : audit.at("entries").as_array())
        actions.emplace_back(e.as_object().at("action").as_string());
    CHECK(actions == std::vector<std::string>{"create", "create", "create", "create", "alias_set", "archive", "prune", "prune",
                                              "alias_unset"});
}

TEST_CASE("a tampered artifact makes show, download and verify fail with exit 1") {
    workspace_fixture f;
    REQUIRE(f.register_model("m1").exit_code == 0);
    const auto model_sha = amlops::sha256_file(f.dir / "m1" / "model.json");
    const fs::path blob = f.dir / "home" / "artifacts" / "sha256" / model_sha.substr(0, 2) / model_sha.substr(2);
    REQUIRE(fs::exists(blob));
    fs::permissions(blob, fs::perms::owner_write, fs::perm_options::add);
    std::string bytes = read_text(blob);
    bytes[10] = static_cast<char>(bytes[10] ^ 0x20);
    write_text(blob, bytes);

    const auto show = f.reg({"show", v1});
    CHECK(show.exit_code == 1);
    CHECK_THAT(show.err, Contains("model.json is corrupt"));
    CHECK_THAT(show.err, Contains("expected " + model_sha));
    const auto dl = f.reg({"download", v1, "--output", (f.dir / "dl").string()});
    CHECK(dl.exit_code == 1);
    CHECK_THAT(dl.err, Contains("'model.json' of " + v1 + " is corrupt"));
    CHECK_FALSE(fs::exists(f.dir / "dl" / "model.json"));
    CHECK(f.reg({"verify"}).exit_code == 1);
}

TEST_CASE("16 concurrent aml-register processes get versions 1..16 and leave an intact store") {
    workspace_fixture f;
    constexpr int n = 16;
    std::vector<fs::path> models;
    for (int i = 0; i < n; ++i) {
        std::string seed = "c";
        seed.append(std::to_string(i));  // append(), not operator+: GCC 12 emits a false -Wrestrict
        models.push_back(make_model(f.dir / seed, seed));
    }
    const auto gate = make_decision(f.dir / "gate", true);
    std::vector<run_result> results(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            results[i] = f.reg({"--model", models[i].string(), "--decision", gate.string(), "--name", "taxi-fare", "--registry", "dev"});
        });
    }
    for (auto& t : threads) t.join();
    std::set<std::int64_t> versions;
    std::set<std::string> hashes;
    for (const auto& r : results) {
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        versions.insert(result_of(r).at("version").as_int64());
        hashes.insert(std::string(result_of(r).at("sha256").as_string()));
    }
    CHECK(versions.size() == n);
    CHECK(*versions.begin() == 1);
    CHECK(*versions.rbegin() == n);
    CHECK(hashes.size() == n);  // each process registered its own model
    const auto verify = f.reg({"verify"});
    REQUIRE(verify.exit_code == 0);
    CHECK(result_of(verify).at("versions_checked").as_int64() == n);
    CHECK(result_of(f.reg({"audit", "--action", "create"})).at("entries").as_array().size() == n);
}

TEST_CASE("a register killed just before commit leaves no version and the next register gets version 1") {
    // AMLOPS_TEST_PAUSE_BEFORE_COMMIT_MS makes aml-register log "test hook: pausing" and sleep
    // inside the version transaction (artifacts stored, rows inserted, not committed).
    workspace_fixture f;
    const auto model = make_model(f.dir / "big", "big", 4 << 20);
    const auto gate = make_decision(f.dir / "gate", true);
    const fs::path err_file = f.dir / "killed.stderr";

    std::vector<std::string> argv{amlops::test::tool_path("aml-register").string(), "--model", model.string(), "--decision",
                                  gate.string(), "--name", "taxi-fare"};
    std::vector<std::string> env_store;
    for (char** e = environ; *e; ++e) env_store.emplace_back(*e);
    env_store.insert(env_store.end(), f.env.begin(), f.env.end());
    env_store.emplace_back("AMLOPS_TEST_PAUSE_BEFORE_COMMIT_MS=60000");
    std::vector<char*> args, envp;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    for (auto& e : env_store) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data()) == 0);
    posix_spawn_file_actions_destroy(&actions);

    bool paused = false;
    for (int i = 0; i < 600 && !paused; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        paused = read_text(err_file).find("test hook: pausing") != std::string::npos;
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(paused);
    CHECK(WIFSIGNALED(status));

    CHECK(result_of(f.reg({"list", "--include-archived"})).at("count").as_int64() == 0);
    CHECK(result_of(f.reg({"audit"})).at("entries").as_array().empty());
    const auto next = f.reg({"--model", model.string(), "--decision", gate.string(), "--name", "taxi-fare"});
    REQUIRE(next.exit_code == 0);
    CHECK(result_of(next).at("version").as_int64() == 1);
    CHECK(f.reg({"verify"}).exit_code == 0);
}

TEST_CASE("lineage prints the chain for humans on stderr and as JSON") {
    workspace_fixture f;
    REQUIRE(f.register_model("m1", true, {"--set-alias", "champion"}).exit_code == 0);
    const auto r = f.reg({"lineage", v1, "--output", (f.dir / "lin").string()});
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.err, Contains("commit c0ffee00 (branch main)"));
    CHECK_THAT(r.err, Contains("-> pipeline taxi-fare-train"));
    CHECK_THAT(r.err, Contains("-> " + v1));
    const auto res = result_of(r);
    CHECK(res.at("commit_sha").as_string() == "c0ffee00");
    CHECK(res.at("versions").as_array().size() == 1);
    CHECK(fs::exists(f.dir / "lin" / "lineage.json"));
}

TEST_CASE("registering the same model again reports created=false with the existing version") {
    workspace_fixture f;
    const auto first = f.register_model("m1");
    REQUIRE(first.exit_code == 0);
    CHECK(result_of(first).at("created").as_bool());
    const auto again = f.register_model("m1", true, {"--set-alias", "champion"});
    REQUIRE(again.exit_code == 0);
    const auto res = result_of(again);
    CHECK(res.at("registered").as_bool());
    CHECK_FALSE(res.at("created").as_bool());
    CHECK(res.at("uri").as_string() == v1);
    CHECK(res.at("aliases").as_array().size() == 1);
    CHECK(result_of(f.reg({"list"})).at("count").as_int64() == 1);
    CHECK(result_of(f.reg({"audit", "--action", "reuse"})).at("entries").as_array().size() == 1);
}

TEST_CASE("list prints compact rows by default and every field with --full") {
    workspace_fixture f;
    REQUIRE(f.register_model("m1", true, {"--set-alias", "champion"}).exit_code == 0);
    const auto compact = result_of(f.reg({"list"}));
    REQUIRE(compact.at("versions").as_array().size() == 1);
    const auto& row = compact.at("versions").as_array()[0].as_object();
    CHECK(row.at("uri").as_string() == v1);
    CHECK(row.at("version").as_int64() == 1);
    CHECK(row.at("aliases").as_array()[0].as_string() == "champion");
    CHECK(row.at("archived").as_bool() == false);
    CHECK(row.at("primary_metric").as_string() == "rmse");
    CHECK(row.at("rmse").as_string() == "3.4");
    CHECK(row.contains("created_at"));
    CHECK_FALSE(row.contains("tags"));
    const auto full = result_of(f.reg({"list", "--full"}));
    const auto& whole = full.at("versions").as_array()[0].as_object();
    CHECK(whole.at("tags").as_object().at("commit_sha").as_string() == "c0ffee00");
    CHECK(whole.contains("properties"));
}
