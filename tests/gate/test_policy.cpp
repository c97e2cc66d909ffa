#include "amlops/gate/policy.hpp"

#include "amlops/core/error.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

namespace g = amlops::gate;
using amlops::test::scratch_dir;
using amlops::test::write_text;
using Catch::Matchers::Contains;

namespace {
/// Loads `text` as a policy file named `name`; returns the error it throws.
amlops::error load_error(const std::string& name, const std::string& text) {
    scratch_dir dir("gate-policy");
    write_text(dir / name, text);
    try {
        g::load_policy(dir / name);
    } catch (const amlops::error& e) {
        return e;
    }
    FAIL("policy " << name << " was accepted:\n" << text);
    return amlops::error(amlops::error_kind::internal, "unreachable");
}

g::policy load(const std::string& name, const std::string& text) {
    scratch_dir dir("gate-policy");
    write_text(dir / name, text);
    return g::load_policy(dir / name);
}
}  // namespace

TEST_CASE("a full YAML policy is read with every field") {
    const auto p = load("policy.yaml", R"(# gate for the taxi fare model
primary_metric: rmse
min_relative_improvement: 0.01
max_rmse: 4.5
max_mae: 2
min_r2: 0.8
bootstrap:
  resamples: 2000
  confidence: 0.9
  seed: 42
)");
    CHECK(p.primary_metric == g::metric::rmse);
    CHECK(p.min_relative_improvement == 0.01);
    CHECK(p.max_rmse == 4.5);
    CHECK(p.max_mae == 2.0);
    CHECK(p.min_r2 == 0.8);
    REQUIRE(p.bootstrap);
    CHECK(p.bootstrap->resamples == 2000);
    CHECK(p.bootstrap->confidence == 0.9);
    CHECK(p.bootstrap->seed == 42);
}

TEST_CASE("a JSON policy is read the same way, with defaults for absent keys") {
    const auto p = load("policy.json", R"({"primary_metric": "r2", "bootstrap": {"seed": 7}})");
    CHECK(p.primary_metric == g::metric::r2);
    CHECK(p.min_relative_improvement == 0.0);
    CHECK_FALSE(p.max_rmse);
    CHECK_FALSE(p.max_mae);
    CHECK_FALSE(p.min_r2);
    REQUIRE(p.bootstrap);
    CHECK(p.bootstrap->resamples == 1000);
    CHECK(p.bootstrap->confidence == 0.95);
    CHECK(p.bootstrap->seed == 7);

    const auto q = load("p.yml", "primary_metric: mae\nbootstrap: null\n");
    CHECK(q.primary_metric == g::metric::mae);
    CHECK_FALSE(q.bootstrap);
}

TEST_CASE("an unknown key is a config error naming the file and the key") {
    auto e = load_error("policy.yaml", "primary_metric: rmse\nmin_relative_improvment: 0.01\n");
    CHECK(e.kind() == amlops::error_kind::config);
    CHECK(e.exit_code() == 2);
    REQUIRE(e.context().file);
    CHECK_THAT(*e.context().file, Contains("policy.yaml"));
    CHECK(e.context().field == "min_relative_improvment");
    CHECK_THAT(e.what(), Contains("unknown policy key 'min_relative_improvment'"));
    CHECK_THAT(e.describe(), Contains("policy.yaml"));

    e = load_error("policy.json", R"({"primary_metric": "rmse", "bootstrap": {"resamples": 1000, "sed": 1}})");
    CHECK(e.kind() == amlops::error_kind::config);
    CHECK(e.context().field == "bootstrap.sed");
    CHECK_THAT(*e.context().file, Contains("policy.json"));
}

TEST_CASE("a bad metric name or a missing metric is a config error") {
    auto e = load_error("policy.yaml", "primary_metric: accuracy\n");
    CHECK(e.kind() == amlops::error_kind::config);
    CHECK(e.context().field == "primary_metric");
    CHECK_THAT(e.what(), Contains("must be one of rmse, mae, r2, got 'accuracy'"));

    e = load_error("policy.yaml", "primary_metric: RMSE\n");  // names are case-sensitive
    CHECK(e.context().field == "primary_metric");

    e = load_error("policy.yaml", "max_rmse: 3\n");
    CHECK(e.context().field == "primary_metric");
    CHECK_THAT(e.what(), Contains("missing required key 'primary_metric'"));
}

