// Black-box tests of the fare-class task through the tools: aml-train --task classification,
// aml-score, aml-compare's classification gate, aml-predict (labels, probabilities) and the
// scoring server, plus the errors a user can cause (wrong task, tampered classes, wrong policy).
#include "amlops/core/atomic_file.hpp"
#include "amlops/core/json.hpp"
#include "../serve/serve_fixture.hpp"
#include "serve_process.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <sstream>

using namespace amlops;
using amlops::test::run_tool;
namespace fs = std::filesystem;

namespace {

// Models trained once per process: a classifier (with a test set), a weak classifier (the
// champion a better candidate beats), and a regressor (for the wrong-task errors).
struct fixture {
    test::scratch_dir dir{"tool-classify"};
    fs::path train = dir / "train.csv", test_csv = dir / "test.csv";
    fs::path good = dir / "good", weak = dir / "weak", regressor = dir / "regressor";
    fixture() {
        test::write_text(train, test::synthetic_csv(1200, 11));
        test::write_text(test_csv, test::synthetic_csv(400, 12));
        for (const auto& [out, rounds, depth] : {std::tuple{good, "15", "4"}, std::tuple{weak, "2", "1"}}) {
            auto r = run_tool("aml-train", {"--train", train.string(), "--test", test_csv.string(), "--task", "classification",
                                            "--n-estimators", rounds, "--max-depth", depth, "--threads", "1", "-o", out.string()});
            INFO(r.err);
            REQUIRE(r.exit_code == 0);
        }
        auto r = run_tool("aml-train", {"--train", train.string(), "--n-estimators", "3", "--threads", "1", "-o", regressor.string()});
        REQUIRE(r.exit_code == 0);
    }
};

fixture& shared() {
    static fixture f;
    return f;
}

std::string policy(const fs::path& dir) {
    const auto p = dir / "gate.yaml";
    test::write_text(p, "task: classification\nmax_accuracy_drop: 0.0\nmax_log_loss_rise: 0.0\nmin_accuracy: 0.2\n");
    return p.string();
}

}  // namespace

TEST_CASE("aml-train --task classification writes fare classes and classification metrics") {
    auto& f = shared();
    const auto classes = json::read_file(f.good / "fare_classes.json");
    CHECK(classes.at("labels").as_array().size() == 10);
    const auto& b = classes.at("boundaries").as_array();
    REQUIRE(b.size() == 9);
    CHECK(std::is_sorted(b.begin(), b.end(), [](const json::value& x, const json::value& y) { return x.to_number<double>() < y.to_number<double>(); }));
    const auto metrics = json::read_file(f.good / "metrics.json");
    CHECK(metrics.at("task").as_string() == "classification");
    const auto& test = metrics.at("test").as_object();
    CHECK(test.at("accuracy").to_number<double>() > 0.3);  // ten classes: chance is 0.1
    CHECK(test.at("log_loss").to_number<double>() < std::log(10.0));
    const auto manifest = json::read_file(f.good / "manifest.json");
    CHECK(manifest.at("task").as_string() == "classification");
    CHECK(manifest.at("files").as_object().contains("fare_classes.json"));
    const auto model = test::read_text(f.good / "model.json");
    CHECK(model.find("multi:softprob") != std::string::npos);
    CHECK(!fs::exists(f.regressor / "fare_classes.json"));
}

