// Black-box tests of aml-promote: dev -> prod with hash verification, lineage, idempotency and
// the refusals that exit 3.
#include "amlops/core/json.hpp"
#include "amlops/core/sha256.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

namespace json = amlops::json;
namespace fs = std::filesystem;
using amlops::test::read_text;
using amlops::test::run_result;
using amlops::test::run_tool;
using amlops::test::scratch_dir;
using amlops::test::write_text;
using Catch::Matchers::Contains;

namespace {

struct fixture {
    scratch_dir dir{"tool-promote"};
    std::vector<std::string> env{"AMLOPS_HOME=" + (dir / "home").string(), "GITHUB_SHA=5eed5eed", "GITHUB_REF_NAME=main",
                                 "AMLOPS_RUN_ID=run-9", "AMLOPS_PIPELINE_NAME=taxi-fare-train", "AMLOPS_PIPELINE_RUN_ID=prun-9"};

    run_result tool(const std::string& name, const std::vector<std::string>& args) const { return run_tool(name, args, env); }

    /// Registers a fake model (distinct content per seed) in dev with the champion alias.
    void register_dev(const std::string& seed) const {
        const fs::path m = dir / seed;
        write_text(m / "MLmodel", "artifact_path: model\n");
        write_text(m / "model.json", "{\"seed\": \"" + seed + "\"}");
        write_text(dir / "gate" / "decision.json",
                   "{\"decision\": \"approve\", \"reasons\": [\"ok\"], \"metrics\": {\"candidate\": {\"rmse\": 3.0}}}");
        const auto r = tool("aml-register", {"--model", m.string(), "--decision", (dir / "gate").string(), "--name", "taxi-fare",
                                             "--set-alias", "champion"});
        REQUIRE(r.exit_code == 0);
    }
    run_result promote(std::vector<std::string> extra = {}) const {
        std::vector<std::string> args{"--from", "dev", "--to", "prod", "--model", "taxi-fare", "--alias", "champion", "--set-alias", "champion"};
        args.insert(args.end(), extra.begin(), extra.end());
        return tool("aml-promote", args);
    }
};

json::object result_of(const run_result& r) {
    INFO(r.out << r.err);
    return json::parse(r.out, "stdout").as_object().at("result").as_object();
}

}  // namespace

TEST_CASE("promote copies dev to prod with verified hashes, promoted_from and lineage") {
    fixture f;
    f.register_dev("m1");
    const auto r = f.promote({"--require-tag", "decision=approve", "--require-tag", "commit_sha", "--output", (f.dir / "out").string()});
    REQUIRE(r.exit_code == 0);
    const auto res = result_of(r);
    CHECK(res.at("uri").as_string() == "azureml://registries/prod/models/taxi-fare/versions/1");
    CHECK(res.at("source").as_string() == "azureml://registries/dev/models/taxi-fare/versions/1");
    CHECK(res.at("created").as_bool());
    CHECK(fs::exists(f.dir / "out" / "promoted.json"));

    const auto shown = result_of(f.tool("aml-register", {"show", "azureml://registries/prod/models/taxi-fare@champion"}));
    CHECK(shown.at("tags").as_object().at("promoted_from").as_string() == "azureml://registries/dev/models/taxi-fare/versions/1");
    CHECK(shown.at("promoted_from").as_object().at("uri").as_string() == "azureml://registries/dev/models/taxi-fare/versions/1");
    const auto dev = result_of(f.tool("aml-register", {"show", "azureml://registries/dev/models/taxi-fare/versions/1"}));
    CHECK(shown.at("manifest_sha256") == dev.at("manifest_sha256"));

    const auto dl = f.tool("aml-register", {"download", "azureml://registries/prod/models/taxi-fare@champion", "--output", (f.dir / "dl").string()});
    REQUIRE(dl.exit_code == 0);
    CHECK(amlops::sha256_file(f.dir / "dl" / "model.json") == amlops::sha256_file(f.dir / "m1" / "model.json"));

    const auto lin = f.tool("aml-register", {"lineage", "azureml://registries/prod/models/taxi-fare@champion"});
    REQUIRE(lin.exit_code == 0);
    const auto chain = result_of(lin);
    CHECK(chain.at("commit_sha").as_string() == "5eed5eed");
    CHECK(chain.at("pipeline_run").as_string() == "prun-9");
    REQUIRE(chain.at("versions").as_array().size() == 2);
    CHECK(chain.at("versions").as_array()[0].as_object().at("uri").as_string() == "azureml://registries/dev/models/taxi-fare/versions/1");
    CHECK(chain.at("versions").as_array()[1].as_object().at("uri").as_string() == "azureml://registries/prod/models/taxi-fare/versions/1");
    CHECK_THAT(lin.err, Contains("commit 5eed5eed"));
    CHECK_THAT(lin.err, Contains("pipeline run prun-9"));
}

