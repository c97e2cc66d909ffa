// Black-box tests of drift detection through the tools: aml-train's profile.json, aml-score
// --drift / --drift-threshold (exit 3 on drift, not without), and older model folders without a
// profile.
#include "amlops/core/atomic_file.hpp"
#include "amlops/core/json.hpp"
#include "../model/synthetic_taxi.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

using namespace amlops;
using amlops::test::run_tool;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

struct fixture {
    test::scratch_dir dir{"tool-score-drift"};
    fs::path model = dir / "model";
    fixture() {
        test::write_text(dir / "train/train.csv", test::synthetic_csv(2000, 1));
        auto r = run_tool("aml-train", {"--train", (dir / "train").string(), "--output", model.string(), "--n-estimators", "20",
                                        "--max-depth", "3", "--threads", "1"});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        test::write_text(dir / "same/batch.csv", test::synthetic_csv(1000, 2));
        // The same rows with every distance doubled (distance is the first column).
        std::istringstream in(test::synthetic_csv(1000, 2));
        std::string line, out;
        std::getline(in, line);
        out = line + "\n";
        while (std::getline(in, line)) {
            const auto comma = line.find(',');
            out += std::to_string(std::stod(line.substr(0, comma)) * 2) + line.substr(comma) + "\n";
        }
        test::write_text(dir / "shifted/batch.csv", out);
    }
};

fixture& shared() {
    static fixture f;
    return f;
}

test::run_result score(const fs::path& model, const fs::path& data, const fs::path& out, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--model", model.string(), "--input", data.string(), "--output", out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_tool("aml-score", args);
}

json::object stdout_doc(const test::run_result& r) { return json::parse(r.out, "stdout").as_object(); }

}  // namespace

TEST_CASE("aml-train writes the training profile and guards it with the manifest") {
    auto& f = shared();
    const auto profile = json::read_file(f.model / "profile.json").as_object();
    CHECK(profile.at("rows").to_number<std::int64_t>() == 2000);
    const auto& features = profile.at("features").as_array();
    REQUIRE(features.size() == features::feature_count);
    CHECK(features[0].at("name").as_string() == "distance");
    CHECK(features[0].at("kind").as_string() == "continuous");
    CHECK(features[0].at("psi_counts").as_array().size() == 10);
    const auto manifest = json::read_file(f.model / "manifest.json").as_object();
    CHECK(manifest.at("files").as_object().contains("profile.json"));

    // An edited profile is refused like an edited model: exit 2 naming the file.
    test::scratch_dir d("tool-score-drift-edit");
    fs::copy(f.model, d / "model");
    const std::string text = read_file(d / "model/profile.json");
    test::write_text(d / "model/profile.json", text.substr(0, text.size() - 2) + " }");
    auto r = score(d / "model", f.dir / "same", d / "out", {"--drift"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out, Contains("profile.json"));
}

TEST_CASE("aml-score --drift-threshold passes a batch like the training rows") {
    auto& f = shared();
    auto r = score(f.model, f.dir / "same", f.dir / "out-same", {"--drift-threshold", "0.25", "--drift-ks-threshold", "0.1"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto doc = stdout_doc(r);
    CHECK(doc.at("status").as_string() == "ok");
    const auto& drift = doc.at("result").at("drift").as_object();
    CHECK(drift.at("status").as_string() == "ok");
    CHECK(drift.at("rows").to_number<std::int64_t>() == 1000);
    CHECK(drift.at("drifting").as_array().empty());
    CHECK(drift.at("features").at("distance").at("psi").as_double() < 0.1);
    CHECK(json::read_file(f.dir / "out-same/drift.json").as_object() == drift);
    CHECK(doc.at("outputs").as_object().contains("drift"));

    // Scoring again without --drift removes the report, which would describe other predictions.
    REQUIRE(score(f.model, f.dir / "same", f.dir / "out-same").exit_code == 0);
    CHECK_FALSE(fs::exists(f.dir / "out-same/drift.json"));
}

TEST_CASE("aml-score exits 3 on drift, naming the drifting feature, and still writes predictions") {
    auto& f = shared();
    auto r = score(f.model, f.dir / "shifted", f.dir / "out-shifted", {"--drift-threshold", "0.25"});
    INFO(r.err);
    CHECK(r.exit_code == 3);
    const auto doc = stdout_doc(r);
    CHECK(doc.at("status").as_string() == "rejected");
    const auto& result = doc.at("result").as_object();
    const auto& drifting = result.at("drift").at("drifting").as_array();
    REQUIRE(drifting.size() == 1);
    CHECK(drifting[0].at("feature").as_string() == "distance");
    CHECK(drifting[0].at("psi").as_double() > 0.25);
    CHECK_THAT(std::string(result.at("reasons").as_array().at(0).as_string()), Contains("distance: PSI"));
    CHECK_THAT(r.err, Contains("distance: PSI"));
    const std::string predictions = read_file(f.dir / "out-shifted/predictions.csv");
    CHECK(std::count(predictions.begin(), predictions.end(), '\n') == 1001);
    CHECK(fs::exists(f.dir / "out-shifted/drift.json"));

    // The KS limit alone catches it too; --drift alone only reports.
    CHECK(score(f.model, f.dir / "shifted", f.dir / "out-ks", {"--drift-ks-threshold", "0.2"}).exit_code == 3);
    auto report = score(f.model, f.dir / "shifted", f.dir / "out-report", {"--drift"});
    CHECK(report.exit_code == 0);
    CHECK(stdout_doc(report).at("result").at("drift").at("features").at("distance").at("ks").as_double() > 0.2);
}

TEST_CASE("a model folder from before profiles still scores, and drift says 'no profile'") {
    auto& f = shared();
    test::scratch_dir d("tool-score-drift-old");
    const auto old = d / "model";
    fs::copy(f.model, old);
    fs::remove(old / "profile.json");
    auto manifest = json::read_file(old / "manifest.json").as_object();
    manifest["files"].as_object().erase("profile.json");
    json::write_file(old / "manifest.json", manifest);

    auto plain = score(old, f.dir / "same", d / "plain");
    CHECK(plain.exit_code == 0);
    auto report = score(old, f.dir / "same", d / "report", {"--drift"});
    INFO(report.err);
    REQUIRE(report.exit_code == 0);
    CHECK(stdout_doc(report).at("result").at("drift").at("status").as_string() == "no profile");
    CHECK_THAT(report.err, Contains("no profile.json"));
    // A drift gate that cannot look must not pass: exit 2 before anything is scored.
    auto gate = score(old, f.dir / "same", d / "gate", {"--drift-threshold", "0.25"});
    CHECK(gate.exit_code == 2);
    CHECK_THAT(gate.out, Contains("no training profile"));
    CHECK_FALSE(fs::exists(d / "gate/predictions.csv"));
}

TEST_CASE("drift limits are checked while parsing") {
    auto& f = shared();
    auto r = score(f.model, f.dir / "same", f.dir / "bad", {"--drift-threshold", "-1"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.out + r.err, Contains("--drift-threshold"));
    CHECK(score(f.model, f.dir / "same", f.dir / "bad", {"--drift-ks-threshold", "1.5"}).exit_code == 2);
}
