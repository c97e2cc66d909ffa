#include "compare_classes.hpp"

#include "amlops/core/error.hpp"
#include "amlops/data/table.hpp"
#include "amlops/gate/class_gate.hpp"
#include "amlops/model/model.hpp"
#include "amlops/model/table_request.hpp"

#include <optional>

namespace amlops::model {
namespace {

loaded_model load_classifier(const std::filesystem::path& dir, const char* role) {
    auto m = loaded_model::load(dir);
    if (m.classes() == nullptr)
        throw error(error_kind::bad_input, std::string("the policy is for classifiers (task: classification) but the ") + role +
                                               " is a regression model")
            .in_file(dir.string());
    return m;
}

metrics::classification_summary evaluate(const loaded_model& m, const std::filesystem::path& test) {
    const auto table = data::load_numeric_table(test, model_table_request(m, false));
    if (table.rows == 0)
        throw error(error_kind::bad_input, "test data has no rows (header only): nothing to compare the models on").in_file(test);
    const auto p = m.predict(table);
    return metrics::summarize_classes(m.classes()->classify_all(table.target), std::vector<float>(p.begin(), p.end()),
                                      m.classes()->labels());
}

}  // namespace

compare_result compare_classifiers(const compare_request& request, const json::value& policy_doc, logger& log,
                                   const output_sink& add_output) {
    const gate::class_policy policy = gate::class_policy_from_json(policy_doc, request.policy.string());
    const auto candidate = load_classifier(request.candidate, "candidate");
    std::optional<loaded_model> champion;
    if (!names_no_champion(request.champion)) champion = load_classifier(request.champion, "champion");
    else log.warn("no champion: the candidate is judged on the policy's absolute limits only");

    const auto candidate_metrics = evaluate(candidate, request.test);
    std::optional<metrics::classification_summary> champion_metrics;
    if (champion) {
        champion_metrics = evaluate(*champion, request.test);
        if (champion->classes()->boundaries() != candidate.classes()->boundaries())
            log.warn("the models' fare-class boundaries differ (trained on different rows): each is judged on its own classes");
    }
    const auto decision = gate::decide_classes(policy, candidate_metrics, champion_metrics);
    compare_result result{gate::to_json(policy, decision, candidate_metrics, champion_metrics), decision.approved};
    result.document["fare_classes"] = json::object{{"candidate", candidate.classes()->to_json()},
                                                   {"champion", champion ? json::value(champion->classes()->to_json()) : json::value(nullptr)}};
    finish_decision(request, champion.has_value(), decision.reasons, result, log, add_output);
    return result;
}

}  // namespace amlops::model
