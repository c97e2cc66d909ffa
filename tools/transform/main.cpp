// aml-transform: raw NYC taxi CSVs (green, yellow or merged) -> train.csv / test.csv with the 20
// model features and cost, plus rejects.csv and transform_report.json.
#include "amlops/cli/tool.hpp"
#include "amlops/cli/vocabulary.hpp"
#include "amlops/features/transform.hpp"

namespace {

struct options {
    std::vector<std::string> inputs;
    std::string output, train_output, test_output;
    amlops::features::transform_options transform;
};

void describe(amlops::cli::option_spec& s, options& o) {
    namespace po = amlops::cli::po;
    s.options.add_options()
        ("output,o", po::value(&o.output)->required()->value_name("DIR"), "output folder")
        ("train-output", po::value(&o.train_output)->value_name("DIR"),
         "write train.csv here instead (an Azure ML pipeline binds it to its own output)")
        ("test-output", po::value(&o.test_output)->value_name("DIR"), "write test.csv here instead")
        ("seed", po::value(&o.transform.seed)->default_value(42)->value_name("N"), "split seed")
        ("input", po::value(&o.inputs)->required()->multitoken()->value_name("FILE|DIR"),
         "input CSV files or folders (every *.csv, sorted), in merge order (green first)")
        ("hash-inputs", po::bool_switch(&o.transform.hash_inputs),
         "record each input's sha256 in transform_report.json (off: null there; hashing the inputs costs ~12% of the run)");
    s.positional.add("input", -1);
    amlops::cli::add_fraction(s, "test-ratio", o.transform.test_ratio, 0, 1,
                              "share of kept rows in test.csv, chosen per row by a seeded hash of the row (0..1)");
    amlops::cli::add_fraction(s, "max-reject-ratio", o.transform.max_reject_ratio, 0, 1,
                              "fail (exit 2) when more than this share of rows cannot be parsed; they are listed in rejects.csv");
    amlops::cli::add_threads(s, o.transform.workers, "parsing threads", "0");
}

amlops::json::value run(const options& o, amlops::cli::context& ctx) {
    namespace fs = std::filesystem;
    auto settings = o.transform;
    settings.train_dir = o.train_output;
    settings.test_dir = o.test_output;
    settings.on_input_done = [&](const amlops::features::input_summary& in) {
        ctx.log().info(in.path.string() + ": " + std::string(to_string(in.schema)) + ", " +
                       std::to_string(in.counts.rows_read) + " rows read, " + std::to_string(in.counts.kept) +
                       " kept, " + std::to_string(in.counts.rejected) + " rejected");
    };
    std::vector<fs::path> inputs(o.inputs.begin(), o.inputs.end());
    auto summary = amlops::features::run_transform(inputs, o.output, settings);
    ctx.add_output("train", summary.train.path, summary.train.sha256);
    ctx.add_output("test", summary.test.path, summary.test.sha256);
    ctx.add_output("rejects", summary.rejects.path, summary.rejects.sha256);
    ctx.add_output("report", fs::path(o.output) / "transform_report.json");
    return amlops::features::to_json(summary);
}

}  // namespace

int main(int argc, char** argv) {
    return amlops::cli::run_tool<options>(
        argc, argv,
        {"aml-transform", "Merge, clean and featurize raw NYC taxi trip CSVs into train/test feature tables.",
         "[options] INPUT...",
         "Example: aml-transform --output out greenTaxiData.csv yellowTaxiData.csv"},
        describe, run);
}
