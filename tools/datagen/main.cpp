// aml-datagen: synthetic raw NYC-taxi files (green + yellow schemas) for tests and benchmarks.
#include "amlops/cli/tool.hpp"
#include "amlops/cli/vocabulary.hpp"
#include "amlops/datagen/summary.hpp"

namespace {

struct options {
    std::string output;
    std::int64_t rows = 0;
    std::uint64_t seed = 42;
    double dirty_ratio = 0.02;
    double green_share = 0.5;
    std::string date_format = "iso";
};

void describe(amlops::cli::option_spec& s, options& o) {
    namespace po = amlops::cli::po;
    s.options.add_options()
        ("output,o", po::value(&o.output)->required()->value_name("DIR"), "output folder (created if needed)")
        ("rows,n", po::value<std::int64_t>()->required()->value_name("N")->notifier([&o](std::int64_t n) {
             amlops::cli::require_range("--rows", n, 1, std::int64_t{1} << 40);
             o.rows = n;
         }), "total rows over both files (> 0)")
        ("seed", po::value(&o.seed)->default_value(42)->value_name("N"), "PRNG seed; same arguments give the same bytes")
        ("date-format", po::value(&o.date_format)->default_value("iso")->value_name("iso|us"),
         "iso: 2016-01-03 21:02:35, us: 1/3/2016 21:02");
    amlops::cli::add_fraction(s, "dirty-ratio", o.dirty_ratio, 0, 1, "share of dirty rows, in [0, 1]");
    amlops::cli::add_fraction(s, "green-share", o.green_share, 0, 1, "share of rows in greenTaxiData.csv, in [0, 1]");
}

amlops::json::value run(const options& o, amlops::cli::context& ctx) {
    namespace dg = amlops::datagen;
    const dg::options gen{o.rows, o.seed, o.dirty_ratio, o.green_share, dg::parse_date_format(o.date_format)};
    const dg::generated_files files = dg::write_taxi_files(gen, o.output);
    ctx.add_output("green", files.green_path);
    ctx.add_output("yellow", files.yellow_path);
    ctx.log().info("wrote " + std::to_string(files.green.rows) + " green and " + std::to_string(files.yellow.rows) +
                   " yellow rows to " + o.output);
    return dg::summary(gen, files);
}

}  // namespace

int main(int argc, char** argv) {
    return amlops::cli::run_tool<options>(
        argc, argv,
        {"aml-datagen", "Generate synthetic raw NYC-taxi data: greenTaxiData.csv and yellowTaxiData.csv (January 2016).",
         "--output DIR --rows N [options]",
         "Example: aml-datagen --output data/raw --rows 1000000 --seed 7\n"
         "Dirty rows (zero/out-of-box coordinates, zero distance, non-positive fare, empty fields, store flag \"0\",\n"
         "\".00\" distance, and rarely a malformed datetime or a short row) are counted per kind in the result."},
        describe, run);
}
