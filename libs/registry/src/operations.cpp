#include "amlops/registry/operations.hpp"

#include "amlops/core/error.hpp"

#include <algorithm>
#include <charconv>
#include <deque>
#include <set>

namespace amlops::registry {
namespace fs = std::filesystem;

namespace {

std::string number_text(const json::value& v) {
    if (const auto* d = v.if_double()) {
        char buf[64];
        const auto r = std::to_chars(buf, buf + sizeof buf, *d);
        return std::string(buf, r.ptr);
    }
    if (const auto* s = v.if_string()) return std::string(*s);
    return boost::json::serialize(v);
}

std::optional<std::string> string_field(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v && v->is_string() && !v->get_string().empty()) return std::string(v->get_string());
    return std::nullopt;
}

/// The decision document of aml-compare, reduced to what registration needs.
struct decision_doc {
    bool approve = false;
    std::vector<std::string> reasons;
    json::object doc;
};

decision_doc read_decision(const fs::path& given) {
    std::error_code ec;
    const fs::path file = fs::is_directory(given, ec) ? given / "decision.json" : given;
    const std::string origin = file.string();
    json::value v = json::read_file(file);
    if (!v.is_object()) throw error(error_kind::bad_input, "decision must be a JSON object").in_file(origin);
    decision_doc d;
    d.doc = std::move(v.get_object());
    const std::string verdict = json::require_string(d.doc, "decision", origin);
    if (verdict != "approve" && verdict != "reject")
        throw error(error_kind::bad_input, "expected \"approve\" or \"reject\", got \"" + verdict + "\"").in_file(origin).on_field("decision");
    d.approve = verdict == "approve";
    if (const auto* reasons = d.doc.if_contains("reasons")) {
        if (!reasons->is_array()) throw error(error_kind::bad_input, "expected an array of strings").in_file(origin).on_field("reasons");
        for (const auto& r : reasons->get_array())
            if (r.is_string()) d.reasons.emplace_back(r.get_string());
    }
    return d;
}

const json::object* candidate_metrics(const json::object& decision) {
    const auto* metrics = decision.if_contains("metrics");
    if (!metrics || !metrics->is_object()) return nullptr;
    const auto* cand = metrics->get_object().if_contains("candidate");
    return cand && cand->is_object() ? &cand->get_object() : nullptr;
}

json::object read_model_manifest(const fs::path& model_dir) {
    std::error_code ec;
    const fs::path file = model_dir / "manifest.json";
    if (!fs::exists(file, ec)) return {};
    json::value v = json::read_file(file);
    return v.is_object() ? std::move(v.get_object()) : json::object{};
}

/// Removes a staging folder however promote() exits.
struct temp_dir_guard {
    fs::path path;
    ~temp_dir_guard() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

}  // namespace

register_outcome register_model(registry& reg, const register_request& r, const env_lookup& env) {
    require_valid_name(r.name, "model name");
    if (r.set_alias) require_valid_alias(*r.set_alias);
    const decision_doc decision = read_decision(r.decision);
    register_outcome out;
    out.reasons = decision.reasons;
    if (!decision.approve) {
        json::array reasons;
        for (const auto& s : decision.reasons) reasons.push_back(json::value(s));
        json::object details{{"decision", "reject"}, {"reasons", std::move(reasons)}, {"model_dir", r.model_dir.string()}};
        if (const auto* m = decision.doc.if_contains("metrics")) details["metrics"] = *m;
        if (auto run = env("AMLOPS_RUN_ID")) details["run_id"] = *run;
        reg.record_event("skip", r.name, r.actor, details);
        return out;
    }

    std::error_code ec;
    if (!fs::is_directory(r.model_dir, ec)) throw error(error_kind::not_found, "model folder does not exist").in_file(r.model_dir.string());
    if (!fs::exists(r.model_dir / "MLmodel", ec))
        throw error(error_kind::bad_input, "not an MLflow model folder (no MLmodel file)").in_file(r.model_dir.string());
    const json::object model_manifest = read_model_manifest(r.model_dir);

    new_version v;
    v.name = r.name;
    v.artifacts_dir = r.model_dir;
    v.description = r.description;
    v.created_by = r.actor;
    v.source.run_id = env("AMLOPS_RUN_ID");
    if (!v.source.run_id) v.source.run_id = env("AZUREML_RUN_ID");
    if (!v.source.run_id) v.source.run_id = string_field(model_manifest, "run_id");
    auto code = detect_code_version(env, string_field(model_manifest, "commit_sha"));
    v.source.commit_sha = std::move(code.commit_sha);
    v.source.branch = std::move(code.branch);
    v.source.pipeline = env("AMLOPS_PIPELINE_NAME");
    v.source.pipeline_run = env("AMLOPS_PIPELINE_RUN_ID");

    auto tag_if = [&](const char* key, const std::optional<std::string>& value) {
        if (value) v.tags[key] = *value;
    };
    tag_if("commit_sha", v.source.commit_sha);
    tag_if("branch", v.source.branch);
    tag_if("run_id", v.source.run_id);
    tag_if("pipeline", v.source.pipeline);
    tag_if("pipeline_run", v.source.pipeline_run);
    v.tags["decision"] = "approve";
    tag_if("primary_metric", string_field(decision.doc, "primary_metric"));
    if (const auto* cand = candidate_metrics(decision.doc)) {
        for (const auto& [k, val] : *cand) {
            if (!val.is_number()) continue;
            v.properties[k] = val;
            v.tags[std::string(k)] = number_text(val);
        }
    }
    if (const auto* metrics = decision.doc.if_contains("metrics"); metrics && metrics->is_object()) {
        if (const auto* delta = metrics->get_object().if_contains("delta"); delta && delta->is_object())
            if (const auto* rel = delta->get_object().if_contains("relative_improvement"); rel && rel->is_number())
                v.properties["relative_improvement"] = *rel;
    }
    for (const auto& [k, val] : r.tags) v.tags[k] = val;

    // A rerun with the same files (e.g. only the gate policy changed) returns the existing version.
    v.reuse_identical = true;
    create_result created = reg.create_version(v);
    if (r.set_alias) {
        const auto& aliases = created.version.aliases;
        if (std::find(aliases.begin(), aliases.end(), *r.set_alias) == aliases.end()) {
            out.alias_previous = reg.set_alias(r.name, *r.set_alias, created.version.version, r.actor);
            created.version = reg.get(created.version.uri());
        }
    }
    out.registered = true;
    out.created = created.created;
    out.version = std::move(created.version);
    return out;
}

promote_outcome promote(const registry_set& ws, const promote_request& r) {
    if (r.version.has_value() == r.alias.has_value())
        throw error(error_kind::usage, "give exactly one of --version and --alias");
    if (r.from == r.to) throw error(error_kind::usage, "--from and --to name the same registry '" + r.from + "'");
    require_valid_name(r.name, "model name");
    auto src = ws.open(r.from);
    auto dst = ws.open(r.to);
    const model_uri uri = r.version ? version_uri(r.from, r.name, *r.version) : alias_uri(r.from, r.name, *r.alias);

    promote_outcome out;
    out.source = src->get(uri);
    const std::string source_uri = out.source.uri().to_string();
    auto refuse = [&](const std::string& why) {
        throw error(error_kind::rejected, "promotion of " + source_uri + " to registry '" + r.to + "' refused: " + why);
    };
    if (out.source.archived) refuse("the source version is archived");
    for (const auto& [key, want] : r.required_tags) {
        const auto it = out.source.tags.find(key);
        if (it == out.source.tags.end()) refuse("required tag '" + key + "' is missing");
        if (want && it->second != *want) refuse("tag '" + key + "' is '" + it->second + "', required '" + *want + "'");
    }

    std::optional<model_version> existing;
    for (auto& v : dst->promoted_from(source_uri))
        if (v.name == r.name) existing = std::move(v);
    if (existing) {
        if (existing->manifest_sha256 != out.source.manifest_sha256)
            refuse("existing target " + existing->uri().to_string() + " has manifest sha256 " + existing->manifest_sha256 +
                   ", source has " + out.source.manifest_sha256);
        if (const auto problems = dst->verify(*existing); !problems.empty())
            refuse("existing target fails hash verification: " + problems.front().message);
        out.target = std::move(*existing);
        out.created = false;
    } else {
        temp_dir_guard staging{ws.make_temp_dir("promote")};
        new_version v;
        v.name = r.name;
        v.artifacts_dir = staging.path;
        v.type = out.source.type;
        v.description = out.source.description;
        v.tags = out.source.tags;
        v.tags["promoted_from"] = source_uri;
        v.tags["promoted_from_registry"] = r.from;
        v.tags["promoted_from_version"] = std::to_string(out.source.version);
        v.tags["source_manifest_sha256"] = out.source.manifest_sha256;
        v.properties = out.source.properties;
        v.source = out.source.source;
        v.created_by = r.actor;
        v.promoted_from = promotion_source{source_uri, out.source.manifest_sha256};
        create_result created;
        try {
            created = dst->copy_version(*src, out.source, v);
        } catch (const error& e) {
            // A corrupt source artifact is a refusal (exit 3), other storage failures are not.
            if (e.kind() == error_kind::rejected) refuse(e.what());
            if (e.kind() != error_kind::io) throw;
            if (const auto problems = src->verify(out.source); !problems.empty())
                refuse("hash verification failed: " + problems.front().message);
            throw;
        }
        out.target = std::move(created.version);
        out.created = created.created;
    }
    if (r.set_alias) {
        const bool already = std::find(out.target.aliases.begin(), out.target.aliases.end(), *r.set_alias) != out.target.aliases.end();
        if (!already) {
            out.alias_previous = dst->set_alias(r.name, *r.set_alias, out.target.version, r.actor);
            out.target = dst->get(out.target.uri());
        }
    }
    return out;
}

lineage_report lineage(const registry_set& ws, const model_uri& uri) {
    lineage_report rep;
    std::map<std::string, std::unique_ptr<registry>> opened;
    auto reg = [&](const std::string& name) -> registry* {
        auto& slot = opened[name];
        if (!slot) slot = ws.open(name);
        return slot.get();
    };
    const auto names = ws.registry_names();
    auto configured = [&](const std::string& name) { return std::find(names.begin(), names.end(), name) != names.end(); };

    std::deque<model_version> chain{reg(uri.registry)->get(uri)};
    // Backwards to the origin; a pruned or unconfigured source ends the walk.
    while (chain.front().promoted_from) {
        model_uri src;
        try {
            src = model_uri::parse(chain.front().promoted_from->uri);
        } catch (const error&) {
            break;
        }
        if (!configured(src.registry)) break;
        auto v = reg(src.registry)->find(src);
        if (!v) break;
        chain.push_front(std::move(*v));
    }
    // Forwards through every registry, breadth first.
    std::set<std::string> seen;
    for (const auto& v : chain) seen.insert(v.uri().to_string());
    for (std::size_t i = 0; i < chain.size(); ++i) {
        const std::string from = chain[i].uri().to_string();
        for (const auto& name : names) {
            for (auto& v : reg(name)->promoted_from(from))
                if (seen.insert(v.uri().to_string()).second) chain.push_back(std::move(v));
        }
    }
    const provenance& origin = chain.front().source;
    rep.commit_sha = origin.commit_sha;
    rep.branch = origin.branch;
    rep.pipeline = origin.pipeline;
    rep.pipeline_run = origin.pipeline_run;
    rep.run_id = origin.run_id;
    for (auto& v : chain) {
        for (auto& d : reg(v.registry)->deployments(v.name, v.version)) rep.deployments.emplace_back(v.uri().to_string(), std::move(d));
        rep.versions.push_back(std::move(v));
    }
    return rep;
}

json::object lineage_report::to_json() const {
    auto opt = [](const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); };
    json::array items;
    for (const auto& v : versions) {
        json::array aliases;
        for (const auto& a : v.aliases) aliases.push_back(json::value(a));
        items.push_back(json::object{{"uri", v.uri().to_string()},
                                        {"registry", v.registry},
                                        {"version", v.version},
                                        {"manifest_sha256", v.manifest_sha256},
                                        {"created_at", v.created_at},
                                        {"created_by", v.created_by},
                                        {"aliases", std::move(aliases)},
                                        {"archived", v.archived},
                                        {"promoted_from", v.promoted_from ? json::value(v.promoted_from->uri) : json::value(nullptr)}});
    }
    json::array deps;
    for (const auto& [uri, d] : deployments) {
        json::object o = amlops::registry::to_json(d);
        o["model_uri"] = uri;
        deps.push_back(std::move(o));
    }
    return json::object{{"commit_sha", opt(commit_sha)}, {"branch", opt(branch)},     {"pipeline", opt(pipeline)},
                        {"pipeline_run", opt(pipeline_run)}, {"run_id", opt(run_id)}, {"versions", std::move(items)},
                        {"deployments", std::move(deps)}};
}

