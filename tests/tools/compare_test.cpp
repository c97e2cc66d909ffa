// Black-box tests of aml-compare: real models trained by aml-train on generated data, exit codes
// 0/3/2, --no-fail, and the contents of decision.json.
#include "amlops/core/json.hpp"
#include "amlops/core/sha256.hpp"
#include "amlops/features/schema.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>

namespace json = amlops::json;
namespace fs = std::filesystem;
using amlops::test::run_tool;
using amlops::test::scratch_dir;
using amlops::test::write_text;
using Catch::Matchers::Contains;

namespace {

/// A feature table in aml-transform's layout: the 20 features and `cost`, where the fare is
/// mostly a function of distance and hour plus noise, so more trees fit it clearly better.
std::string feature_csv(int rows, std::uint64_t seed, bool with_cost = true) {
    std::mt19937_64 rng(seed);
    auto unit = [&] { return static_cast<double>(rng() >> 11) / 9007199254740992.0; };
    std::ostringstream out;
    for (std::size_t i = 0; i < amlops::features::feature_count; ++i) {
        out << (i ? "," : "") << amlops::features::feature_names[i];
    }
    out << (with_cost ? ",cost\n" : "\n");
    for (int r = 0; r < rows; ++r) {
        const double distance = 0.2 + 10.0 * unit();
        const int hour = static_cast<int>(rng() % 24);
        out << distance << ",40.75,-73.98,1,40.72,-73.99,0,2," << rng() % 7 << ",1," << 1 + rng() % 28 << ","
            << hour << ",0,0," << rng() % 7 << ",1,1," << hour << ",0,0";
        if (with_cost) out << "," << 3.0 + 2.5 * distance + 0.2 * hour + (unit() - 0.5);
        out << "\n";
    }
    return out.str();
}

/// Data and two models shared by the tests of one process: `good` (60 trees) fits the fare well,
/// `weak` (1 stump) barely at all.
struct fixture {
    scratch_dir dir{"tool-compare"};
    fs::path train = dir / "train/train.csv";
    fs::path test = dir / "test/test.csv";
    fs::path good = dir / "models/good";
    fs::path weak = dir / "models/weak";
    fixture() {
        write_text(train, feature_csv(800, 1));
        write_text(test, feature_csv(300, 2));
        train_model(good, {"--n-estimators", "60", "--max-depth", "4", "--eta", "0.3"});
        train_model(weak, {"--n-estimators", "1", "--max-depth", "1", "--eta", "0.1"});
    }
    void train_model(const fs::path& out, std::vector<std::string> params) const {
        std::vector<std::string> args{"--train", train.string(), "--output", out.string(), "--nthread", "1"};
        args.insert(args.end(), params.begin(), params.end());
        const auto r = run_tool("aml-train", args);
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        REQUIRE(fs::exists(out / "MLmodel"));
    }
    fs::path policy(const std::string& name, const std::string& text) const {
        write_text(dir / name, text);
        return dir / name;
    }
};

fixture& shared() {
    static fixture f;
    return f;
}

amlops::test::run_result compare(const fs::path& candidate, const std::string& champion, const fs::path& policy,
                                 const fs::path& out, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--candidate", candidate.string(), "--champion", champion, "--test",
                                  shared().test.parent_path().string(), "--policy", policy.string(), "--output",
                                  out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_tool("aml-compare", args);
}

json::object stdout_doc(const amlops::test::run_result& r) {
    INFO(r.out << r.err);
    return json::parse(r.out, "aml-compare stdout").as_object();
}

const std::string rmse_policy = "primary_metric: rmse\nmin_relative_improvement: 0\n";

}  // namespace

TEST_CASE("aml-compare approves a better candidate, exit 0, and writes decision.json") {
    auto& f = shared();
    scratch_dir out("compare-out");
    const auto r = compare(f.good, f.weak.string(), f.policy("gate.yaml", rmse_policy), out.path());
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto doc = stdout_doc(r);
    CHECK(doc.at("status") == "ok");
    const auto& decision_out = doc.at("outputs").at("decision");
    const std::string path(decision_out.at("path").as_string());
    CHECK(fs::path(path) == out / "decision.json");
    CHECK(decision_out.at("sha256").as_string() == amlops::sha256_file(path));

    const auto decision = json::read_file(out / "decision.json").as_object();
    CHECK(decision.at("decision") == "approve");
    CHECK(decision.at("primary_metric") == "rmse");
    const auto& m = decision.at("metrics");
    CHECK(m.at("candidate").at("n").to_number<int>() == 300);
    CHECK(m.at("champion").at("n").to_number<int>() == 300);
    CHECK(m.at("candidate").at("rmse").as_double() < m.at("champion").at("rmse").as_double());
    CHECK(m.at("delta").at("rmse").as_double() < 0);
    CHECK_THAT(std::string(decision.at("reasons").at(0).as_string()), Contains("is better than champion rmse"));
    CHECK(doc.at("result").at("decision") == "approve");
    CHECK_THAT(r.err, Contains("is better than champion rmse"));
}

