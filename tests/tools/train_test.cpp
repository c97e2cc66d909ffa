// Black-box tests of aml-train: the MLflow folder it writes, determinism, and how it reports bad
// parameters (exit code 2 naming the file, key or flag).

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/json.hpp"
#include "amlops/core/sha256.hpp"
#include "amlops/features/schema.hpp"
#include "../model/synthetic_taxi.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <algorithm>
#include <regex>
#include <yaml-cpp/yaml.h>

using namespace amlops;
using amlops::test::run_tool;
namespace fs = std::filesystem;

namespace {

struct data_dirs {
    test::scratch_dir dir{"tool-train"};
    fs::path train = dir / "train";
    fs::path test = dir / "test";
    data_dirs() {
        test::write_text(train / "train.csv", test::synthetic_csv(1500, 1));
        test::write_text(test / "test.csv", test::synthetic_csv(400, 2));
    }
};

data_dirs& shared() {
    static data_dirs d;
    return d;
}

test::run_result train(const fs::path& out, std::vector<std::string> extra = {}, std::vector<std::string> env = {}) {
    std::vector<std::string> args{"--train", shared().train.string(), "--output", out.string(), "--n-estimators", "20",
                                  "--max-depth", "4", "--eta", "0.3"};
    args.insert(args.end(), extra.begin(), extra.end());
    if (std::find(extra.begin(), extra.end(), "--nthread") == extra.end()) {
        args.emplace_back("--nthread");
        args.emplace_back("1");
    }
    return run_tool("aml-train", args, env);
}

json::object stdout_doc(const test::run_result& r) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    auto doc = json::parse(r.out, "stdout");
    REQUIRE(doc.is_object());
    return doc.get_object();
}

}  // namespace