std::string lineage_report::to_text() const {
    std::string out = "commit " + commit_sha.value_or("(unknown)");
    if (branch) out += " (branch " + *branch + ")";
    out += "\n";
    std::string indent = "  ";
    if (pipeline || pipeline_run || run_id) {
        out += indent + "-> pipeline " + pipeline.value_or("(none)");
        if (pipeline_run) out += ", pipeline run " + *pipeline_run;
        if (run_id) out += ", run " + *run_id;
        out += "\n";
        indent += "  ";
    }
    for (const auto& v : versions) {
        out += indent + "-> " + v.uri().to_string() + "  sha256 " + v.manifest_sha256.substr(0, 12) + "  " + v.created_at;
        if (!v.aliases.empty()) {
            out += "  [";
            for (std::size_t i = 0; i < v.aliases.size(); ++i) out += (i ? ", " : "") + v.aliases[i];
            out += "]";
        }
        if (v.archived) out += "  (archived)";
        out += "\n";
        indent += "  ";
        for (const auto& [uri, d] : deployments) {
            if (uri != v.uri().to_string()) continue;
            out += indent + "-> deployment " + d.deployment + " on endpoint " + d.endpoint + (d.active ? "" : " (replaced)") +
                   "  " + d.recorded_at + "\n";
        }
    }
    return out;
}

}  // namespace amlops::registry
