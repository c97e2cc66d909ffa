#include "amlops/registry/model_version.hpp"

#include "amlops/core/error.hpp"
#include "amlops/core/sha256.hpp"

namespace amlops::registry {

namespace {
json::value optional_string(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }
}  // namespace

std::string manifest::canonical_text() const {
    // Compact and key-sorted by construction: the hash must not depend on a pretty printer.
    json::array arr;
    arr.reserve(files.size());
    for (const auto& f : files) arr.push_back(json::object{{"path", f.path}, {"sha256", f.sha256}, {"size", f.size}});
    return boost::json::serialize(json::object{{"files", std::move(arr)}});
}

std::string manifest::sha256() const { return sha256_hex(canonical_text()); }

manifest manifest::parse(std::string_view text, std::string_view origin) {
    const json::value doc = json::parse(text, origin);
    const auto* obj = doc.if_object();
    const auto* files = obj ? obj->if_contains("files") : nullptr;
    if (!files || !files->is_array())
        throw error(error_kind::bad_input, "manifest has no 'files' array").in_file(std::string(origin));
    manifest m;
    for (const auto& f : files->get_array()) {
        if (!f.is_object()) throw error(error_kind::bad_input, "manifest entry is not an object").in_file(std::string(origin));
        const auto& o = f.get_object();
        artifact_entry e;
        e.path = json::require_string(o, "path", origin);
        e.sha256 = json::require_string(o, "sha256", origin);
        const auto& size = json::require(o, "size", origin);
        if (const auto* u = size.if_uint64()) e.size = *u;
        else if (const auto* i = size.if_int64(); i && *i >= 0) e.size = static_cast<std::uint64_t>(*i);
        else throw error(error_kind::bad_input, "manifest size is not a non-negative integer").in_file(std::string(origin)).on_field("size");
        m.files.push_back(std::move(e));
    }
    return m;
}

std::uint64_t manifest::total_size() const {
    std::uint64_t n = 0;
    for (const auto& f : files) n += f.size;
    return n;
}

json::object to_json(const artifact_entry& a) {
    return json::object{{"path", a.path}, {"size", a.size}, {"sha256", a.sha256}};
}

json::object to_json(const model_version& v) {
    json::object tags;
    for (const auto& [k, val] : v.tags) tags[k] = val;
    json::array aliases;
    for (const auto& a : v.aliases) aliases.push_back(json::value(a));
    json::object out{{"uri", v.uri().to_string()},
                     {"registry", v.registry},
                     {"name", v.name},
                     {"version", v.version},
                     {"type", v.type},
                     {"description", v.description},
                     {"tags", std::move(tags)},
                     {"properties", v.properties},
                     {"created_at", v.created_at},
                     {"created_by", v.created_by},
                     {"source", json::object{{"run_id", optional_string(v.source.run_id)},
                                             {"pipeline_run", optional_string(v.source.pipeline_run)},
                                             {"pipeline", optional_string(v.source.pipeline)},
                                             {"commit_sha", optional_string(v.source.commit_sha)},
                                             {"branch", optional_string(v.source.branch)}}},
                     {"manifest_sha256", v.manifest_sha256},
                     {"aliases", std::move(aliases)},
                     {"archived", v.archived}};
    out["promoted_from"] = v.promoted_from ? json::value(json::object{{"uri", v.promoted_from->uri},
                                                                       {"manifest_sha256", v.promoted_from->manifest_sha256}})
                                           : json::value(nullptr);
    return out;
}

json::object to_json(const deployment_record& d) {
    return json::object{{"version", d.version},         {"endpoint", d.endpoint},       {"deployment", d.deployment},
                        {"recorded_at", d.recorded_at}, {"recorded_by", d.recorded_by}, {"active", d.active},
                        {"details", d.details}};
}

json::object to_json(const audit_entry& e) {
    return json::object{{"id", e.id},
                        {"at", e.at},
                        {"actor", e.actor},
                        {"action", e.action},
                        {"name", e.name},
                        {"version", e.version ? json::value(*e.version) : json::value(nullptr)},
                        {"before", e.before},
                        {"after", e.after},
                        {"details", e.details}};
}

json::object to_json(const prune_result& r) {
    json::array removed, kept;
    for (auto v : r.removed) removed.push_back(v);
    for (auto v : r.kept) kept.push_back(v);
    json::object protected_versions;
    for (const auto& [v, why] : r.protected_reasons) protected_versions[std::to_string(v)] = why;
    return json::object{{"dry_run", r.dry_run}, {"removed", std::move(removed)}, {"kept", std::move(kept)},
                        {"protected", std::move(protected_versions)}};
}

}  // namespace amlops::registry