TEST_CASE("aml-score labels a classifier's rows and reports accuracy, macro-F1, log-loss and the confusion matrix") {
    auto& f = shared();
    auto r = run_tool("aml-score", {"--model", f.good.string(), "--input", f.test_csv.string(), "-o", (f.dir / "scored").string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto lines = test::read_text(f.dir / "scored/predictions.csv");
    CHECK(lines.rfind("actual,predicted\n", 0) == 0);
    CHECK(std::count(lines.begin(), lines.end(), '\n') == 401);
    CHECK(lines.find("\nA,") != std::string::npos);
    const auto m = json::read_file(f.dir / "scored/metrics.json");
    std::size_t total = 0;
    for (const auto& row : m.at("confusion_matrix").at("counts").as_array())
        for (const auto& v : row.as_array()) total += v.to_number<std::size_t>();
    CHECK(total == 400);
    // The same numbers as aml-train's test metrics: one set of boundaries, one model.
    const auto trained = json::read_file(f.good / "metrics.json").at("test");
    CHECK(m.at("accuracy").to_number<double>() == trained.at("accuracy").to_number<double>());
    CHECK(m.at("log_loss").to_number<double>() == Catch::Detail::Approx(trained.at("log_loss").to_number<double>()));
}

TEST_CASE("aml-score --probabilities adds each class's probability after the label; a regressor refuses it") {
    auto& f = shared();
    auto r = run_tool("aml-score", {"--model", f.good.string(), "--input", f.test_csv.string(), "--probabilities", "-o",
                                    (f.dir / "scored-p").string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto text = test::read_text(f.dir / "scored-p/predictions.csv");
    CHECK(text.rfind("actual,predicted,p_A,p_B,p_C,p_D,p_E,p_F,p_G,p_H,p_I,p_J\n", 0) == 0);
    // Every row: two labels and ten probabilities that sum to 1, the label the most probable class.
    std::istringstream lines(text);
    std::string line;
    std::getline(lines, line);
    std::size_t rows = 0;
    const std::string labels = "ABCDEFGHIJ";
    while (std::getline(lines, line)) {
        std::vector<std::string> cells;
        std::istringstream cs(line);
        for (std::string c; std::getline(cs, c, ',');) cells.push_back(c);
        REQUIRE(cells.size() == 12);
        double sum = 0, best = -1;
        std::size_t best_class = 0;
        for (std::size_t c = 0; c < 10; ++c) {
            const double p = std::stod(cells[2 + c]);
            sum += p;
            if (p > best) best = p, best_class = c;
        }
        CHECK(sum == Approx(1.0).epsilon(1e-5));
        CHECK(cells[1] == std::string(1, labels[best_class]));
        ++rows;
    }
    CHECK(rows == 400);
    // Labels and metrics as without the flag.
    REQUIRE(run_tool("aml-score", {"--model", f.good.string(), "--input", f.test_csv.string(), "-o", (f.dir / "scored-l").string()}).exit_code == 0);
    CHECK(test::read_text(f.dir / "scored-p/metrics.json") == test::read_text(f.dir / "scored-l/metrics.json"));

    r = run_tool("aml-score", {"--model", f.regressor.string(), "--input", f.test_csv.string(), "--probabilities", "-o",
                               (f.dir / "scored-r").string()});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--probabilities needs a classifier"));
    CHECK_FALSE(fs::exists(f.dir / "scored-r/predictions.csv"));
}

TEST_CASE("a model of one task scored as the other, an unknown task or tampered classes exit 2") {
    auto& f = shared();
    auto r = run_tool("aml-score", {"--model", f.good.string(), "--input", f.test_csv.string(), "--task", "regression", "-o", (f.dir / "s1").string()});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("classification model"));
    r = run_tool("aml-score", {"--model", f.regressor.string(), "--input", f.test_csv.string(), "--task", "classification", "-o", (f.dir / "s2").string()});
    CHECK(r.exit_code == 2);
    r = run_tool("aml-train", {"--train", f.train.string(), "--task", "ranking", "-o", (f.dir / "m").string()});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("--task"));
    r = run_tool("aml-train", {"--train", f.train.string(), "--task", "classification", "--objective", "reg:squaredlogerror", "-o", (f.dir / "m").string()});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("objective"));
    // One edited boundary: the manifest's hash refuses the folder.
    const fs::path copy = f.dir / "tampered";
    fs::copy(f.good, copy, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    auto text = test::read_text(copy / "fare_classes.json");
    text.replace(text.find("\"boundaries\": ["), 15, "\"boundaries\": [0.5, ");
    auto doc = json::parse(text, "t");
    doc.as_object()["boundaries"].as_array().pop_back();
    test::write_text(copy / "fare_classes.json", json::pretty(doc));
    r = run_tool("aml-score", {"--model", copy.string(), "--input", f.test_csv.string(), "-o", (f.dir / "s3").string()});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("fare_classes.json"));
}

TEST_CASE("aml-compare gates classifiers on accuracy and log-loss, and a regression policy for a classifier exits 2") {
    auto& f = shared();
    const std::string gate = policy(f.dir.path());
    auto r = run_tool("aml-compare", {"--candidate", f.good.string(), "--champion", f.weak.string(), "--test", f.test_csv.string(),
                                      "--policy", gate, "-o", (f.dir / "c1").string()});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    const auto d = json::read_file(f.dir / "c1/decision.json");
    CHECK(d.at("decision").as_string() == "approve");
    CHECK(d.at("metrics").at("delta").at("accuracy").to_number<double>() > 0);
    r = run_tool("aml-compare", {"--candidate", f.weak.string(), "--champion", f.good.string(), "--test", f.test_csv.string(),
                                 "--policy", gate, "-o", (f.dir / "c2").string()});
    CHECK(r.exit_code == 3);
    const auto rejected = json::read_file(f.dir / "c2/decision.json");
    CHECK(rejected.at("decision").as_string() == "reject");
    bool accuracy_failed = false;
    for (const auto& c : rejected.at("checks").as_array())
        accuracy_failed = accuracy_failed || (c.at("name").as_string() == "max_accuracy_drop" && !c.at("passed").as_bool());
    CHECK(accuracy_failed);
    test::write_text(f.dir / "regression-gate.yaml", "primary_metric: rmse\n");
    r = run_tool("aml-compare", {"--candidate", f.good.string(), "--test", f.test_csv.string(), "--policy",
                                 (f.dir / "regression-gate.yaml").string(), "-o", (f.dir / "c3").string()});
    CHECK(r.exit_code == 2);
    test::write_text(f.dir / "typo-gate.yaml", "task: classification\nmax_acuracy_drop: 0.1\n");
    r = run_tool("aml-compare", {"--candidate", f.good.string(), "--test", f.test_csv.string(), "--policy",
                                 (f.dir / "typo-gate.yaml").string(), "-o", (f.dir / "c4").string()});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("max_acuracy_drop"));
}

