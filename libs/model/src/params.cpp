#include "amlops/model/params.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "amlops/model/param_flags.hpp"
#include "amlops/yaml/load.hpp"

#include <boost/program_options.hpp>
#include <yaml-cpp/yaml.h>

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <variant>

namespace amlops::model {
namespace {

using member = std::variant<std::string train_params::*, int train_params::*, std::int64_t train_params::*,
                            double train_params::*>;

struct field {
    std::string_view name;
    member target;
    std::string_view help;
};

// The single list of parameters: file keys, flags, JSON output and --help all come from it.
const std::array<field, 15>& fields() {
    static const std::array<field, 15> table{{
        {"objective", &train_params::objective, "xgboost regression objective"},
        {"n_estimators", &train_params::n_estimators, "boosting rounds (maximum with early stopping)"},
        {"max_depth", &train_params::max_depth, "maximum tree depth (0 = unlimited)"},
        {"eta", &train_params::eta, "learning rate, in (0, 1]"},
        {"subsample", &train_params::subsample, "row sampling ratio per tree, in (0, 1]"},
        {"colsample_bytree", &train_params::colsample_bytree, "column sampling ratio per tree, in (0, 1]"},
        {"min_child_weight", &train_params::min_child_weight, "minimum hessian sum in a leaf, >= 0"},
        {"lambda", &train_params::lambda, "L2 regularization, >= 0"},
        {"alpha", &train_params::alpha, "L1 regularization, >= 0"},
        {"max_bin", &train_params::max_bin, "histogram bins per feature, >= 2"},
        {"tree_method", &train_params::tree_method, "hist, approx, exact or auto"},
        {"nthread", &train_params::nthread, "threads (0 = all cores)"},
        {"seed", &train_params::seed, "random seed (xgboost and the validation split)"},
        {"early_stopping_rounds", &train_params::early_stopping_rounds,
         "stop after N rounds without validation improvement (0 = off)"},
        {"validation_fraction", &train_params::validation_fraction,
         "share of training rows held out for validation metrics and early stopping, in [0, 0.5]"},
    }};
    return table;
}

const field* find_field(std::string_view key) {
    for (const auto& f : fields())
        if (f.name == key) return &f;
    return nullptr;
}

std::string flag_name(std::string_view key) {
    std::string out(key);
    for (char& c : out)
        if (c == '_') c = '-';
    return out;
}

// Errors from a file name the file and the key; errors from the command line name the flag.
error where(error e, std::string_view key, std::string_view origin) {
    if (origin.empty()) return std::move(e).on_field("--" + flag_name(key));
    return std::move(e).in_file(std::string(origin)).on_field(std::string(key));
}

[[noreturn]] void unknown_key(std::string_view key, std::string_view origin) {
    std::string known;
    for (const auto& f : fields()) known.append(known.empty() ? "" : ", ").append(f.name);
    throw where(error(origin.empty() ? error_kind::usage : error_kind::config,
                      "unknown parameter '" + std::string(key) + "' (known: " + known + ")"),
                key, origin);
}

[[noreturn]] void wrong_type(std::string_view key, std::string_view expected, std::string_view got,
                             std::string_view origin) {
    throw where(error(origin.empty() ? error_kind::usage : error_kind::config,
                      "expected " + std::string(expected) + ", got " + std::string(got)),
                key, origin);
}

template <class T>
bool parse_number(std::string_view text, T& out) {
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end && !text.empty();
}

std::string format_double(double v) {
    std::array<char, 32> buf{};
    auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    return std::string(buf.data(), ptr);
}

// Built with append(): GCC 12 reports a false -Wrestrict for the operator+ chain here.
std::string quoted(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    return out.append("'").append(s).append("'");
}

}  // namespace

void train_params::set_text(std::string_view key, std::string_view text, std::string_view origin) {
    const field* f = find_field(key);
    if (f == nullptr) unknown_key(key, origin);
    std::visit(
        [&](auto m) {
            using T = std::remove_reference_t<decltype(this->*m)>;
            if constexpr (std::is_same_v<T, std::string>) {
                this->*m = std::string(text);
            } else if constexpr (std::is_same_v<T, double>) {
                double v = 0;
                if (!parse_number(text, v) || !std::isfinite(v)) wrong_type(key, "a number", quoted(text), origin);
                this->*m = v;
            } else {
                T v = 0;
                if (!parse_number(text, v)) wrong_type(key, "an integer", quoted(text), origin);
                this->*m = v;
            }
        },
        f->target);
}

void train_params::set_json(std::string_view key, const json::value& v, std::string_view origin) {
    const field* f = find_field(key);
    if (f == nullptr) unknown_key(key, origin);
    std::string got = boost::json::serialize(v);
    std::visit(
        [&](auto m) {
            using T = std::remove_reference_t<decltype(this->*m)>;
            if constexpr (std::is_same_v<T, std::string>) {
                if (!v.is_string()) wrong_type(key, "a string", got, origin);
                this->*m = std::string(v.get_string());
            } else if constexpr (std::is_same_v<T, double>) {
                if (!v.is_number()) wrong_type(key, "a number", got, origin);
                this->*m = v.to_number<double>();
            } else {
                // Integers must be written as integers: 2.5 trees is a mistake, not a rounding.
                if (!v.is_int64() && !v.is_uint64()) wrong_type(key, "an integer", got, origin);
                set_text(key, got, origin);
            }
        },
        f->target);
}

void train_params::validate() const {
    auto fail = [](std::string_view field_name, const std::string& message) {
        throw error(error_kind::config, message).on_field(std::string(field_name));
    };
    auto in_unit = [&](std::string_view n, double v) {
        if (!(v > 0.0 && v <= 1.0)) fail(n, "must be in (0, 1], got " + format_double(v));
    };
    auto non_negative = [&](std::string_view n, double v) {
        if (!(v >= 0.0)) fail(n, "must be >= 0, got " + format_double(v));
    };
    static const std::array<std::string_view, 7> objectives{"reg:squarederror", "reg:squaredlogerror",
                                                            "reg:pseudohubererror", "reg:absoluteerror",
                                                            "reg:gamma", "reg:tweedie", "count:poisson"};
    bool known_objective = false;
    for (auto o : objectives) known_objective = known_objective || o == objective;
    if (!known_objective) {
        std::string list;
        for (auto o : objectives) list.append(list.empty() ? "" : ", ").append(o);
        fail("objective", "unsupported regression objective '" + objective + "' (supported: " + list + ")");
    }
    if (n_estimators < 1) fail("n_estimators", "must be >= 1, got " + std::to_string(n_estimators));
    if (max_depth < 0) fail("max_depth", "must be >= 0, got " + std::to_string(max_depth));
    in_unit("eta", eta);
    in_unit("subsample", subsample);
    in_unit("colsample_bytree", colsample_bytree);
    non_negative("min_child_weight", min_child_weight);
    non_negative("lambda", lambda);
    non_negative("alpha", alpha);
    if (max_bin < 2) fail("max_bin", "must be >= 2, got " + std::to_string(max_bin));
    if (tree_method != "hist" && tree_method != "approx" && tree_method != "exact" && tree_method != "auto")
        fail("tree_method", "must be hist, approx, exact or auto, got '" + tree_method + "'");
    if (max_depth == 0 && tree_method != "hist" && tree_method != "approx")
        fail("max_depth", "0 (unlimited) needs tree_method hist or approx");
    if (nthread < 0) fail("nthread", "must be >= 0 (0 = all cores), got " + std::to_string(nthread));
    if (seed < 0) fail("seed", "must be >= 0, got " + std::to_string(seed));
    if (early_stopping_rounds < 0)
        fail("early_stopping_rounds", "must be >= 0 (0 = off), got " + std::to_string(early_stopping_rounds));
    if (!(validation_fraction >= 0.0 && validation_fraction <= 0.5))
        fail("validation_fraction", "must be in [0, 0.5], got " + format_double(validation_fraction));
    if (early_stopping_rounds > 0 && validation_fraction == 0.0)
        fail("validation_fraction", "early stopping needs validation rows: must be > 0 when early_stopping_rounds > 0");
}

std::vector<std::pair<std::string, std::string>> train_params::xgboost_params() const {
    std::vector<std::pair<std::string, std::string>> out{
        {"objective", objective},
        {"max_depth", std::to_string(max_depth)},
        {"eta", format_double(eta)},
        {"subsample", format_double(subsample)},
        {"colsample_bytree", format_double(colsample_bytree)},
        {"min_child_weight", format_double(min_child_weight)},
        {"lambda", format_double(lambda)},
        {"alpha", format_double(alpha)},
        {"max_bin", std::to_string(max_bin)},
        {"tree_method", tree_method},
        {"nthread", std::to_string(nthread)},
        {"seed", std::to_string(seed)},
    };
    // Depth 0 means "unlimited", which xgboost only allows when growing leaf-wise.
    if (max_depth == 0) out.emplace_back("grow_policy", "lossguide");
    return out;
}

json::object train_params::to_json() const {
    json::object o;
    for (const auto& f : fields()) {
        std::visit([&](auto m) { o[f.name] = this->*m; }, f.target);
    }
    return o;
}

const std::vector<std::string>& param_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (const auto& f : fields()) v.emplace_back(f.name);
        return v;
    }();
    return names;
}

