// aml-compare: the quality gate. Scores a candidate and the current champion on the SAME test rows
// and approves the candidate only if the policy says so; a rejection exits 3 unless --no-fail.
#include "amlops/cli/tool.hpp"
#include "amlops/jobs/compare_job.hpp"
#include "amlops/tracking/tool_run.hpp"

namespace {

struct options {
    std::string candidate, champion = "none", test, policy, output;
    bool no_fail = false;
};

void describe(amlops::cli::option_spec& s, options& o) {
    namespace po = amlops::cli::po;
    s.options.add_options()
        ("candidate", po::value(&o.candidate)->required()->value_name("DIR"), "MLflow model folder of the new model")
        ("champion", po::value(&o.champion)->default_value("none")->value_name("DIR|none"),
         "MLflow model folder of the current model; 'none', empty text or an empty folder: there is none yet")
        ("test", po::value(&o.test)->required()->value_name("DIR"), "test set: a CSV file or a folder of CSVs")
        ("policy", po::value(&o.policy)->required()->value_name("FILE"), "gate policy (YAML, or JSON by .json)")
        ("output,o", po::value(&o.output)->required()->value_name("DIR"), "folder for decision.json")
        ("no-fail", po::bool_switch(&o.no_fail), "exit 0 even when rejected (decision.json still says reject)");
}

amlops::json::value run(const options& o, amlops::cli::context& ctx) {
    auto result = amlops::model::run_compare_job({o.candidate, o.champion, o.test, o.policy, o.output}, ctx.log(),
                                                 [&](const std::string& name, const std::filesystem::path& p) { ctx.add_output(name, p); });
    const auto level = result.approved ? amlops::log_level::info : amlops::log_level::warn;
    ctx.log().log(level, result.approved ? "decision: approve"
                         : o.no_fail     ? "decision: reject (exit 0 only because of --no-fail)"
                                         : "decision: reject");
    if (!result.approved && !o.no_fail) ctx.reject();
    return amlops::tracking::log_tool_result(ctx.env(), ctx.log(), "aml-compare", std::move(result.document));  // when MLFLOW_TRACKING_URI is set
}

}  // namespace

int main(int argc, char** argv) {
    return amlops::cli::run_tool<options>(
        argc, argv,
        {"aml-compare", "Quality gate: approve a candidate model only if it beats the champion on the same test rows.",
         "--candidate DIR [--champion DIR|none] --test DIR --policy FILE --output DIR [--no-fail]",
         "Approved: exit 0. Rejected: exit 3 (0 with --no-fail; decision.json still says \"reject\").\n"
         "Example:\n"
         "  aml-compare --candidate out/model --champion registry/model --test data/test --policy gate.yaml -o out/gate"},
        describe, run);
}