TEST_CASE("values of the wrong type or out of range are config errors naming the key") {
    struct bad { const char* text; const char* field; const char* message; };
    const bad cases[] = {
        {"primary_metric: rmse\nmax_rmse: high\n", "max_rmse", "must be a number, got a string"},
        {"primary_metric: rmse\nmax_rmse: \"3\"\n", "max_rmse", "must be a number"},  // quoted stays a string
        {"primary_metric: rmse\nmax_rmse: -1\n", "max_rmse", "must be >= 0"},
        {"primary_metric: rmse\nmax_mae: .inf\n", "max_mae", "finite"},
        {"primary_metric: rmse\nmin_r2: 1.5\n", "min_r2", "must be <= 1"},
        {"primary_metric: 3\n", "primary_metric", "got a number"},
        {"primary_metric: rmse\nmin_relative_improvement: 5\n", "min_relative_improvement", "in [0, 1)"},
        {"primary_metric: rmse\nmin_relative_improvement: -0.1\n", "min_relative_improvement", "in [0, 1)"},
        {"primary_metric: rmse\nmin_relative_improvement: true\n", "min_relative_improvement", "got a boolean"},
        {"primary_metric: rmse\nbootstrap: yes-please\n", "bootstrap", "must be a mapping"},
        {"primary_metric: rmse\nbootstrap:\n  resamples: 10\n", "bootstrap.resamples", "between 100 and 1000000"},
        {"primary_metric: rmse\nbootstrap:\n  resamples: 1000.5\n", "bootstrap.resamples", "non-negative integer"},
        {"primary_metric: rmse\nbootstrap:\n  confidence: 95\n", "bootstrap.confidence", "strictly between 0 and 1"},
        {"primary_metric: rmse\nbootstrap:\n  seed: -3\n", "bootstrap.seed", "non-negative integer"},
        {"primary_metric: rmse\nbootstrap:\n  seed: [1]\n", "bootstrap.seed", "got a list"},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        const auto e = load_error("policy.yaml", c.text);
        CHECK(e.kind() == amlops::error_kind::config);
        CHECK(e.context().field == c.field);
        CHECK_THAT(e.what(), Contains(c.message));
        CHECK(e.context().file);
    }
}

TEST_CASE("the JSON and YAML forms reject the same bad types") {
    const auto e = load_error("policy.json", R"({"primary_metric": "rmse", "bootstrap": {"resamples": "many"}})");
    CHECK(e.kind() == amlops::error_kind::config);
    CHECK(e.context().field == "bootstrap.resamples");
    const auto top = load_error("policy.json", R"(["rmse"])");
    CHECK(top.kind() == amlops::error_kind::config);
    CHECK_THAT(top.what(), Contains("must be a mapping"));
}

TEST_CASE("malformed files and missing files are reported with their path") {
    auto e = load_error("policy.yaml", "primary_metric: rmse\nbootstrap: {resamples: 1000\n");
    CHECK(e.kind() == amlops::error_kind::config);
    CHECK_THAT(e.what(), Contains("invalid YAML"));
    CHECK(e.context().line);

    e = load_error("policy.json", "{\"primary_metric\": \"rmse\",}");
    CHECK(e.exit_code() == 2);
    CHECK(e.context().file);

    e = load_error("policy.yaml", "primary_metric: rmse\nprimary_metric: mae\n");
    CHECK(e.kind() == amlops::error_kind::config);
    CHECK_THAT(e.what(), Contains("duplicate"));

    CHECK_THROWS_AS(g::load_policy("/nonexistent/policy.yaml"), amlops::error);
    try {
        g::load_policy("/nonexistent/policy.yaml");
    } catch (const amlops::error& err) {
        CHECK(err.kind() == amlops::error_kind::not_found);
        CHECK(err.context().file == "/nonexistent/policy.yaml");
    }
}

TEST_CASE("to_json records the policy with defaults filled in") {
    g::policy p;
    p.primary_metric = g::metric::mae;
    p.max_rmse = 5;
    p.bootstrap = g::bootstrap_policy{};
    const auto doc = g::to_json(p);
    CHECK(doc.at("primary_metric") == "mae");
    CHECK(doc.at("min_relative_improvement").as_double() == 0.0);
    CHECK(doc.at("max_rmse").as_double() == 5.0);
    CHECK(doc.at("min_r2").is_null());
    CHECK(doc.at("bootstrap").at("resamples").to_number<int>() == 1000);
    // Round trip: what decision.json records is itself a valid policy.
    const auto back = g::policy_from_json(doc, "decision.json");
    CHECK(back.primary_metric == g::metric::mae);
    CHECK(back.max_rmse == 5.0);
    CHECK(back.bootstrap);
}

TEST_CASE("the shipped pipeline policy pipelines/config/quality-gate.yaml is valid") {
    const auto p = g::load_policy(std::filesystem::path(AMLOPS_SOURCE_DIR) / "pipelines/config/quality-gate.yaml");
    CHECK(p.primary_metric == g::metric::rmse);
    CHECK(p.max_rmse);
    CHECK(p.min_r2);
}
