#include "amlops/gate/class_gate.hpp"

#include "amlops/core/error.hpp"

#include <cmath>
#include <sstream>

namespace amlops::gate {
namespace {

constexpr std::string_view class_keys =
    "task, max_accuracy_drop, max_macro_f1_drop, max_log_loss_rise, min_accuracy, min_macro_f1, max_log_loss";

error config_error(std::string_view origin, const std::string& field, const std::string& message) {
    return std::move(error(error_kind::config, message).in_file(std::string(origin)).on_field(field));
}

double number_in(const json::value& v, std::string_view origin, const std::string& key, double lo, double hi) {
    if (!v.is_number()) throw config_error(origin, key, "expected a number");
    const double d = v.to_number<double>();
    if (!(d >= lo && d <= hi)) {
        std::ostringstream msg;
        msg << "expected a number in [" << lo << ", " << hi << "], got " << d;
        throw config_error(origin, key, msg.str());
    }
    return d;
}

std::string fixed(double v) {
    std::ostringstream s;
    s.precision(4);
    s << std::fixed << v;
    return s.str();
}

}  // namespace

bool is_class_policy(const json::value& doc) noexcept {
    if (!doc.is_object()) return false;
    const auto* task = doc.get_object().if_contains("task");
    return task != nullptr && task->is_string() && task->get_string() == "classification";
}

class_policy class_policy_from_json(const json::value& doc, std::string_view origin) {
    if (!is_class_policy(doc)) throw config_error(origin, "task", "a classification policy needs 'task: classification'");
    class_policy p;
    const double inf = HUGE_VAL;
    for (const auto& [k, v] : doc.get_object()) {
        const std::string key(k);
        if (key == "task") continue;
        if (key == "max_accuracy_drop") p.max_accuracy_drop = number_in(v, origin, key, 0, 1);
        else if (key == "max_macro_f1_drop") p.max_macro_f1_drop = number_in(v, origin, key, 0, 1);
        else if (key == "max_log_loss_rise") p.max_log_loss_rise = number_in(v, origin, key, 0, inf);
        else if (key == "min_accuracy") p.min_accuracy = number_in(v, origin, key, 0, 1);
        else if (key == "min_macro_f1") p.min_macro_f1 = number_in(v, origin, key, 0, 1);
        else if (key == "max_log_loss") p.max_log_loss = number_in(v, origin, key, 0, inf);
        else throw config_error(origin, key, "unknown key (expected one of: " + std::string(class_keys) + ")");
    }
    return p;
}

class_decision decide_classes(const class_policy& p, const metrics::classification_summary& candidate,
                              const std::optional<metrics::classification_summary>& champion) {
    class_decision d;
    auto add = [&](std::string name, bool passed, std::string reason) { d.checks.push_back({std::move(name), passed, std::move(reason)}); };
    if (p.min_accuracy)
        add("min_accuracy", candidate.accuracy >= *p.min_accuracy,
            "candidate accuracy " + fixed(candidate.accuracy) + (candidate.accuracy >= *p.min_accuracy ? " >= " : " < ") + "limit " + fixed(*p.min_accuracy));
    if (p.min_macro_f1)
        add("min_macro_f1", candidate.macro_f1 >= *p.min_macro_f1,
            "candidate macro-F1 " + fixed(candidate.macro_f1) + (candidate.macro_f1 >= *p.min_macro_f1 ? " >= " : " < ") + "limit " + fixed(*p.min_macro_f1));
    if (p.max_log_loss)
        add("max_log_loss", candidate.log_loss <= *p.max_log_loss,
            "candidate log-loss " + fixed(candidate.log_loss) + (candidate.log_loss <= *p.max_log_loss ? " <= " : " > ") + "limit " + fixed(*p.max_log_loss));
    if (champion) {
        const bool acc = candidate.accuracy >= champion->accuracy - p.max_accuracy_drop;
        add("max_accuracy_drop", acc, "accuracy " + fixed(candidate.accuracy) + " vs champion " + fixed(champion->accuracy) +
                                          (acc ? ": within" : ": drops more than") + " the allowed " + fixed(p.max_accuracy_drop));
        if (p.max_macro_f1_drop) {
            const bool ok = candidate.macro_f1 >= champion->macro_f1 - *p.max_macro_f1_drop;
            add("max_macro_f1_drop", ok, "macro-F1 " + fixed(candidate.macro_f1) + " vs champion " + fixed(champion->macro_f1) +
                                             (ok ? ": within" : ": drops more than") + " the allowed " + fixed(*p.max_macro_f1_drop));
        }
        if (p.max_log_loss_rise) {
            const bool ok = candidate.log_loss <= champion->log_loss + *p.max_log_loss_rise;
            add("max_log_loss_rise", ok, "log-loss " + fixed(candidate.log_loss) + " vs champion " + fixed(champion->log_loss) +
                                             (ok ? ": within" : ": rises more than") + " the allowed " + fixed(*p.max_log_loss_rise));
        }
    }
    d.approved = true;
    for (const auto& c : d.checks) d.approved = d.approved && c.passed;
    for (const auto& c : d.checks)
        if (!d.approved ? !c.passed : true) d.reasons.push_back(c.reason);
    if (d.checks.empty()) d.reasons.push_back("no champion and no absolute limits: nothing to check");
    return d;
}

json::object to_json(const class_policy& p, const class_decision& d, const metrics::classification_summary& candidate,
                     const std::optional<metrics::classification_summary>& champion) {
    auto opt = [](const std::optional<double>& v) { return v ? json::value(*v) : json::value(nullptr); };
    json::array reasons, checks;
    for (const auto& r : d.reasons) reasons.emplace_back(r);
    for (const auto& c : d.checks) checks.emplace_back(json::object{{"name", c.name}, {"passed", c.passed}, {"reason", c.reason}});
    json::value delta = nullptr;
    if (champion)
        delta = json::object{{"accuracy", candidate.accuracy - champion->accuracy},
                             {"macro_f1", candidate.macro_f1 - champion->macro_f1},
                             {"log_loss", candidate.log_loss - champion->log_loss}};
    return json::object{
        {"decision", d.approved ? "approve" : "reject"},
        {"reasons", std::move(reasons)},
        {"task", "classification"},
        {"policy", json::object{{"task", "classification"},
                                {"max_accuracy_drop", p.max_accuracy_drop},
                                {"max_macro_f1_drop", opt(p.max_macro_f1_drop)},
                                {"max_log_loss_rise", opt(p.max_log_loss_rise)},
                                {"min_accuracy", opt(p.min_accuracy)},
                                {"min_macro_f1", opt(p.min_macro_f1)},
                                {"max_log_loss", opt(p.max_log_loss)}}},
        {"checks", std::move(checks)},
        {"metrics", json::object{{"candidate", metrics::to_json(candidate)},
                                 {"champion", champion ? json::value(metrics::to_json(*champion)) : json::value(nullptr)},
                                 {"delta", std::move(delta)}}}};
}

}  // namespace amlops::gate
