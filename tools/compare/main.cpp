// aml-compare: the quality gate. Scores a candidate and the current champion on the SAME test rows
// and approves the candidate only if the policy says so; a rejection exits 3 unless --no-fail.
#include "amlops/cli/tool.hpp"
#include "amlops/data/table.hpp"
#include "amlops/gate/decision.hpp"
#include "amlops/model/model.hpp"

#include <optional>

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
        // A value is accepted too (--no-fail=true|false), so a pipeline component can pass a boolean input.
        ("no-fail", po::value(&o.no_fail)->default_value(false)->implicit_value(true)->value_name("BOOL"),
         "exit 0 even when rejected (decision.json still says reject)");
}

/// Predictions of `m` on `test`, with the target column it was trained on.
std::vector<double> predict(const amlops::model::loaded_model& m, const std::string& test, std::vector<double>* actual) {
    const auto table = amlops::data::load_numeric_table(test, {m.input_columns(), m.output_column(), false});
    if (actual) *actual = table.target;
    return m.predict(table);
}

amlops::json::value run(const options& o, amlops::cli::context& ctx) {
    namespace gate = amlops::gate;
    const gate::policy policy = gate::load_policy(o.policy);  // first: a bad policy fails before any work
    const auto candidate = amlops::model::loaded_model::load(o.candidate);
    std::vector<double> actual;
    const auto cand_pred = predict(candidate, o.test, &actual);
    std::optional<std::vector<double>> champ_pred;
    // An empty folder is "none" too: a pipeline step that found no champion in the registry still
    // has to hand over an (empty) output folder.
    std::error_code ec;
    const bool empty_folder = std::filesystem::is_directory(o.champion, ec) && std::filesystem::is_empty(o.champion, ec);
    if (!o.champion.empty() && o.champion != "none" && !empty_folder) {
        const auto champion = amlops::model::loaded_model::load(o.champion);
        if (champion.output_column() != candidate.output_column()) {
            throw amlops::error(amlops::error_kind::bad_input, "candidate predicts '" + candidate.output_column() +
                                                                   "' but champion predicts '" + champion.output_column() + "'")
                .in_file(o.champion);
        }
        champ_pred = predict(champion, o.test, nullptr);  // same files, same rows, its own columns
    } else {
        ctx.log().warn("no champion: the candidate is judged on the policy's absolute limits only");
    }
    const auto decision = gate::decide(policy, actual, cand_pred,
                                       champ_pred ? std::optional<std::span<const double>>(*champ_pred) : std::nullopt);
    auto doc = gate::to_json(decision);
    doc["candidate"] = o.candidate;
    doc["champion"] = champ_pred ? amlops::json::value(o.champion) : amlops::json::value(nullptr);
    doc["test"] = o.test;
    const auto path = std::filesystem::path(o.output) / "decision.json";
    amlops::json::write_file(path, doc);
    ctx.add_output("decision", path);
    const auto level = decision.approved ? amlops::log_level::info : amlops::log_level::warn;
    for (const auto& reason : decision.reasons) ctx.log().log(level, reason);
    ctx.log().log(level, decision.approved ? "decision: approve"
                         : o.no_fail       ? "decision: reject (exit 0 only because of --no-fail)"
                                           : "decision: reject");
    if (!decision.approved && !o.no_fail) ctx.reject();
    return doc;
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
