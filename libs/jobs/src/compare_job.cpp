#include "amlops/jobs/compare_job.hpp"

#include "compare_classes.hpp"

#include "amlops/core/error.hpp"
#include "amlops/data/table.hpp"
#include "amlops/gate/class_gate.hpp"
#include "amlops/gate/decision.hpp"
#include "amlops/model/model.hpp"
#include "amlops/model/table_request.hpp"

#include <optional>

namespace amlops::model {

namespace {

void require_regressor(const loaded_model& m, const std::filesystem::path& dir) {
    if (m.classes() != nullptr)
        throw error(error_kind::bad_input, "a classifier needs a classification policy (task: classification, see "
                                           "pipelines/config/quality-gate-classification.yaml)")
            .in_file(dir.string());
}

}  // namespace

bool names_no_champion(const std::string& champion) {
    if (champion.empty() || champion == "none") return true;
    std::error_code ec;
    return std::filesystem::is_directory(champion, ec) && std::filesystem::is_empty(champion, ec);
}

compare_result run_compare_job(const compare_request& request, logger& log, const output_sink& add_output) {
    const json::value policy_doc = gate::read_policy_document(request.policy);
    if (gate::is_class_policy(policy_doc)) return compare_classifiers(request, policy_doc, log, add_output);
    const gate::policy policy = gate::policy_from_json(policy_doc, request.policy.string());
    const auto candidate = loaded_model::load(request.candidate);
    require_regressor(candidate, request.candidate);
    std::optional<loaded_model> champion;
    if (!names_no_champion(request.champion)) {
        champion = loaded_model::load(request.champion);
        require_regressor(*champion, request.champion);
        if (champion->output_column() != candidate.output_column()) {
            throw error(error_kind::bad_input, "candidate predicts '" + candidate.output_column() + "' but champion predicts '" +
                                                   champion->output_column() + "'")
                .in_file(request.champion);
        }
    } else {
        log.warn("no champion: the candidate is judged on the policy's absolute limits only");
    }

    const auto table = data::load_numeric_table(request.test, model_table_request(candidate, false));
    if (table.rows == 0)
        throw error(error_kind::bad_input, "test data has no rows (header only): nothing to compare the models on")
            .in_file(request.test);
    const auto candidate_predictions = candidate.predict(table);
    std::optional<std::vector<double>> champion_predictions;
    if (champion) {
        // The same rows either way; the file is read again only when the champion takes other columns.
        champion_predictions = champion->input_columns() == candidate.input_columns()
                                   ? champion->predict(table)
                                   : champion->predict(data::load_numeric_table(
                                         request.test, model_table_request(*champion, false)));
    }

    const auto decision = gate::decide(policy, table.target, candidate_predictions,
                                       champion_predictions ? std::optional<std::span<const double>>(*champion_predictions)
                                                            : std::nullopt);
    compare_result result{gate::to_json(decision), decision.approved};
    finish_decision(request, champion.has_value(), decision.reasons, result, log, add_output);
    return result;
}

void finish_decision(const compare_request& request, bool has_champion, const std::vector<std::string>& reasons,
                     compare_result& result, logger& log, const output_sink& add_output) {
    auto& doc = result.document;
    doc["candidate"] = request.candidate.string();
    doc["champion"] = has_champion ? json::value(request.champion) : json::value(nullptr);
    doc["test"] = request.test.string();
    const auto path = request.output / "decision.json";
    json::write_file(path, doc);
    if (add_output) add_output("decision", path);
    const auto level = result.approved ? log_level::info : log_level::warn;
    for (const auto& reason : reasons) log.log(level, reason);
}

}  // namespace amlops::model
