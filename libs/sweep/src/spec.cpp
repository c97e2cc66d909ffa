#include "amlops/sweep/spec.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "amlops/yaml/load.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string_view>

namespace amlops::sweep {
namespace {

// Reads one sweep file; every error names the file, the key path and the line of the node.
class reader {
public:
    explicit reader(std::string origin) : origin_(std::move(origin)) {}

    [[noreturn]] void fail(const YAML::Node& at, const std::string& field, const std::string& message) const {
        error e(error_kind::config, message);
        e.in_file(origin_).on_field(field);
        if (at.IsDefined() && at.Mark().line >= 0) e.at_line(static_cast<std::uint64_t>(at.Mark().line + 1));
        throw e;
    }

    // The keys of `map` must all be in `known`.
    void only_keys(const YAML::Node& map, const std::string& path, std::initializer_list<std::string_view> known) const {
        if (!map.IsMap()) fail(map, path, "must be a mapping");
        for (const auto& kv : map) {
            const std::string key = kv.first.Scalar();
            if (std::find(known.begin(), known.end(), key) != known.end()) continue;
            std::string list;
            for (auto k : known) list.append(list.empty() ? "" : ", ").append(k);
            fail(kv.first, join(path, key), "unknown key '" + key + "' (known: " + list + ")");
        }
    }

    double number(const YAML::Node& n, const std::string& field) const {
        if (!n.IsScalar() || n.Tag() == "!") fail(n, field, "expected a number");
        try {
            double v = n.as<double>();
            if (std::isfinite(v)) return v;
        } catch (const YAML::Exception&) {
        }
        fail(n, field, "expected a number, got '" + n.Scalar() + "'");
    }

    std::int64_t integer(const YAML::Node& n, const std::string& field, std::int64_t min, std::int64_t max) const {
        if (!n.IsScalar() || n.Tag() == "!") fail(n, field, "expected an integer");
        std::int64_t v = 0;
        try {
            v = n.as<std::int64_t>();
        } catch (const YAML::Exception&) {
            fail(n, field, "expected an integer, got '" + n.Scalar() + "'");
        }
        if (v < min || v > max)
            fail(n, field, "must be in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " + std::to_string(v));
        return v;
    }

    std::string text(const YAML::Node& n, const std::string& field) const {
        if (!n.IsScalar()) fail(n, field, "expected a string");
        return n.Scalar();
    }

    // A scalar as JSON: integers stay integers, numbers become doubles, quoted text is a string.
    json::value scalar_value(const YAML::Node& n, const std::string& field) const {
        if (!n.IsScalar()) fail(n, field, "a choice value must be a number or a string");
        if (n.Tag() != "!") {
            std::int64_t i = 0;
            if (YAML::convert<std::int64_t>::decode(n, i)) return i;
            double d = 0;
            if (YAML::convert<double>::decode(n, d) && std::isfinite(d)) return d;
        }
        return json::value(n.Scalar());
    }