TEST_CASE("aml-train writes an MLflow model folder with metrics, importance and manifest") {
    auto& d = shared();
    fs::path out = d.dir / "model";
    auto r = train(out, {"--test", d.test.string()}, {"AMLOPS_RUN_ID=run-123", "GITHUB_SHA=abc123def"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto doc = stdout_doc(r);
    CHECK(doc.at("status") == "ok");
    CHECK(doc.at("outputs").as_object().contains("model"));
    CHECK(doc.at("outputs").at("model").at("sha256") == json::value(sha256_file(out / "model.json")));

    for (const char* f : {"MLmodel", "model.json", "conda.yaml", "python_env.yaml", "requirements.txt",
                          "input_example.json", "metrics.json", "feature_importance.json", "manifest.json"})
        CHECK(fs::exists(out / f));

    // MLmodel: signature column names in training order.
    YAML::Node mlmodel = YAML::LoadFile((out / "MLmodel").string());
    auto inputs = json::parse(mlmodel["signature"]["inputs"].as<std::string>(), "signature").as_array();
    REQUIRE(inputs.size() == features::feature_count);
    for (std::size_t i = 0; i < inputs.size(); ++i)
        CHECK(inputs[i].at("name") == json::value(std::string(features::feature_names[i])));
    CHECK(mlmodel["run_id"].as<std::string>() == "run-123");

    auto metrics = json::read_file(out / "metrics.json").as_object();
    CHECK(metrics.at("train").at("n").to_number<std::int64_t>() == 1350);
    CHECK(metrics.at("validation").at("n").to_number<std::int64_t>() == 150);
    CHECK(metrics.at("test").at("n").to_number<std::int64_t>() == 400);
    CHECK(metrics.at("test").at("r2").as_double() > 0.95);  // cost = 3*distance + noise
    CHECK(metrics.at("trees").to_number<int>() == 20);
    CHECK(metrics.at("best_iteration").to_number<int>() == 19);

    auto importance = json::read_file(out / "feature_importance.json").as_object();
    const auto& gain = importance.at("gain").as_object();
    CHECK(gain.size() == features::feature_count);
    for (const auto& [name, value] : gain)
        if (name != "distance") CHECK(gain.at("distance").as_double() > value.to_number<double>());

    auto manifest = json::read_file(out / "manifest.json").as_object();
    CHECK(manifest.at("run_id") == "run-123");
    CHECK(manifest.at("commit_sha") == "abc123def");
    CHECK(manifest.at("inputs").at("train").at("files").as_array()[0].at("sha256") ==
          json::value(sha256_file(d.train / "train.csv")));
    CHECK(manifest.at("params").at("n_estimators").to_number<int>() == 20);
    CHECK(manifest.at("model_sha256") == json::value(sha256_file(out / "model.json")));
}

TEST_CASE("same data, parameters, seed and threads give a byte-identical model.json") {
    auto& d = shared();
    // Two threads, so the parallel histogram code is covered; passive OpenMP waiting keeps the
    // threads from spinning against the other tests ctest runs at the same time.
    const std::vector<std::string> env{"OMP_WAIT_POLICY=PASSIVE"};
    auto a = train(d.dir / "det-a", {"--nthread", "2", "--subsample", "0.8"}, env);
    auto b = train(d.dir / "det-b", {"--nthread", "2", "--subsample", "0.8"}, env);
    REQUIRE(a.exit_code == 0);
    REQUIRE(b.exit_code == 0);
    CHECK(read_file(d.dir / "det-a/model.json") == read_file(d.dir / "det-b/model.json"));
    auto c = train(d.dir / "det-c", {"--nthread", "2", "--subsample", "0.8", "--seed", "7"}, env);
    REQUIRE(c.exit_code == 0);
    CHECK(read_file(d.dir / "det-c/model.json") != read_file(d.dir / "det-a/model.json"));
}

TEST_CASE("a parameter file is applied and flags override it") {
    auto& d = shared();
    test::write_text(d.dir / "params.yaml", "n_estimators: 7\nmax_depth: 3\neta: 0.2\n");
    auto r = run_tool("aml-train", {"--train", d.train.string(), "--output", (d.dir / "pf").string(), "--params",
                                    (d.dir / "params.yaml").string(), "--max-depth", "2", "--nthread", "1"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto manifest = json::read_file(d.dir / "pf/manifest.json").as_object();
    CHECK(manifest.at("params").at("n_estimators").to_number<int>() == 7);
    CHECK(manifest.at("params").at("max_depth").to_number<int>() == 2);
    CHECK(manifest.at("params").at("eta").as_double() == 0.2);
    CHECK(manifest.at("inputs").at("params_file").at("sha256") == json::value(sha256_file(d.dir / "params.yaml")));
}

TEST_CASE("bad parameters exit 2 naming the file and key, or the field") {
    auto& d = shared();
    const fs::path file = d.dir / "bad.yaml";

    test::write_text(file, "n_estimators: 10\nnum_round: 3\n");
    auto unknown = train(d.dir / "bad1", {"--params", file.string()});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err.find("bad.yaml") != std::string::npos);
    CHECK(unknown.err.find("num_round") != std::string::npos);
    auto doc = stdout_doc(unknown);
    CHECK(doc.at("error").at("field") == "num_round");
    CHECK(!fs::exists(d.dir / "bad1/MLmodel"));

    test::write_text(file, "eta: fast\n");
    auto type = train(d.dir / "bad2", {"--params", file.string()});
    CHECK(type.exit_code == 2);
    CHECK(type.err.find("eta") != std::string::npos);
    CHECK(type.err.find("expected a number") != std::string::npos);

    auto range = run_tool("aml-train", {"--train", d.train.string(), "--output", (d.dir / "bad3").string(), "--eta", "0"});
    CHECK(range.exit_code == 2);
    CHECK(stdout_doc(range).at("error").at("field") == "eta");

    auto flag = train(d.dir / "bad4", {"--max-depth", "deep"});
    CHECK(flag.exit_code == 2);
    CHECK(flag.err.find("--max-depth") != std::string::npos);

    auto missing = run_tool("aml-train", {"--output", (d.dir / "bad5").string()});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("train") != std::string::npos);
}

TEST_CASE("training data without the cost column exits 2 naming it") {
    auto& d = shared();
    std::vector<std::string> columns;
    for (auto n : features::feature_names) columns.emplace_back(n);
    test::write_text(d.dir / "nocost/train.csv", test::synthetic_csv(50, 3, columns));
    auto r = run_tool("aml-train", {"--train", (d.dir / "nocost").string(), "--output", (d.dir / "nc").string()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("cost") != std::string::npos);
}

TEST_CASE("--help lists every training parameter flag") {
    auto r = run_tool("aml-train", {"--help"});
    CHECK(r.exit_code == 0);
    for (const char* flag : {"--n-estimators", "--max-depth", "--eta", "--subsample", "--colsample-bytree",
                             "--min-child-weight", "--lambda", "--alpha", "--max-bin", "--tree-method", "--nthread",
                             "--seed", "--early-stopping-rounds", "--validation-fraction", "--objective"})
        CHECK(r.out.find(flag) != std::string::npos);
}

namespace {

// Checks an Azure ML command component against the rules of docs/AML-YAML.md and against the
// tool's real flags: declared bindings only, optional inputs only inside $[[...]], known flags.
void check_component(const std::string& tool, const fs::path& yaml) {
    INFO(yaml);
    YAML::Node c = YAML::LoadFile(yaml.string());
    CHECK(c["$schema"].as<std::string>() == "https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json");
    CHECK(c["type"].as<std::string>() == "command");
    const std::string name = c["name"].as<std::string>();
    CHECK(std::regex_match(name, std::regex("[a-z][a-z0-9_]*")));
    CHECK(c["environment"].IsScalar());
    const std::string command = c["command"].as<std::string>();
    CHECK(command.find('\\') == std::string::npos);
    CHECK(command.rfind(tool + " ", 0) == 0);

    // Optional blocks first, then the bindings left outside them.
    std::string outside = command;
    std::regex block(R"(\$\[\[(.*?)\]\])");
    for (std::sregex_iterator it(command.begin(), command.end(), block), end; it != end; ++it) {
        std::smatch m;
        std::string inner = (*it)[1].str();
        REQUIRE(std::regex_search(inner, m, std::regex(R"(\$\{\{inputs\.([a-z_0-9]+)\}\})")));
        INFO("optional block " << inner);
        CHECK(c["inputs"][m[1].str()]["optional"].as<bool>(false));
    }
    outside = std::regex_replace(outside, block, "");
    std::regex binding(R"(\$\{\{(inputs|outputs)\.([a-z_0-9]+)\}\})");
    for (std::sregex_iterator it(outside.begin(), outside.end(), binding), end; it != end; ++it) {
        INFO("binding " << (*it)[0].str());
        REQUIRE(c[(*it)[1].str()][(*it)[2].str()]);
        if ((*it)[1].str() == "inputs") CHECK_FALSE(c["inputs"][(*it)[2].str()]["optional"].as<bool>(false));
    }
    for (const auto& kv : c["inputs"]) {
        INFO("input " << kv.first.as<std::string>());
        CHECK(command.find("${{inputs." + kv.first.as<std::string>() + "}}") != std::string::npos);
    }

    auto help = run_tool(tool, {"--help"}).out;
    std::regex flag(R"((--[a-z][a-z-]*))");
    for (std::sregex_iterator it(command.begin(), command.end(), flag), end; it != end; ++it) {
        INFO("flag " << (*it)[1].str());
        CHECK(help.find((*it)[1].str() + " ") != std::string::npos);
    }
}

}  // namespace

TEST_CASE("the train and score components bind only declared inputs to real flags") {
    const fs::path tools = fs::path(AMLOPS_SOURCE_DIR) / "tools";  // not __FILE__: ccache may make it relative
    check_component("aml-train", tools / "train/component.yaml");
    check_component("aml-score", tools / "score/component.yaml");
}
