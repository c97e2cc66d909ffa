#include "amlops/model/param_flags.hpp"
#include "amlops/model/params.hpp"

#include "amlops/core/error.hpp"
#include "test_support.hpp"

#include <boost/program_options.hpp>
#include <catch2/catch.hpp>

using namespace amlops;
namespace po = boost::program_options;


TEST_CASE("defaults are the published sample's settings and are valid") {
    model::train_params p;
    CHECK(p.objective == "reg:squarederror");
    CHECK(p.n_estimators == 200);
    CHECK(p.max_depth == 8);
    CHECK(p.eta == 0.1);
    CHECK(p.tree_method == "hist");
    CHECK(p.seed == 42);
    CHECK(p.early_stopping_rounds == 0);
    CHECK_NOTHROW(p.validate());
    CHECK(model::param_names().size() == 15);
    CHECK(p.to_json().size() == 15);
}

TEST_CASE("YAML parameter file: integers for real-valued fields are fine") {
    test::scratch_dir dir("params-yaml");
    test::write_text(dir / "p.yaml",
                     "# comment\nobjective: reg:squarederror\nn_estimators: 120\nmax_depth: 6\neta: 0.05\n"
                     "min_child_weight: 1\nlambda: 2\ntree_method: hist\nseed: 7\nearly_stopping_rounds: 10\n");
    auto p = model::load_params_file(dir / "p.yaml");
    CHECK(p.n_estimators == 120);
    CHECK(p.max_depth == 6);
    CHECK(p.eta == 0.05);
    CHECK(p.lambda == 2.0);
    CHECK(p.seed == 7);
    CHECK(p.early_stopping_rounds == 10);
    CHECK(p.subsample == 1.0);  // untouched default
    // The shipped pipeline configuration parses.
    test::write_text(dir / "empty.yaml", "# nothing\n");
    CHECK(model::load_params_file(dir / "empty.yaml").n_estimators == 200);
}

TEST_CASE("JSON parameter file") {
    test::scratch_dir dir("params-json");
    test::write_text(dir / "p.json", R"({"n_estimators": 50, "eta": 0.3, "subsample": 0.8, "tree_method": "approx"})");
    auto p = model::load_params_file(dir / "p.json");
    CHECK(p.n_estimators == 50);
    CHECK(p.eta == 0.3);
    CHECK(p.subsample == 0.8);
    CHECK(p.tree_method == "approx");
}

TEST_CASE("an unknown key names the file and the key, exit code 2") {
    test::scratch_dir dir("params-unknown");
    test::write_text(dir / "p.yaml", "n_estimators: 10\nlearning_rate: 0.1\n");
    auto e = test::error_of([&] { model::load_params_file(dir / "p.yaml"); });
    CHECK(e.exit_code() == 2);
    CHECK(e.context().field == std::optional<std::string>("learning_rate"));
    CHECK(e.context().file == std::optional<std::string>((dir / "p.yaml").string()));
    CHECK(e.context().line == std::optional<std::uint64_t>(2));
    CHECK(std::string(e.what()).find("unknown parameter 'learning_rate'") != std::string::npos);

    test::write_text(dir / "p.json", R"({"max_leaves": 3})");
    auto j = test::error_of([&] { model::load_params_file(dir / "p.json"); });
    CHECK(j.exit_code() == 2);
    CHECK(j.context().field == std::optional<std::string>("max_leaves"));
}

TEST_CASE("a wrong type names the field and what was expected") {
    test::scratch_dir dir("params-type");
    struct bad {
        std::string file, text, field, expected;
    };
    const bad cases[] = {
        {"a.yaml", "eta: fast\n", "eta", "expected a number"},
        {"b.yaml", "n_estimators: 2.5\n", "n_estimators", "expected an integer"},
        {"c.yaml", "eta: '0.1'\n", "eta", "expected a number"},
        {"d.yaml", "max_depth: [1, 2]\n", "max_depth", "expected an integer"},
        {"e.yaml", "eta:\n", "eta", "null"},
        {"f.json", R"({"eta": "0.1"})", "eta", "expected a number"},
        {"g.json", R"({"n_estimators": 2.0})", "n_estimators", "expected an integer"},
        {"h.json", R"({"objective": 3})", "objective", "expected a string"},
    };
    for (const auto& c : cases) {
        INFO(c.file << ": " << c.text);
        test::write_text(dir / c.file, c.text);
        auto e = test::error_of([&] { model::load_params_file(dir / c.file); });
        CHECK(e.exit_code() == 2);
        CHECK(e.context().field == std::optional<std::string>(c.field));
        CHECK(std::string(e.what()).find(c.expected) != std::string::npos);
    }
}

