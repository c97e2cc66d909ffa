// Which params and metrics each tool logs to MLflow, and the warning-not-failure policy.

#include "amlops/tracking/tool_run.hpp"

#include "amlops/core/version.hpp"

#include <charconv>
#include <chrono>
#include <cmath>

namespace amlops::tracking {
namespace {

/// Every finite numeric leaf of `v` as a metric named `prefix` + dotted path. Arrays, strings,
/// booleans and nulls are left out (not metrics).
void flatten_metrics(const json::value& v, const std::string& prefix, std::int64_t now_ms, std::vector<metric>& out) {
    if (const auto* o = v.if_object()) {
        for (const auto& [k, child] : *o)
            flatten_metrics(child, prefix.empty() ? std::string(k) : prefix + "." + std::string(k), now_ms, out);
        return;
    }
    if (!v.is_number() || prefix.empty()) return;
    const double d = v.to_number<double>();
    if (std::isfinite(d)) out.push_back({prefix, d, now_ms, 0});
}

/// Every scalar leaf of `v` as a param (strings as they are, numbers and booleans as JSON text).
void flatten_params(const json::value& v, const std::string& prefix, std::vector<key_value>& out) {
    if (const auto* o = v.if_object()) {
        for (const auto& [k, child] : *o) flatten_params(child, prefix.empty() ? std::string(k) : prefix + "." + std::string(k), out);
        return;
    }
    if (prefix.empty() || v.is_null() || v.is_array()) return;
    std::string text;
    if (v.is_string()) text = std::string(v.as_string());
    else if (v.is_double()) {
        // Shortest round-trip form ("1000", "0.05"), not Boost.JSON's "1E3".
        char buf[64];
        const auto r = std::to_chars(buf, buf + sizeof buf, v.as_double());
        text.assign(buf, r.ptr);
    } else text = boost::json::serialize(v);
    out.push_back({prefix, text});
}

void metrics_of(const json::object& result, const char* key, const std::string& prefix, std::int64_t now_ms, run_data& d) {
    if (const auto* v = result.if_contains(key)) flatten_metrics(*v, prefix, now_ms, d.metrics);
}

}  // namespace

run_data tool_run_data(const std::string& tool, const json::object& result, std::int64_t now_ms,
                       const std::vector<key_value>& extra_params) {
    run_data d;
    d.tags = {{"amlops.tool", tool}, {"amlops.version", std::string(version())}};
    if (tool == "aml-train") {
        for (const char* k : {"train", "validation", "test", "trees", "best_iteration"}) metrics_of(result, k, k, now_ms, d);
        // The resolved training parameters (file + flag overrides) are recorded in the manifest.
        if (const auto* dir = result.if_contains("model_dir"); dir && dir->is_string()) {
            const auto manifest = json::read_file(std::filesystem::path(std::string(dir->as_string())) / "manifest.json");
            if (const auto* p = manifest.is_object() ? manifest.as_object().if_contains("params") : nullptr)
                flatten_params(*p, "", d.params);
        }
    } else if (tool == "aml-score") {
        metrics_of(result, "metrics", "score", now_ms, d);
        metrics_of(result, "rows", "score.rows", now_ms, d);
    } else if (tool == "aml-compare") {
        if (const auto* m = result.if_contains("metrics")) flatten_metrics(*m, "", now_ms, d.metrics);
        if (const auto* dec = result.if_contains("decision"); dec && dec->is_string()) {
            d.metrics.push_back({"approved", dec->as_string() == "approve" ? 1.0 : 0.0, now_ms, 0});
            d.tags.push_back({"amlops.decision", std::string(dec->as_string())});
        }
        if (const auto* p = result.if_contains("policy")) flatten_params(*p, "policy", d.params);
    } else {
        flatten_metrics(result, "", now_ms, d.metrics);
    }
    d.params.insert(d.params.end(), extra_params.begin(), extra_params.end());
    return d;
}

json::value log_tool_result(const env_lookup& env, logger& log, const std::string& tool, json::value result,
                            const std::vector<key_value>& extra_params, log_options options) {
    if (!options.env) options.env = env;
    if (!options.log) options.log = &log;
    const auto s = settings::from_env(options.env);
    if (!s || !result.is_object()) return result;
    if (!options.now_ms)
        options.now_ms = [] {
            return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 std::chrono::system_clock::now().time_since_epoch())
                                                 .count());
        };
    auto& doc = result.as_object();
    json::object status{{"tracking_uri", s->tracking_uri}};
    try {
        const auto data = tool_run_data(tool, doc, options.now_ms(), extra_params);
        const auto run_id = log_run(*s, data, tool, options);
        status["status"] = "logged";
        status["run_id"] = run_id;
        status["metrics"] = data.metrics.size();
        status["params"] = data.params.size();
        log.info("logged " + std::to_string(data.metrics.size()) + " metrics and " + std::to_string(data.params.size()) +
                       " params to MLflow run " + run_id);
    } catch (const error& e) {
        const auto required = options.env("AMLOPS_MLFLOW_REQUIRED");
        if (required && *required == "1") throw;
        status["status"] = "failed";
        status["error"] = e.describe();
        log.warn("MLflow logging failed, results are NOT in the tracking server (outputs are written; "
                       "AMLOPS_MLFLOW_REQUIRED=1 makes this an error): " + e.describe());
    } catch (const std::exception& e) {
        const auto required = options.env("AMLOPS_MLFLOW_REQUIRED");
        if (required && *required == "1") throw;
        status["status"] = "failed";
        status["error"] = e.what();
        log.warn(std::string("MLflow logging failed: ") + e.what());
    }
    doc["mlflow"] = std::move(status);
    return result;
}

}  // namespace amlops::tracking