TEST_CASE("promoting the same source version again returns the existing target version") {
    fixture f;
    f.register_dev("m1");
    REQUIRE(f.promote().exit_code == 0);
    const auto again = f.promote();
    REQUIRE(again.exit_code == 0);
    CHECK(result_of(again).at("version").as_int64() == 1);
    CHECK_FALSE(result_of(again).at("created").as_bool());
    const auto by_number = f.tool("aml-promote", {"--model", "taxi-fare", "--version", "1"});
    REQUIRE(by_number.exit_code == 0);
    CHECK(result_of(by_number).at("version").as_int64() == 1);
    CHECK(result_of(f.tool("aml-register", {"list", "--registry", "prod"})).at("count").as_int64() == 1);

    f.register_dev("m2");
    const auto next = f.promote();
    REQUIRE(next.exit_code == 0);
    CHECK(result_of(next).at("version").as_int64() == 2);
    CHECK(result_of(f.tool("aml-register", {"show", "azureml://registries/prod/models/taxi-fare@champion"})).at("version").as_int64() == 2);
}

TEST_CASE("promotion is refused with exit 3 for a missing tag, an archived source or a hash mismatch") {
    fixture f;
    f.register_dev("m1");
    const auto no_tag = f.promote({"--require-tag", "approved_by"});
    CHECK(no_tag.exit_code == 3);
    CHECK_THAT(no_tag.err, Contains("required tag 'approved_by' is missing"));
    const auto refusal = json::parse(no_tag.out, "stdout").as_object();
    CHECK(refusal.at("status").as_string() == "rejected");
    CHECK(refusal.at("tool").as_string() == "aml-promote");
    CHECK_THAT(std::string(refusal.at("result").at("reasons").as_array().at(0).as_string()), Contains("required tag 'approved_by' is missing"));
    const auto wrong = f.promote({"--require-tag", "branch=release"});
    CHECK(wrong.exit_code == 3);
    CHECK_THAT(wrong.err, Contains("tag 'branch' is 'main', required 'release'"));

    REQUIRE(f.tool("aml-register", {"archive", "azureml://registries/dev/models/taxi-fare/versions/1"}).exit_code == 0);
    const auto archived = f.promote();
    CHECK(archived.exit_code == 3);
    CHECK_THAT(archived.err, Contains("archived"));
    REQUIRE(f.tool("aml-register", {"archive", "azureml://registries/dev/models/taxi-fare/versions/1", "--unarchive"}).exit_code == 0);

    const auto sha = amlops::sha256_file(f.dir / "m1" / "model.json");
    const fs::path blob = f.dir / "home" / "artifacts" / "sha256" / sha.substr(0, 2) / sha.substr(2);
    fs::permissions(blob, fs::perms::owner_write, fs::perm_options::add);
    write_text(blob, read_text(blob) + " ");
    const auto tampered = f.promote();
    CHECK(tampered.exit_code == 3);
    CHECK_THAT(tampered.err, Contains("hash verification failed"));
    CHECK(result_of(f.tool("aml-register", {"list", "--registry", "prod"})).at("count").as_int64() == 0);

    const auto both = f.tool("aml-promote", {"--model", "taxi-fare", "--version", "1", "--alias", "champion"});
    CHECK(both.exit_code == 2);
    CHECK_THAT(both.err, Contains("exactly one of --version and --alias"));
}
