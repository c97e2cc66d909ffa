#include "amlops/gate/policy.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "amlops/yaml/load.hpp"
#include "format.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

namespace amlops::gate {
namespace {

constexpr std::string_view top_keys = "primary_metric, min_relative_improvement, max_rmse, max_mae, min_r2, bootstrap";
constexpr std::string_view bootstrap_keys = "resamples, confidence, seed";

error config_error(std::string_view origin, const std::string& field, const std::string& message) {
    return std::move(error(error_kind::config, message).in_file(std::string(origin)).on_field(field));
}

// --- YAML -> JSON ---------------------------------------------------------------------------
// One validation path for both formats: YAML is converted to the JSON shape first. Plain YAML
// scalars are resolved like the YAML 1.2 core schema (null, booleans, integers, floats);
// quoted scalars always stay strings, so `seed: "7"` is (correctly) a type error.

std::optional<json::value> plain_number(const std::string& s) {
    if (s.empty()) return std::nullopt;
    const char* first = s.data() + (s[0] == '+' ? 1 : 0);
    const char* last = s.data() + s.size();
    std::int64_t i = 0;
    if (auto r = std::from_chars(first, last, i); r.ec == std::errc{} && r.ptr == last) return json::value(i);
    std::uint64_t u = 0;
    if (auto r = std::from_chars(first, last, u); r.ec == std::errc{} && r.ptr == last) return json::value(u);
    double d = 0;
    if (auto r = std::from_chars(first, last, d); r.ec == std::errc{} && r.ptr == last) {
        // from_chars also accepts "inf"/"nan"; YAML spells those ".inf"/".nan". Either way they are
        // kept as doubles and rejected later as non-finite.
        return json::value(d);
    }
    if (s == ".inf" || s == "+.inf" || s == ".Inf" || s == ".INF") return json::value(std::numeric_limits<double>::infinity());
    if (s == "-.inf" || s == "-.Inf" || s == "-.INF") return json::value(-std::numeric_limits<double>::infinity());
    if (s == ".nan" || s == ".NaN" || s == ".NAN") return json::value(std::numeric_limits<double>::quiet_NaN());
    return std::nullopt;
}

json::value plain_scalar(const std::string& s) {
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    if (auto n = plain_number(s)) return *n;
    return json::value(s);
}

json::value from_yaml(const YAML::Node& node, std::string_view origin, const std::string& path) {
    switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Scalar:
        if (node.Tag() == "!") return json::value(node.Scalar());  // quoted
        return plain_scalar(node.Scalar());
    case YAML::NodeType::Sequence: {
        json::array a;
        for (const auto& item : node) a.push_back(from_yaml(item, origin, path));
        return a;
    }
    case YAML::NodeType::Map: {
        json::object o;
        for (const auto& kv : node) {
            if (!kv.first.IsScalar()) throw config_error(origin, path, "policy keys must be plain names");
            const std::string key = kv.first.Scalar();
            const std::string child = path.empty() ? key : path + "." + key;
            if (o.contains(key)) throw config_error(origin, child, "duplicate policy key '" + child + "'");
            o[key] = from_yaml(kv.second, origin, child);
        }
        return o;
    }
    }
    return nullptr;
}

// --- typed field access ---------------------------------------------------------------------

std::string kind_name(const json::value& v) {
    switch (v.kind()) {
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return "a boolean";
    case boost::json::kind::string: return "a string";
    case boost::json::kind::array: return "a list";
    case boost::json::kind::object: return "a mapping";
    default: return "a number";
    }
}

double finite_number(const json::value& v, std::string_view origin, const std::string& key) {
    double d = 0;
    if (v.is_int64()) d = static_cast<double>(v.get_int64());
    else if (v.is_uint64()) d = static_cast<double>(v.get_uint64());
    else if (v.is_double()) d = v.get_double();
    else throw config_error(origin, key, "'" + key + "' must be a number, got " + kind_name(v));
    if (!std::isfinite(d)) throw config_error(origin, key, "'" + key + "' must be a finite number");
    return d;
}

/// A non-negative integer; an integral double (1e3) is accepted because YAML and JSON writers
/// sometimes produce one.
std::uint64_t whole_number(const json::value& v, std::string_view origin, const std::string& key) {
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
    if (v.is_double() && v.get_double() >= 0 && v.get_double() < 1.8e19 && std::floor(v.get_double()) == v.get_double()) {
        return static_cast<std::uint64_t>(v.get_double());
    }
    throw config_error(origin, key, "'" + key + "' must be a non-negative integer, got " +
                                        (v.is_number() ? boost::json::serialize(v) : kind_name(v)));
}

bootstrap_policy parse_bootstrap(const json::value& v, std::string_view origin) {
    if (!v.is_object()) {
        throw config_error(origin, "bootstrap", "'bootstrap' must be a mapping with " + std::string(bootstrap_keys) +
                                                    ", got " + kind_name(v));
    }
    bootstrap_policy b;
    for (const auto& kv : v.get_object()) {
        const std::string key = "bootstrap." + std::string(kv.key());
        if (kv.key() == "resamples") {
            const auto n = whole_number(kv.value(), origin, key);
            if (n < 100 || n > 1'000'000) {
                throw config_error(origin, key, "'" + key + "' must be between 100 and 1000000, got " + std::to_string(n));
            }
            b.resamples = static_cast<std::uint32_t>(n);
        } else if (kv.key() == "confidence") {
            b.confidence = finite_number(kv.value(), origin, key);
            if (!(b.confidence > 0 && b.confidence < 1)) {
                throw config_error(origin, key, "'" + key + "' must be strictly between 0 and 1 (e.g. 0.95), got " +
                                                    detail::format_number(b.confidence));
            }
        } else if (kv.key() == "seed") {
            b.seed = whole_number(kv.value(), origin, key);
        } else {
            throw config_error(origin, key, "unknown policy key '" + key + "' (known bootstrap keys: " +
                                                std::string(bootstrap_keys) + ")");
        }
    }
    return b;
}

std::string read_text(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        throw error(error_kind::not_found, "policy file not found").in_file(path.string());
    }
    return read_file(path);
}

}  // namespace