TEST_CASE("syntax errors and non-mappings name the file") {
    test::scratch_dir dir("params-syntax");
    test::write_text(dir / "p.json", R"({"eta": )");
    CHECK(test::error_of([&] { model::load_params_file(dir / "p.json"); }).context().file.has_value());
    test::write_text(dir / "q.yaml", "- 1\n- 2\n");
    auto e = test::error_of([&] { model::load_params_file(dir / "q.yaml"); });
    CHECK(e.exit_code() == 2);
    CHECK(std::string(e.what()).find("mapping") != std::string::npos);
    CHECK(test::error_of([&] { model::load_params_file(dir / "absent.yaml"); }).kind() == error_kind::not_found);
}

TEST_CASE("ranges are validated, naming the field") {
    auto invalid = [](auto set) {
        model::train_params p;
        set(p);
        return test::error_of([&] { p.validate(); });
    };
    CHECK(invalid([](auto& p) { p.eta = 0; }).context().field == std::optional<std::string>("eta"));
    CHECK(invalid([](auto& p) { p.eta = 1.5; }).context().field == std::optional<std::string>("eta"));
    CHECK(invalid([](auto& p) { p.max_depth = -1; }).context().field == std::optional<std::string>("max_depth"));
    CHECK(invalid([](auto& p) { p.n_estimators = 0; }).context().field == std::optional<std::string>("n_estimators"));
    CHECK(invalid([](auto& p) { p.subsample = 0; }).context().field == std::optional<std::string>("subsample"));
    CHECK(invalid([](auto& p) { p.lambda = -1; }).context().field == std::optional<std::string>("lambda"));
    CHECK(invalid([](auto& p) { p.max_bin = 1; }).context().field == std::optional<std::string>("max_bin"));
    CHECK(invalid([](auto& p) { p.tree_method = "gpu_hist"; }).context().field == std::optional<std::string>("tree_method"));
    CHECK(invalid([](auto& p) { p.objective = "binary:logistic"; }).context().field == std::optional<std::string>("objective"));
    CHECK(invalid([](auto& p) { p.validation_fraction = 0.9; }).context().field ==
          std::optional<std::string>("validation_fraction"));
    auto e = invalid([](auto& p) {
        p.early_stopping_rounds = 5;
        p.validation_fraction = 0;
    });
    CHECK(e.context().field == std::optional<std::string>("validation_fraction"));
    CHECK(e.exit_code() == 2);
    model::train_params ok;
    ok.max_depth = 0;  // unlimited: allowed with hist
    CHECK_NOTHROW(ok.validate());
}

TEST_CASE("flags override the file and bad flag values name the flag") {
    test::scratch_dir dir("params-flags");
    test::write_text(dir / "p.yaml", "n_estimators: 120\neta: 0.05\n");
    po::options_description desc;
    model::param_overrides overrides;
    model::describe_param_flags(desc, overrides);
    const char* argv[] = {"x", "--n-estimators", "30", "--early-stopping-rounds", "4", "--tree-method", "approx"};
    po::variables_map vm;
    po::store(po::parse_command_line(7, argv, desc), vm);
    po::notify(vm);
    CHECK(overrides.size() == 3);
    auto p = model::resolve_params(dir / "p.yaml", overrides);
    CHECK(p.n_estimators == 30);  // flag wins
    CHECK(p.eta == 0.05);         // from the file
    CHECK(p.early_stopping_rounds == 4);
    CHECK(p.tree_method == "approx");

    auto e = test::error_of([&] { model::resolve_params({}, {{"eta", "abc"}}); });
    CHECK(e.exit_code() == 2);
    CHECK(e.context().field == std::optional<std::string>("--eta"));
    auto r = test::error_of([&] { model::resolve_params({}, {{"eta", "2"}}); });
    CHECK(r.context().field == std::optional<std::string>("eta"));
}

TEST_CASE("xgboost parameters carry every tree setting") {
    model::train_params p;
    p.eta = 0.3;
    p.max_depth = 0;
    auto xp = p.xgboost_params();
    auto value = [&](const std::string& k) {
        for (const auto& [n, v] : xp)
            if (n == k) return v;
        return std::string("<absent>");
    };
    CHECK(value("eta") == "0.3");
    CHECK(value("max_depth") == "0");
    CHECK(value("grow_policy") == "lossguide");
    CHECK(value("seed") == "42");
    CHECK(value("n_estimators") == "<absent>");  // the training loop's business
}