    static std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }
    const std::string& origin() const { return origin_; }

private:
    std::string origin_;
};

struct distribution_name {
    std::string_view name;
    distribution type;
};
constexpr std::array<distribution_name, 5> distributions{{{"choice", distribution::choice},
                                                          {"uniform", distribution::uniform},
                                                          {"loguniform", distribution::loguniform},
                                                          {"quniform", distribution::quniform},
                                                          {"randint", distribution::randint}}};

parameter_expression read_expression(const reader& r, const std::string& name, const YAML::Node& node) {
    const std::string path = "search_space." + name;
    if (!node.IsMap()) r.fail(node, path, "must be a parameter expression such as {type: choice, values: [...]}");
    if (!node["type"]) r.fail(node, path + ".type", "missing: one of choice, uniform, loguniform, quniform, randint");
    const std::string type = r.text(node["type"], path + ".type");
    auto it = std::find_if(distributions.begin(), distributions.end(), [&](const auto& d) { return d.name == type; });
    if (it == distributions.end())
        r.fail(node["type"], path + ".type",
               "unsupported type '" + type + "' (amlops supports choice, uniform, loguniform, quniform, randint)");
    parameter_expression e;
    e.name = name;
    e.type = it->type;
    auto need = [&](const char* key) {
        if (!node[key]) r.fail(node, path + "." + key, std::string("missing (required by type ") + type + ")");
        return node[key];
    };
    switch (e.type) {
    case distribution::choice: {
        r.only_keys(node, path, {"type", "values"});
        const YAML::Node values = need("values");
        if (!values.IsSequence() || values.size() == 0) r.fail(values, path + ".values", "must be a non-empty list");
        for (std::size_t i = 0; i < values.size(); ++i)
            e.values.push_back(r.scalar_value(values[i], path + ".values[" + std::to_string(i) + "]"));
        break;
    }
    case distribution::uniform:
    case distribution::loguniform:
    case distribution::quniform:
        if (e.type == distribution::quniform) r.only_keys(node, path, {"type", "min_value", "max_value", "q"});
        else r.only_keys(node, path, {"type", "min_value", "max_value"});
        e.min_value = r.number(need("min_value"), path + ".min_value");
        e.max_value = r.number(need("max_value"), path + ".max_value");
        if (!(e.min_value < e.max_value))
            r.fail(node["max_value"], path + ".max_value", "must be greater than min_value");
        if (e.type == distribution::loguniform && e.max_value > 700)
            r.fail(node["max_value"], path + ".max_value", "is an exponent of e; exp(" + node["max_value"].Scalar() + ") overflows");
        if (e.type == distribution::quniform) {
            e.q = r.number(need("q"), path + ".q");
            if (!(e.q > 0)) r.fail(node["q"], path + ".q", "must be > 0");
        }
        break;
    case distribution::randint:
        r.only_keys(node, path, {"type", "upper"});
        e.upper = r.integer(need("upper"), path + ".upper", 1, std::numeric_limits<int>::max());
        break;
    }
    return e;
}

// The values that bound what `e` can produce: checking them checks every draw.
std::vector<json::value> extremes(const parameter_expression& e) {
    switch (e.type) {
    case distribution::choice: return e.values;
    case distribution::uniform: return {e.min_value, e.max_value};
    case distribution::loguniform: return {std::exp(e.min_value), std::exp(e.max_value)};
    case distribution::quniform: return {std::round(e.min_value / e.q) * e.q, std::round(e.max_value / e.q) * e.q};
    case distribution::randint: return {std::int64_t{0}, e.upper - 1};
    }
    return {};
}

void check_against_params(const reader& r, const YAML::Node& node, const parameter_expression& e,
                          const model::train_params& base) {
    const std::string path = "search_space." + e.name;
    const auto names = model::param_names();
    if (std::find(names.begin(), names.end(), e.name) == names.end()) {
        std::string list;
        for (const auto& n : names) list.append(list.empty() ? "" : ", ").append(n);
        r.fail(node, path, "unknown training parameter '" + e.name + "' (known: " + list + ")");
    }
    if (e.name == "nthread") r.fail(node, path, "threads are the sweep's to share out (--threads), not a search dimension");
    const bool integer_field = base.to_json().at(e.name).is_int64();
    if (integer_field && (e.type == distribution::uniform || e.type == distribution::loguniform))
        r.fail(node, path + ".type", "'" + e.name + "' is an integer parameter: use choice, randint or quniform");
    if (integer_field && e.type == distribution::quniform && e.q != std::round(e.q))
        r.fail(node, path + ".q", "'" + e.name + "' is an integer parameter: q must be a whole number");
    for (const auto& v : extremes(e)) {
        try {
            apply_assignment(base, {{e.name, v}}, r.origin()).validate();
        } catch (const error& err) {
            r.fail(node, path, std::string("a value it can produce is invalid: ") + err.what());
        }
    }
}

goal read_goal(const reader& r, const YAML::Node& n) {
    const std::string g = r.text(n, "objective.goal");
    if (g == "minimize") return goal::minimize;
    if (g == "maximize") return goal::maximize;
    r.fail(n, "objective.goal", "must be minimize or maximize, got '" + g + "'");
}

termination_policy read_policy(const reader& r, const YAML::Node& node) {
    termination_policy p;
    if (!node.IsMap()) r.fail(node, "early_termination", "must be a mapping with a type");
    if (!node["type"]) r.fail(node, "early_termination.type", "missing: bandit, median_stopping or truncation_selection");
    const std::string type = r.text(node["type"], "early_termination.type");
    if (type == "bandit") {
        p.type = termination_policy::kind::bandit;
        r.only_keys(node, "early_termination", {"type", "evaluation_interval", "delay_evaluation", "slack_factor", "slack_amount"});
        if (node["slack_factor"].IsDefined() == node["slack_amount"].IsDefined())
            r.fail(node, "early_termination.slack_factor", "bandit needs exactly one of slack_factor and slack_amount");
        if (node["slack_factor"]) p.slack_factor = r.number(node["slack_factor"], "early_termination.slack_factor");
        if (node["slack_amount"]) p.slack_amount = r.number(node["slack_amount"], "early_termination.slack_amount");
        if (p.slack_factor < 0 || p.slack_amount < 0)
            r.fail(node, node["slack_factor"] ? "early_termination.slack_factor" : "early_termination.slack_amount", "must be >= 0");
    } else if (type == "median_stopping") {
        p.type = termination_policy::kind::median_stopping;
        r.only_keys(node, "early_termination", {"type", "evaluation_interval", "delay_evaluation"});
    } else if (type == "truncation_selection") {
        p.type = termination_policy::kind::truncation_selection;
        r.only_keys(node, "early_termination", {"type", "evaluation_interval", "delay_evaluation", "truncation_percentage"});
        if (!node["truncation_percentage"]) r.fail(node, "early_termination.truncation_percentage", "missing (1..99)");
        p.truncation_percentage =
            static_cast<int>(r.integer(node["truncation_percentage"], "early_termination.truncation_percentage", 1, 99));
    } else {
        r.fail(node["type"], "early_termination.type",
               "unsupported policy '" + type + "' (supported: bandit, median_stopping, truncation_selection)");
    }
    if (node["evaluation_interval"])
        p.evaluation_interval = static_cast<int>(r.integer(node["evaluation_interval"], "early_termination.evaluation_interval", 1, 1000000));
    if (node["delay_evaluation"])
        p.delay_evaluation = static_cast<int>(r.integer(node["delay_evaluation"], "early_termination.delay_evaluation", 0, 1000000));
    return p;
}

void read_sampling(const reader& r, const YAML::Node& node, sweep_spec& spec) {
    std::string type;
    if (node.IsScalar()) {
        type = node.Scalar();
    } else {
        r.only_keys(node, "sampling_algorithm", {"type", "seed", "rule"});
        if (!node["type"]) r.fail(node, "sampling_algorithm.type", "missing: grid or random");
        type = r.text(node["type"], "sampling_algorithm.type");
        if (node["seed"]) spec.seed = static_cast<std::uint64_t>(r.integer(node["seed"], "sampling_algorithm.seed", 0, INT64_MAX));
        if (node["rule"] && r.text(node["rule"], "sampling_algorithm.rule") != "random")
            r.fail(node["rule"], "sampling_algorithm.rule", "amlops samples with rule 'random' only (no sobol)");
    }
    if (type == "grid") spec.sampling_algorithm = sweep_spec::sampling::grid;
    else if (type == "random") spec.sampling_algorithm = sweep_spec::sampling::random;
    else r.fail(node, "sampling_algorithm", "must be grid or random (amlops has no bayesian sampling), got '" + type + "'");
}

void read_limits(const reader& r, const YAML::Node& node, sweep_spec& spec) {
    r.only_keys(node, "limits", {"max_total_trials", "max_concurrent_trials", "timeout", "trial_timeout"});
    if (node["max_total_trials"])
        spec.max_total_trials = static_cast<int>(r.integer(node["max_total_trials"], "limits.max_total_trials", 1, 100000));
    if (node["max_concurrent_trials"])
        spec.max_concurrent_trials = static_cast<int>(r.integer(node["max_concurrent_trials"], "limits.max_concurrent_trials", 1, 1024));
    for (const char* key : {"timeout", "trial_timeout"}) {
        if (!node[key]) continue;
        double v = r.number(node[key], std::string("limits.") + key);
        if (!(v > 0)) r.fail(node[key], std::string("limits.") + key, "must be > 0 seconds");
        (std::string_view(key) == "timeout" ? spec.timeout_seconds : spec.trial_timeout_seconds) = v;
    }
}

}  // namespace

