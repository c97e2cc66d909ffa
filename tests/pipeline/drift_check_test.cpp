// End to end: the real pipelines/drift-check.yaml with the real tools on generated data -- a
// registered champion, a batch like its training rows (the run passes) and a shifted batch (the
// score step exits 3, so the run is "rejected" and aml-pipeline exits 3: the retrain trigger).
#include "amlops/core/atomic_file.hpp"
#include "amlops/core/json.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>
#include <string>

using namespace amlops;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

const fs::path source_dir = AMLOPS_SOURCE_DIR;

// `csv` with the named column multiplied by `scale`.
std::string scale_column(const std::string& csv, const std::string& column, double scale) {
    std::istringstream in(csv);
    std::string header, line, out;
    std::getline(in, header);
    out = header + "\n";
    std::size_t index = 0;
    for (std::size_t start = 0, i = 0;; ++i) {
        const auto comma = header.find(',', start);
        if (header.substr(start, comma - start) == column) index = i;
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    while (std::getline(in, line)) {
        std::vector<std::string> cells;
        std::stringstream cs(line);
        for (std::string c; std::getline(cs, c, ',');) cells.push_back(c);
        cells.at(index) = std::to_string(std::stod(cells.at(index)) * scale);
        for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + cells[i];
        out += "\n";
    }
    return out;
}

}  // namespace

TEST_CASE("drift-check.yaml passes a batch like the training rows and fails a shifted one with exit 3") {
    test::scratch_dir dir("drift-check");
    const auto ws = (dir / "ws").string();
    REQUIRE(test::run_tool("aml-datagen", {"--output", (dir / "raw").string(), "--rows", "3000", "--seed", "11"}).exit_code == 0);
    auto t = test::run_tool("aml-transform", {"--input", (dir / "raw").string(), "--output", (dir / "features").string()});
    INFO(t.err);
    REQUIRE(t.exit_code == 0);
    auto trained = test::run_tool("aml-train", {"--train", (dir / "features/train.csv").string(), "--output", (dir / "model").string(),
                                          "--n-estimators", "20", "--max-depth", "4", "--threads", "1"});
    INFO(trained.err);
    REQUIRE(trained.exit_code == 0);
    // Registered the ordinary way: a gate decision first (no champion yet, a lenient policy).
    amlops::test::write_text(dir / "gate.yaml", "primary_metric: rmse\nmin_relative_improvement: 0.0\nmax_rmse: 1000\n");
    REQUIRE(test::run_tool("aml-compare", {"--candidate", (dir / "model").string(), "--test", (dir / "features/test.csv").string(),
                                     "--policy", (dir / "gate.yaml").string(), "--output", (dir / "decision").string()})
                .exit_code == 0);
    auto reg = test::run_tool("aml-register", {"--model", (dir / "model").string(), "--decision", (dir / "decision").string(),
                                         "--registry", "dev", "--name", "taxi-fare", "--set-alias", "champion", "--workspace", ws});
    INFO(reg.err);
    REQUIRE(reg.exit_code == 0);

    const std::string test_rows = amlops::read_file(dir / "features/test.csv");
    amlops::test::write_text(dir / "batch-same/batch.csv", test_rows);
    amlops::test::write_text(dir / "batch-shifted/batch.csv", scale_column(test_rows, "distance", 2.0));

    auto run = [&](const std::string& batch) {
        return test::run_tool("aml-pipeline", {(source_dir / "pipelines/drift-check.yaml").string(), "--workspace", ws, "--set",
                                         "inputs.batch.path=" + (dir / batch).string()});
    };
    const auto same = run("batch-same");
    INFO(same.err);
    REQUIRE(same.exit_code == 0);
    const auto rec = json::parse(same.out, "stdout").as_object().at("result").as_object();
    const fs::path scores(std::string(rec.at("jobs").at("score").at("outputs").at("score_output").at("path").as_string()));
    const auto report = json::read_file(scores / "drift.json").as_object();
    CHECK(report.at("status").as_string() == "ok");
    CHECK(report.at("limits").at("psi").as_double() == 0.25);

    const auto shifted = run("batch-shifted");
    INFO(shifted.err);
    CHECK(shifted.exit_code == 3);
    const auto doc = json::parse(shifted.out, "stdout").as_object();
    CHECK(doc.at("status").as_string() == "rejected");
    const auto& evidence = doc.at("result").at("evidence").as_object();
    CHECK_THAT(std::string(evidence.at("message").as_string()), Contains("score (failed, exit code 3)"));
    // The step's log names the drifting feature; its drift.json is published all the same.
    const fs::path step_log(std::string(evidence.at("file").as_string()));
    CHECK_THAT(amlops::read_file(step_log), Contains("drift: distance: PSI"));
    const auto drifted = json::read_file(step_log.parent_path() / "score_output/drift.json").as_object();
    CHECK(drifted.at("status").as_string() == "drift");
    CHECK(drifted.at("drifting").as_array().at(0).at("feature").as_string() == "distance");
}