policy policy_from_json(const json::value& doc, std::string_view origin) {
    if (!doc.is_object()) {
        throw std::move(error(error_kind::config, "a policy must be a mapping of keys (" + std::string(top_keys) +
                                                      "), got " + kind_name(doc))
                            .in_file(std::string(origin)));
    }
    policy p;
    bool has_metric = false;
    for (const auto& kv : doc.get_object()) {
        const std::string key(kv.key());
        const json::value& v = kv.value();
        if (key == "primary_metric") {
            if (!v.is_string()) throw config_error(origin, key, "'primary_metric' must be one of rmse, mae, r2, got " + kind_name(v));
            const auto m = metric_from_string(std::string_view(v.get_string()));
            if (!m) {
                throw config_error(origin, key, "'primary_metric' must be one of rmse, mae, r2, got '" +
                                                    std::string(v.get_string()) + "'");
            }
            p.primary_metric = *m;
            has_metric = true;
        } else if (key == "min_relative_improvement") {
            p.min_relative_improvement = finite_number(v, origin, key);
            if (p.min_relative_improvement < 0 || p.min_relative_improvement >= 1) {
                throw config_error(origin, key, "'min_relative_improvement' is a fraction of the champion's value in [0, 1) "
                                                "(0.01 = 1%), got " + detail::format_number(p.min_relative_improvement));
            }
        } else if ((key == "max_rmse" || key == "max_mae" || key == "min_r2") && v.is_null()) {
            continue;  // `max_rmse:` with no value (or null in decision.json): no limit
        } else if (key == "max_rmse" || key == "max_mae") {
            const double limit = finite_number(v, origin, key);
            if (limit < 0) throw config_error(origin, key, "'" + key + "' must be >= 0, got " + detail::format_number(limit));
            (key == "max_rmse" ? p.max_rmse : p.max_mae) = limit;
        } else if (key == "min_r2") {
            const double limit = finite_number(v, origin, key);
            if (limit > 1) throw config_error(origin, key, "'min_r2' must be <= 1, got " + detail::format_number(limit));
            p.min_r2 = limit;
        } else if (key == "bootstrap") {
            if (!v.is_null()) p.bootstrap = parse_bootstrap(v, origin);
        } else {
            throw config_error(origin, key, "unknown policy key '" + key + "' (known keys: " + std::string(top_keys) + ")");
        }
    }
    if (!has_metric) throw config_error(origin, "primary_metric", "missing required key 'primary_metric' (rmse, mae or r2)");
    return p;
}

json::value read_policy_document(const std::filesystem::path& path) {
    const std::string text = read_text(path);
    const std::string origin = path.string();
    if (path.extension() == ".json") return json::parse(text, origin);
    return from_yaml(yaml::parse(text, origin), origin, "");
}

policy load_policy(const std::filesystem::path& path) { return policy_from_json(read_policy_document(path), path.string()); }

json::object to_json(const policy& p) {
    json::object o;
    o["primary_metric"] = std::string(to_string(p.primary_metric));
    o["min_relative_improvement"] = p.min_relative_improvement;
    o["max_rmse"] = p.max_rmse ? json::value(*p.max_rmse) : json::value(nullptr);
    o["max_mae"] = p.max_mae ? json::value(*p.max_mae) : json::value(nullptr);
    o["min_r2"] = p.min_r2 ? json::value(*p.min_r2) : json::value(nullptr);
    if (p.bootstrap) {
        o["bootstrap"] = json::object{{"resamples", p.bootstrap->resamples},
                                      {"confidence", p.bootstrap->confidence},
                                      {"seed", p.bootstrap->seed}};
    } else {
        o["bootstrap"] = nullptr;
    }
    return o;
}

}  // namespace amlops::gate