TEST_CASE("aml-compare rejects a worse candidate with exit 3 and says why") {
    auto& f = shared();
    scratch_dir out("compare-out");
    const auto r = compare(f.weak, f.good.string(), f.policy("gate.yaml", rmse_policy), out.path());
    INFO(r.out << r.err);
    CHECK(r.exit_code == 3);
    const auto doc = stdout_doc(r);
    CHECK(doc.at("status") == "rejected");
    const auto decision = json::read_file(out / "decision.json").as_object();
    CHECK(decision.at("decision") == "reject");
    REQUIRE(decision.at("reasons").as_array().size() == 1);
    const std::string reason(decision.at("reasons").at(0).as_string());
    CHECK_THAT(reason, Contains("is worse than champion rmse"));
    CHECK_THAT(reason, Contains("(required improvement 0%)"));
}

TEST_CASE("aml-compare --no-fail exits 0 but never turns a rejection into an approval") {
    auto& f = shared();
    scratch_dir out("compare-out");
    const auto r = compare(f.weak, f.good.string(), f.policy("gate.yaml", rmse_policy), out.path(), {"--no-fail"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(json::read_file(out / "decision.json").at("decision") == "reject");
    CHECK(stdout_doc(r).at("result").at("decision") == "reject");
    CHECK_THAT(r.err, Contains("decision: reject (exit 0 only because of --no-fail)"));
}

TEST_CASE("aml-compare without a champion applies only the absolute limits") {
    auto& f = shared();
    for (const std::string none : {"none", ""}) {
        scratch_dir out("compare-out");
        const auto r = compare(f.weak, none, f.policy("loose.yaml", rmse_policy + "max_rmse: 1000\n"), out.path());
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
        const auto decision = json::read_file(out / "decision.json").as_object();
        CHECK(decision.at("decision") == "approve");
        CHECK(decision.at("metrics").at("champion").is_null());
        CHECK(decision.at("champion").is_null());
    }
    scratch_dir out("compare-out");
    const auto r = compare(f.weak, "none", f.policy("strict.yaml", rmse_policy + "max_rmse: 0.01\n"), out.path());
    CHECK(r.exit_code == 3);
    const auto decision = json::read_file(out / "decision.json").as_object();
    CHECK(decision.at("decision") == "reject");
    CHECK_THAT(std::string(decision.at("reasons").at(0).as_string()), Contains("exceeds the limit max_rmse 0.01"));
}

TEST_CASE("aml-compare with the bootstrap rejects a candidate identical to the champion") {
    auto& f = shared();
    scratch_dir plain("compare-out"), boot("compare-out");
    // Equal is "not worse": approved on point estimates...
    CHECK(compare(f.good, f.good.string(), f.policy("gate.yaml", rmse_policy), plain.path()).exit_code == 0);
    // ...but no better than noise, so the paired bootstrap says no.
    const auto pol = f.policy("boot.json", R"({"primary_metric": "rmse", "bootstrap": {"resamples": 200, "seed": 3}})");
    const auto r = compare(f.good, f.good.string(), pol, boot.path());
    INFO(r.out << r.err);
    CHECK(r.exit_code == 3);
    const auto decision = json::read_file(boot / "decision.json").as_object();
    CHECK(decision.at("decision") == "reject");
    CHECK(decision.at("bootstrap").at("resamples").to_number<int>() == 200);
    CHECK(decision.at("bootstrap").at("favours_candidate") == false);
    // The good model beats the stump beyond noise.
    scratch_dir better("compare-out");
    CHECK(compare(f.good, f.weak.string(), pol, better.path()).exit_code == 0);
}

TEST_CASE("aml-compare reports a bad policy, model or test set with exit 2 and no decision") {
    auto& f = shared();
    scratch_dir out("compare-out");
    auto r = compare(f.good, f.weak.string(), f.policy("typo.yaml", rmse_policy + "max_rsme: 3\n"), out.path());
    CHECK(r.exit_code == 2);
    auto err = stdout_doc(r).at("error");
    CHECK(err.at("kind") == "config");
    CHECK(err.at("field") == "max_rsme");
    CHECK_THAT(std::string(err.at("file").as_string()), Contains("typo.yaml"));
    CHECK_FALSE(fs::exists(out / "decision.json"));

    r = compare(f.good, f.weak.string(), f.policy("metric.yaml", "primary_metric: accuracy\n"), out.path());
    CHECK(r.exit_code == 2);
    CHECK(stdout_doc(r).at("error").at("field") == "primary_metric");

    r = compare(f.dir / "no-such-model", "none", f.policy("gate.yaml", rmse_policy), out.path());
    CHECK(r.exit_code == 2);

    write_text(f.dir / "nocost/test.csv", feature_csv(20, 3, false));
    r = run_tool("aml-compare", {"--candidate", f.good.string(), "--test", (f.dir / "nocost").string(), "--policy",
                                 f.policy("gate.yaml", rmse_policy).string(), "--output", out.path().string()});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Contains("cost"));
    CHECK_FALSE(fs::exists(out / "decision.json"));

    r = run_tool("aml-compare", {"--candidate", f.good.string()});  // missing required flags
    CHECK(r.exit_code == 2);
}