namespace {

// A YAML scalar becomes text for set_text(); a quoted scalar is a string, so it may only feed a
// string field; null, sequences and maps are type errors.
void apply_yaml(train_params& p, const std::string& key, const YAML::Node& value, const std::string& origin) {
    const field* f = find_field(key);
    if (f == nullptr) unknown_key(key, origin);
    bool string_field = std::holds_alternative<std::string train_params::*>(f->target);
    std::string_view expected = string_field ? "a string"
                                : std::holds_alternative<double train_params::*>(f->target) ? "a number"
                                                                                              : "an integer";
    if (value.IsNull()) wrong_type(key, expected, "null", origin);
    if (!value.IsScalar()) wrong_type(key, expected, value.IsSequence() ? "a list" : "a mapping", origin);
    const std::string& text = value.Scalar();
    if (!string_field && value.Tag() == "!") wrong_type(key, expected, "the string '" + text + "'", origin);
    p.set_text(key, text, origin);
}

bool looks_like_json(const std::filesystem::path& path, std::string_view content) {
    if (path.extension() == ".json") return true;
    auto first = content.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && content[first] == '{';
}

}  // namespace

train_params load_params_file(const std::filesystem::path& path, train_params base) {
    const std::string origin = path.string();
    std::string content = read_file(path);
    if (looks_like_json(path, content)) {
        json::value doc;
        try {
            doc = json::parse(content, origin);
        } catch (const error& e) {
            throw error(error_kind::config, e.what()).in_file(origin);
        }
        if (!doc.is_object()) throw error(error_kind::config, "parameter file must be a JSON object").in_file(origin);
        // A sweep.json (aml-train --sweep) stands for the parameters its best trial's model used.
        if (const auto* best = doc.as_object().if_contains("best"); best && doc.as_object().contains("trials")) {
            const auto* best_params = best->is_object() ? best->as_object().if_contains("params") : nullptr;
            if (!best_params || !best_params->is_object())
                throw error(error_kind::config, "sweep report without best.params").in_file(origin).on_field("best.params");
            doc = *best_params;
        }
        for (const auto& [k, v] : doc.get_object()) base.set_json(k, v, origin);
        return base;
    }
    const YAML::Node doc = yaml::parse(content, origin);
    if (doc.IsNull()) return base;  // an empty file (or only comments) changes nothing
    if (!doc.IsMap()) throw error(error_kind::config, "parameter file must be a mapping of key: value").in_file(origin);
    for (const auto& kv : doc) {
        std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string("<non-scalar key>");
        try {
            apply_yaml(base, key, kv.second, origin);
        } catch (error& e) {
            if (!e.context().line) e.at_line(static_cast<std::uint64_t>(kv.first.Mark().line + 1));
            throw;
        }
    }
    return base;
}

void describe_param_flags(boost::program_options::options_description& options, param_overrides& overrides,
                          const train_params& defaults) {
    namespace po = boost::program_options;
    json::object shown = defaults.to_json();
    for (const auto& f : fields()) {
        std::string name(f.name);
        std::string help = std::string(f.help) + " (default " + boost::json::serialize(shown[f.name]) + ")";
        options.add_options()(flag_name(f.name).c_str(),
                              po::value<std::string>()
                                  ->value_name(std::holds_alternative<std::string train_params::*>(f.target) ? "TEXT"
                                                                                                               : "N")
                                  ->notifier([&overrides, name](const std::string& v) { overrides[name] = v; }),
                              help.c_str());
    }
}

train_params resolve_params(const std::filesystem::path& params_file, const param_overrides& overrides) {
    train_params p = params_file.empty() ? train_params{} : load_params_file(params_file);
    for (const auto& [k, v] : overrides) p.set_text(k, v, "");
    p.validate();
    return p;
}

}  // namespace amlops::model