model::train_params apply_assignment(model::train_params base, const assignment& values, const std::string& origin) {
    const json::object defaults = base.to_json();
    for (const auto& [name, v] : values) {
        const json::value* current = defaults.if_contains(name);
        // quniform draws are doubles; a whole one feeds an integer parameter as an integer.
        if (current && current->is_int64() && v.is_double() && v.as_double() == std::round(v.as_double()))
            base.set_json(name, json::value(static_cast<std::int64_t>(v.as_double())), origin);
        else
            base.set_json(name, v, origin);
    }
    return base;
}

sweep_spec load_sweep_spec(const std::filesystem::path& file, const model::train_params& base) {
    const reader r(file.string());
    const YAML::Node doc = yaml::parse(read_file(file), file.string());
    sweep_spec spec;
    spec.file = file;
    spec.seed = static_cast<std::uint64_t>(base.seed);
    if (!doc.IsMap()) r.fail(doc, "", "a sweep file must be a mapping with search_space, sampling_algorithm, objective, limits");
    // `type: sweep` and descriptive keys of an Azure ML sweep job are accepted and ignored, so
    // the same search space can be copied from a job file.
    r.only_keys(doc, "", {"$schema", "type", "name", "display_name", "description", "tags", "search_space",
                          "sampling_algorithm", "objective", "limits", "early_termination", "cross_validation"});
    if (doc["type"] && r.text(doc["type"], "type") != "sweep") r.fail(doc["type"], "type", "must be sweep when given");

    const YAML::Node space = doc["search_space"];
    if (!space || !space.IsMap() || space.size() == 0)
        r.fail(space ? space : doc, "search_space", "missing or empty: a mapping of parameter name to expression");
    for (const auto& kv : space) {
        parameter_expression e = read_expression(r, kv.first.Scalar(), kv.second);
        check_against_params(r, kv.first, e, base);
        spec.space.push_back(std::move(e));
    }

    if (!doc["sampling_algorithm"]) r.fail(doc, "sampling_algorithm", "missing: grid or random");
    read_sampling(r, doc["sampling_algorithm"], spec);
    if (doc["limits"]) read_limits(r, doc["limits"], spec);
    if (spec.sampling_algorithm == sweep_spec::sampling::grid) {
        double combinations = 1;
        for (const auto& kv : space)
            if (kv.second["type"].Scalar() != "choice")
                r.fail(kv.second["type"], "search_space." + kv.first.Scalar() + ".type", "grid sampling needs choice expressions");
        for (const auto& e : spec.space) combinations *= static_cast<double>(e.values.size());
        if (spec.max_total_trials == 0 && combinations > 100000)
            r.fail(doc["search_space"], "limits.max_total_trials",
                   "the grid has " + std::to_string(static_cast<long long>(combinations)) + " combinations: set max_total_trials");
    }

    if (doc["objective"]) {
        const YAML::Node o = doc["objective"];
        r.only_keys(o, "objective", {"primary_metric", "goal"});
        if (o["primary_metric"]) spec.primary_metric = r.text(o["primary_metric"], "objective.primary_metric");
        if (o["goal"]) spec.metric_goal = read_goal(r, o["goal"]);
        static constexpr std::array<std::string_view, 4> metrics{"rmse", "mae", "mape", "rmsle"};
        if (std::find(metrics.begin(), metrics.end(), spec.primary_metric) == metrics.end())
            r.fail(o["primary_metric"], "objective.primary_metric",
                   "'" + spec.primary_metric + "' is not a cross-validation metric (rmse, mae, mape, rmsle)");
        if (spec.metric_goal != goal::minimize)
            r.fail(o["goal"], "objective.goal", spec.primary_metric + " is an error: its goal is minimize");
    }

    if (spec.sampling_algorithm == sweep_spec::sampling::random && spec.max_total_trials == 0)
        r.fail(doc["limits"] ? doc["limits"] : doc, "limits.max_total_trials", "random sampling needs max_total_trials");

    if (doc["early_termination"]) spec.policy = read_policy(r, doc["early_termination"]);

    if (doc["cross_validation"]) {
        const YAML::Node cv = doc["cross_validation"];
        r.only_keys(cv, "cross_validation", {"folds", "seed"});
        if (cv["folds"]) spec.folds = static_cast<int>(r.integer(cv["folds"], "cross_validation.folds", 2, 20));
        if (cv["seed"]) spec.fold_seed = static_cast<std::uint64_t>(r.integer(cv["seed"], "cross_validation.seed", 0, INT64_MAX));
    }
    return spec;
}

}  // namespace amlops::sweep