TEST_CASE("aml-predict returns class labels, and each class's probability on request") {
    auto& f = shared();
    auto r = run_tool("aml-predict", {"--model", f.good.string(), "--input", f.test_csv.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto labels = json::parse(r.out, "out").at("result").at("predictions").as_array();
    REQUIRE(labels.size() == 400);
    CHECK(labels[0].is_string());
    r = run_tool("aml-predict", {"--model", f.good.string(), "--input", f.test_csv.string(), "--probabilities", "-o", (f.dir / "p.csv").string()});
    REQUIRE(r.exit_code == 0);
    const auto csv = test::read_text(f.dir / "p.csv");
    CHECK(csv.rfind("predicted,p_A,p_B,p_C,p_D,p_E,p_F,p_G,p_H,p_I,p_J\n", 0) == 0);
    // The probabilities of a row sum to 1 and the label is the most probable class.
    const auto first = csv.substr(csv.find('\n') + 1, csv.find('\n', csv.find('\n') + 1) - csv.find('\n') - 1);
    std::vector<double> p;
    for (std::size_t at = first.find(','); at != std::string::npos; at = first.find(',', at + 1)) p.push_back(std::stod(first.substr(at + 1)));
    REQUIRE(p.size() == 10);
    CHECK(std::accumulate(p.begin(), p.end(), 0.0) == Catch::Detail::Approx(1.0).epsilon(1e-5));
    CHECK(first.substr(0, 1) == std::string(1, static_cast<char>('A' + (std::max_element(p.begin(), p.end()) - p.begin()))));
    CHECK(first.substr(0, 1) == std::string(labels[0].as_string()));
    // A JSON payload asks through MLflow's params object.
    test::write_text(f.dir / "rows.json", R"({"params": {"probabilities": true}, "data": )" + test::rows_json(2, 5) + "}");
    r = run_tool("aml-predict", {"--model", f.good.string(), "--input", (f.dir / "rows.json").string()});
    REQUIRE(r.exit_code == 0);
    const auto rows = json::parse(r.out, "out").at("result").at("predictions").as_array();
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].at("probabilities").as_object().size() == 10);
    CHECK(rows[0].at("label").is_string());
}

TEST_CASE("the scoring server answers a classifier with labels, and probabilities when the payload asks") {
    auto& f = shared();
    test::serve_process server(f.dir.path(), {"--model", f.good.string()}, {});
    const auto port = static_cast<std::uint16_t>(std::stoi(server.uri().substr(server.uri().rfind(':') + 1)));
    test::wait_ready(port);
    const std::string rows = test::rows_json(3, 7);
    auto plain = server::fetch("127.0.0.1", port, {"POST", "/score", R"({"data": )" + rows + "}"});
    REQUIRE(plain.status == 200);
    const auto labels = json::parse(plain.body, "r").as_array();
    REQUIRE(labels.size() == 3);
    CHECK(labels[0].is_string());
    auto with = server::fetch("127.0.0.1", port, {"POST", "/score", R"({"params": {"probabilities": true}, "data": )" + rows + "}"});
    REQUIRE(with.status == 200);
    const auto answers = json::parse(with.body, "r").as_array();
    REQUIRE(answers.size() == 3);
    CHECK(answers[0].at("label") == labels[0]);
    CHECK(answers[0].at("probabilities").as_object().size() == 10);
    auto bad = server::fetch("127.0.0.1", port, {"POST", "/score", R"({"params": {"probabilities": "yes"}, "data": )" + rows + "}"});
    CHECK(bad.status == 400);
    // swagger.json describes the answers as labels, not numbers.
    auto swagger = server::fetch("127.0.0.1", port, {"GET", "/swagger.json", ""});
    REQUIRE(swagger.status == 200);
    const auto item = json::parse(swagger.body, "swagger").at("definitions").at("ServiceOutput").at("items").as_object();
    CHECK(item.at("type") == "string");
    CHECK(item.at("enum").as_array().size() == 10);
    const auto& known = item.at("enum").as_array();
    CHECK(std::find(known.begin(), known.end(), labels[0]) != known.end());
}
