#include "amlops/azureml/azureml_registry.hpp"

#include "amlops/arm/client.hpp"
#include "amlops/arm/connection.hpp"
#include "amlops/azureml/blob.hpp"
#include "amlops/azureml/datastore.hpp"
#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "amlops/core/sha256.hpp"
#include "amlops/core/version.hpp"
#include "amlops/registry/artifact_store.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace amlops::azureml {
namespace fs = std::filesystem;
namespace reg = amlops::registry;
using registry::model_version;

namespace {

constexpr std::string_view tag_prefix = "amlops.";
constexpr std::string_view manifest_blob = "amlops-manifest.json";
constexpr std::string_view alias_prefix = "amlops.alias.";
constexpr std::string_view deploy_prefix = "amlops.deploy.";

std::string read_bytes(const fs::path& p) { return read_file(p); }

std::string str(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->as_string());
    return {};
}

bool is_number(const std::string& s) {
    return !s.empty() && s.size() < 18 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// A blob folder or container URL (SAS query kept, if any) and the transport that authorizes
/// requests to it: the SAS transport (no bearer token) or the storage-token reader.
struct blob_folder {
    std::string url;
    http::transport* transport = nullptr;
};
struct datastore_info {
    std::string container;  ///< container URL, with "?<SAS>" for key- or SAS-based datastores
    http::transport* transport = nullptr;
};

class azureml_registry final : public reg::registry {
public:
    azureml_registry(std::string name, target where, backend_options o)
        : name_(std::move(name)), where_(std::move(where)), options_(std::move(o)) {
        arm::connection_options co;
        co.env = options_.env;
        co.transport = options_.transport;
        co.credential = options_.credential;
        co.arm_endpoint = where_.arm_endpoint;
        co.authority_host = where_.authority_host;
        co.retry = options_.retry;
        co.log = options_.log;
        co.now = options_.now;
        co.arm.sleep = options_.poll_sleep;
        arm::connection connection(co);
        arm_ = connection.shared_arm();
        // SAS uploads carry their authorization in the URL: no bearer token on them.
        sas_ = connection.pipeline("");
        blob_reader_ = connection.pipeline(arm::storage_scope);
        parent_ = where_.registry.empty() ? arm::workspace_id(where_.subscription, where_.resource_group, where_.workspace)
                                          : arm::registry_id(where_.subscription, where_.resource_group, where_.registry);
    }

    const std::string& name() const override { return name_; }

    reg::create_result create_version(const reg::new_version& v) override {
        reg::require_valid_name(v.name, "model name");
        // Manifest first: a file changing while we upload would otherwise go unnoticed.
        reg::manifest m;
        for (const auto& rel : reg::list_model_files(v.artifacts_dir)) {
            const fs::path p = v.artifacts_dir / rel;
            m.files.push_back({rel, static_cast<std::uint64_t>(fs::file_size(p)), sha256_file(p)});
        }
        const std::string manifest_sha = m.sha256();
        if (v.reuse_identical && !v.promoted_from) {
            // Same files already registered (and not archived): that version, no upload. Unlike
            // the local backend this check is not atomic with the creation; two identical
            // registrations racing each other may both create a version.
            reg::version_filter f;
            f.name = v.name;
            for (auto& existing : list(f))
                if (existing.manifest_sha256 == manifest_sha) return {std::move(existing), false};
        }
        const std::string created_at = utc_now_iso8601();
        std::int64_t tried = 0;
        for (int attempt = 0; attempt < 5; ++attempt) {
            // Never the same number twice: a stale nextVersion must not exhaust the attempts.
            const std::int64_t number = std::max(next_version(v.name), tried + 1);
            tried = number;
            const auto id = arm::model_version_id(parent_, v.name, std::to_string(number));
            std::string model_uri;
            if (where_.registry.empty()) {
                // The number must still be free: uploading first would overwrite the artifacts
                // of a version someone else just created under the same datastore path.
                if (arm_->find(id)) continue;
                model_uri = upload_to_datastore(v, m, number);
            } else {
                model_uri = upload_pending(id, v, m);
            }

            json::object tags;
            for (const auto& [k, val] : v.tags) tags[k] = val;
            tags["amlops.manifest_sha256"] = manifest_sha;
            tags["amlops.created_at"] = created_at;
            tags["amlops.created_by"] = v.created_by;
            tags["amlops.properties"] = boost::json::serialize(v.properties);
            if (v.promoted_from) {
                tags["amlops.promoted_from"] = v.promoted_from->uri;
                tags["amlops.source_manifest_sha256"] = v.promoted_from->manifest_sha256;
            }
            json::object body{{"properties", json::object{{"modelUri", model_uri}, {"modelType", v.type}, {"description", v.description},
                                                           {"tags", tags}, {"properties", json::object{}}}}};
            try {
                const auto res = arm_->put(id, body);
                return {to_version(v.name, res), true};
            } catch (const arm::arm_error& e) {
                // 409: someone else created this number meanwhile; take the next one.
                if (e.context().http_status != 409) throw;
            }
        }
        throw error(error_kind::service, "could not allocate a version number for '" + v.name + "' after 5 attempts (concurrent registrations)");
    }

    model_version get(const reg::model_uri& uri) override {
        if (auto v = find(uri)) return *v;
        throw error(error_kind::not_found, "model version " + uri.to_string() + " does not exist in Azure ML " + parent_.str());
    }

    std::optional<model_version> find(const reg::model_uri& uri) override {
        using sel = reg::selector;
        std::int64_t number = uri.version;
        if (uri.by == sel::alias) {
            const auto aliases = aliases_of(uri.name);
            auto it = std::find_if(aliases.begin(), aliases.end(), [&](const auto& a) { return a.first == uri.alias; });
            if (it == aliases.end()) return std::nullopt;
            number = it->second;
        }
        if (uri.by != sel::latest) {
            auto doc = arm_->find(arm::model_version_id(parent_, uri.name, std::to_string(number)));
            if (!doc) return std::nullopt;
            auto v = to_version(uri.name, *doc);
            add_aliases(v, aliases_of(uri.name));
            return v;
        }
        reg::version_filter f;
        f.name = uri.name;
        f.limit = 1;
        auto all = list(f);
        if (all.empty()) return std::nullopt;
        return all.front();
    }

    std::vector<model_version> list(const reg::version_filter& f) override {
        std::vector<std::string> names;
        if (f.name) {
            names.push_back(*f.name);
        } else {
            // ModelContainers_List also defaults to ActiveOnly: an archived container's versions
            // still count (promotion lineage, include-archived lists).
            for (const auto& c : arm_->list(parent_, "models", {{"listViewType", "All"}})) names.push_back(str(c.as_object(), "name"));
        }
        std::vector<model_version> out;
        for (const auto& n : names) {
            const auto docs = version_docs(n);
            const auto aliases = docs.empty() ? std::vector<std::pair<std::string, std::int64_t>>{} : aliases_of(n);
            for (const auto& d : docs) {
                if (!is_number(str(d.as_object(), "name"))) continue;  // not an amlops version
                auto v = to_version(n, d);
                add_aliases(v, aliases);
                if (v.archived && !f.include_archived) continue;
                bool match = true;
                for (const auto& [k, val] : f.tags) {
                    auto it = v.tags.find(k);
                    match = match && it != v.tags.end() && it->second == val;
                }
                if (match) out.push_back(std::move(v));
            }
        }
        std::sort(out.begin(), out.end(), [](const model_version& a, const model_version& b) {
            return a.name != b.name ? a.name < b.name : a.version > b.version;
        });
        if (f.limit && out.size() > f.limit) out.resize(f.limit);
        return out;
    }

    reg::manifest read_manifest(const model_version& v) override { return read_manifest(v, artifacts_of(v)); }

    reg::manifest read_manifest(const model_version& v, const blob_folder& folder) {
        const auto text = download_blob(*folder.transport, blob_url(folder.url, std::string(manifest_blob)));
        auto m = reg::manifest::parse(text, v.uri().to_string() + " manifest");
        if (m.sha256() != v.manifest_sha256)
            throw error(error_kind::io, "manifest of " + v.uri().to_string() + " does not match its hash (expected " +
                                            v.manifest_sha256 + ", got " + m.sha256() + ")");
        return m;
    }

    reg::manifest download(const model_version& v, const fs::path& dest) override {
        const auto folder = artifacts_of(v);
        const auto m = read_manifest(v, folder);
        fs::create_directories(dest);
        for (const auto& f : m.files) {
            const auto bytes = download_blob(*folder.transport, blob_url(folder.url, f.path));
            if (bytes.size() != f.size || sha256_hex(bytes) != f.sha256)
                throw error(error_kind::io, "artifact '" + f.path + "' of " + v.uri().to_string() +
                                                " does not match the manifest (expected sha256 " + f.sha256 + ")");
            fs::create_directories((dest / f.path).parent_path());
            write_file_atomic(dest / f.path, bytes);
        }
        return m;
    }

    std::vector<reg::integrity_problem> verify(const model_version& v) override {
        std::vector<reg::integrity_problem> problems;
        reg::manifest m;
        blob_folder folder;
        try {
            folder = artifacts_of(v);
            m = read_manifest(v, folder);
        } catch (const error& e) {
            return {{"manifest", e.what()}};
        }
        for (const auto& f : m.files) {
            try {
                const auto bytes = download_blob(*folder.transport, blob_url(folder.url, f.path));
                const auto got = sha256_hex(bytes);
                if (bytes.size() != f.size || got != f.sha256)
                    problems.push_back({f.path, "expected sha256 " + f.sha256 + ", got " + got});
            } catch (const error& e) {
                problems.push_back({f.path, e.what()});
            }
        }
        return problems;
    }

    std::optional<std::int64_t> set_alias(const std::string& model, const std::string& alias, std::int64_t version,
                                          const std::string&) override {
        reg::require_valid_alias(alias);
        (void)get(reg::version_uri(name_, model, version));  // not_found for an absent version
        auto container = container_doc(model);
        auto& tags = container_tags(container);
        const std::string key = std::string(alias_prefix) + alias;
        std::optional<std::int64_t> previous;
        if (const auto* old = tags.if_contains(key); old && old->is_string() && is_number(std::string(old->as_string())))
            previous = std::stoll(std::string(old->as_string()));
        tags[key] = std::to_string(version);
        put_container(model, container);
        return previous;
    }
    std::int64_t unset_alias(const std::string& model, const std::string& alias, const std::string&) override {
        auto container = container_doc(model);
        auto& tags = container_tags(container);
        const std::string key = std::string(alias_prefix) + alias;
        const auto* old = tags.if_contains(key);
        if (!old || !old->is_string() || !is_number(std::string(old->as_string())))
            throw error(error_kind::not_found, "alias '" + alias + "' of model '" + model + "' does not exist in " + name_);
        const auto previous = std::stoll(std::string(old->as_string()));
        tags.erase(key);
        put_container(model, container);
        return previous;
    }
    // Archiving is Azure ML's own flag (`isArchived`, what `az ml model archive` sets): archived
    // versions disappear from the studio's lists and from `latest` there too.
    model_version set_archived(const std::string& model, std::int64_t version, bool archived, const std::string&) override {
        const auto doc = update_version(model, version, [&](json::object& props) { props["isArchived"] = archived; });
        auto v = to_version(model, doc);
        add_aliases(v, aliases_of(model));
        return v;
    }

    // Pruning deletes model versions (DELETE .../versions/{v}); the registry's storage for them
    // is managed by Azure ML. Aliased and actively deployed versions are never removed.
    reg::prune_result prune(const std::string& model, std::size_t retain, bool dry_run, const std::string&) override {
        reg::version_filter f;
        f.name = model;
        f.include_archived = true;
        const auto versions = list(f);  // newest first
        std::map<std::int64_t, std::string> deployed;
        for (const auto& d : deployments(model, std::nullopt))
            if (d.active) deployed[d.version] = "deployed to " + d.endpoint + "/" + d.deployment;
        reg::prune_result r;
        r.dry_run = dry_run;
        for (std::size_t i = 0; i < versions.size(); ++i) {
            const auto& v = versions[i];
            if (i < retain) {
                r.kept.push_back(v.version);
            } else if (!v.aliases.empty()) {
                r.kept.push_back(v.version);
                r.protected_reasons[v.version] = "alias " + v.aliases.front();
            } else if (deployed.count(v.version)) {
                r.kept.push_back(v.version);
                r.protected_reasons[v.version] = deployed[v.version];
            } else {
                r.removed.push_back(v.version);
            }
        }
        if (!dry_run)
            for (const auto n : r.removed) arm_->remove(arm::model_version_id(parent_, model, std::to_string(n)));
        return r;
    }

    // Deployment records are tags on the deployed version, `amlops.deploy.<endpoint>.<deployment>`
    // = {endpoint, deployment, recorded_at, recorded_by, active, details}, so they show next to
    // the model in Azure ML studio; recording one marks the same endpoint/deployment inactive on
    // the other versions.
    reg::deployment_record record_deployment(const std::string& model, std::int64_t version, const reg::deployment_record& d) override {
        if (d.endpoint.empty() || d.deployment.empty())
            throw error(error_kind::bad_input, "a deployment record needs an endpoint and a deployment name");
        reg::deployment_record rec = d;
        rec.version = version;
        rec.active = true;
        if (rec.recorded_at.empty()) rec.recorded_at = utc_now_iso8601();
        const std::string key = std::string(deploy_prefix) + d.endpoint + "." + d.deployment;
        // The target first: an absent version fails before anything else changes.
        update_version(model, version, [&](json::object& props) { tags_of(props)[key] = boost::json::serialize(deployment_json(rec)); });
        for (const auto& other : deployments(model, std::nullopt)) {
            if (other.version == version || !other.active || other.endpoint != d.endpoint || other.deployment != d.deployment) continue;
            auto record = deployment_json(other);
            record["active"] = false;
            update_version(model, other.version, [&](json::object& props) { tags_of(props)[key] = boost::json::serialize(record); });
        }
        return rec;
    }
    std::vector<reg::deployment_record> deployments(const std::string& model, std::optional<std::int64_t> version) override {
        std::vector<reg::deployment_record> out;
        for (const auto& doc : version_docs(model)) {
            const auto num = str(doc.as_object(), "name");
            if (!is_number(num) || (version && std::stoll(num) != *version)) continue;
            const auto* props = doc.as_object().if_contains("properties");
            const auto* tags = props && props->is_object() ? props->as_object().if_contains("tags") : nullptr;
            if (!tags || !tags->is_object()) continue;
            for (const auto& [k, val] : tags->as_object()) {
                const std::string key(k);
                if (key.rfind(deploy_prefix, 0) != 0 || !val.is_string()) continue;
                boost::system::error_code ec;
                const auto parsed = boost::json::parse(val.as_string(), ec);
                if (ec || !parsed.is_object()) continue;
                const auto& o = parsed.as_object();
                reg::deployment_record r;
                r.endpoint = str(o, "endpoint");
                r.deployment = str(o, "deployment");
                r.recorded_at = str(o, "recorded_at");
                r.recorded_by = str(o, "recorded_by");
                if (const auto* a = o.if_contains("active"); a && a->is_bool()) r.active = a->as_bool();
                if (const auto* det = o.if_contains("details"); det && det->is_object()) r.details = det->as_object();
                r.version = std::stoll(num);
                out.push_back(std::move(r));
            }
        }
        std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.recorded_at < b.recorded_at; });
        return out;
    }

    // Azure ML has no append-only log of asset changes we could write to (Azure records writes
    // in its Activity Log). An event that changes no version — a skipped registration — is kept
    // as the latest event per action on the model container (`amlops.event.<action>` tag), so
    // a rejected candidate is visible in the studio and the reject path of a pipeline succeeds.
    // Reading an audit log is refused (exit 2) rather than answered with a partial history.
    reg::audit_entry record_event(const std::string& action, const std::string& model, const std::string& actor,
                                  const json::object& details) override {
        reg::require_valid_name(model, "model name");
        reg::audit_entry e;
        e.at = utc_now_iso8601();
        e.actor = actor;
        e.action = action;
        e.name = model;
        e.details = details;
        auto doc = arm_->find(parent_.child("models", model));
        json::object container = doc && doc->is_object() ? doc->as_object() : json::object{};
        if (!container.contains("properties") || !container["properties"].is_object()) container["properties"] = json::object{};
        container_tags(container)[std::string(tag_prefix) + "event." + action] =
            boost::json::serialize(json::object{{"at", e.at}, {"actor", actor}, {"details", details}});
        put_container(model, container);
        return e;
    }
    std::vector<reg::audit_entry> audit(const reg::audit_filter&) override {
        throw error(error_kind::config,
                    "registry '" + name_ + "' is an Azure ML registry, which keeps no amlops audit log: use the Azure Activity Log "
                    "(az monitor activity-log list --resource-id " + parent_.str() + ") for writes, and `aml-register show` for "
                    "creator, creation time, promotion source and deployments of a version");
    }

    std::vector<model_version> promoted_from(const std::string& source_uri) override {
        std::vector<model_version> out;
        for (auto& v : list({std::nullopt, {}, true, 0}))
            if (v.promoted_from && v.promoted_from->uri == source_uri) out.push_back(std::move(v));
        return out;
    }

private:
    /// The model container (where aliases live as `amlops.alias.<alias>` tags).
    json::object container_doc(const std::string& model) {
        auto doc = arm_->find(parent_.child("models", model));
        if (!doc || !doc->is_object()) throw error(error_kind::not_found, "model '" + model + "' does not exist in " + name_);
        auto& o = doc->as_object();
        if (!o.contains("properties") || !o["properties"].is_object()) o["properties"] = json::object{};
        return o;
    }
    static json::object& tags_of(json::object& props) {
        if (!props.contains("tags") || !props["tags"].is_object()) props["tags"] = json::object{};
        return props["tags"].as_object();
    }
    static json::object deployment_json(const reg::deployment_record& d) {
        return json::object{{"endpoint", d.endpoint}, {"deployment", d.deployment}, {"recorded_at", d.recorded_at},
                            {"recorded_by", d.recorded_by}, {"active", d.active}, {"details", d.details}};
    }
    /// The read-only properties of model containers and versions (mfe.json 2025-09-01:
    /// AssetContainer.latestVersion / nextVersion, ModelContainer / ModelVersion
    /// provisioningState, all `readOnly: true`): what a GET answers, never what a PUT may send.
    static void strip_read_only(json::object& props) {
        for (const char* k : {"provisioningState", "latestVersion", "nextVersion"}) props.erase(k);
    }
    /// PUT of a model container from a document GET answered (ModelContainers_CreateOrUpdate):
    /// only `properties`, without its read-only members (systemData and id/name/type are
    /// top-level and are not sent at all).
    void put_container(const std::string& model, const json::object& container) {
        json::object props = container.at("properties").as_object();
        strip_read_only(props);
        arm_->put(parent_.child("models", model), json::object{{"properties", props}});
    }

    /// GETs a version, lets `change` edit its properties and PUTs it back, answering the stored
    /// version. Read-only properties are not sent back. Throws error(not_found).
    json::value update_version(const std::string& model, std::int64_t version, const std::function<void(json::object&)>& change) {
        const auto id = arm::model_version_id(parent_, model, std::to_string(version));
        auto doc = arm_->find(id);
        if (!doc || !doc->is_object())
            throw error(error_kind::not_found, "model version " + reg::version_uri(name_, model, version).to_string() + " does not exist in Azure ML " +
                                                   parent_.str());
        const auto* p = doc->as_object().if_contains("properties");
        json::object props = p && p->is_object() ? p->as_object() : json::object{};
        strip_read_only(props);
        change(props);
        return arm_->put(id, json::object{{"properties", props}});
    }
    static json::object& container_tags(json::object& container) {
        auto& props = container["properties"].as_object();
        if (!props.contains("tags") || !props["tags"].is_object()) props["tags"] = json::object{};
        return props["tags"].as_object();
    }
    std::vector<std::pair<std::string, std::int64_t>> aliases_of(const std::string& model) {
        std::vector<std::pair<std::string, std::int64_t>> out;
        auto doc = arm_->find(parent_.child("models", model));
        if (!doc || !doc->is_object()) return out;
        const auto* props = doc->as_object().if_contains("properties");
        const auto* tags = props && props->is_object() ? props->as_object().if_contains("tags") : nullptr;
        if (!tags || !tags->is_object()) return out;
        for (const auto& [k, val] : tags->as_object()) {
            const std::string key(k);
            if (key.rfind(alias_prefix, 0) != 0 || !val.is_string() || !is_number(std::string(val.as_string()))) continue;
            out.emplace_back(key.substr(alias_prefix.size()), std::stoll(std::string(val.as_string())));
        }
        return out;
    }
    static void add_aliases(model_version& v, const std::vector<std::pair<std::string, std::int64_t>>& aliases) {
        for (const auto& [alias, number] : aliases)
            if (number == v.version) v.aliases.push_back(alias);
        std::sort(v.aliases.begin(), v.aliases.end());
    }

    /// Every version document of `model` (all pages, archived ones included); none when the
    /// model does not exist yet. ModelVersions_List defaults to listViewType=ActiveOnly (mfe.json
    /// 2025-09-01), which hides archived versions from numbering, prune, `list
    /// --include-archived`, promotion lineage and deployment records: All is asked for.
    std::vector<json::value> version_docs(const std::string& model) {
        try {
            return arm_->list(parent_.child("models", model), "versions", {{"listViewType", "All"}});
        } catch (const error& e) {
            if (e.kind() != error_kind::not_found) throw;
            return {};
        }
    }

    /// The number the next version takes: the container's read-only `nextVersion` (the service's
    /// own counter, AssetContainer.nextVersion in mfe.json; azure-ai-ml's model operations take
    /// it too when a version is created without a number), else one above every listed version.
    std::int64_t next_version(const std::string& model) {
        if (auto c = arm_->find(parent_.child("models", model)); c && c->is_object()) {
            const auto* p = c->as_object().if_contains("properties");
            const auto next = p && p->is_object() ? str(p->as_object(), "nextVersion") : std::string{};
            if (is_number(next)) return std::max<std::int64_t>(1, std::stoll(next));
        }
        std::int64_t max = 0;
        for (const auto& d : version_docs(model)) {
            const auto n = str(d.as_object(), "name");
            if (is_number(n)) max = std::max<std::int64_t>(max, std::stoll(n));
        }
        return max + 1;
    }

    /// The blob folder of a version's artifacts with its read authorization.
    ///  - Registry: modelUri is a blob folder in the registry's own storage, which lives in a
    ///    managed resource group where callers normally hold no data role: a read SAS comes from
    ///    RegistryDataReferences_GetBlobReferenceSAS (POST .../registries/{r}/datareferences/
    ///    {name}/versions/{v} with {assetId, blobUri} -> blobReferenceForConsumption.credential
    ///    .sasUri), what azure-ai-ml does for registry assets (_registry_utils,
    ///    get_sas_uri_for_registry_asset, used by its artifact download).
    ///  - Workspace: the azureml:// datastore URI resolved through the datastore (datastore_access).
    blob_folder artifacts_of(const model_version& v) {
        const auto doc = arm_->get(arm::model_version_id(parent_, v.name, std::to_string(v.version)));
        const auto uri = str(doc.at("properties").as_object(), "modelUri");
        if (uri.empty()) throw error(error_kind::service, v.uri().to_string() + " has no modelUri");
        if (uri.rfind("azureml://", 0) != 0) {
            if (where_.registry.empty()) return {uri, blob_reader_.get()};  // a plain URL in a workspace: caller's token
            const auto ref = arm_->post(parent_.child("datareferences", v.name).child("versions", std::to_string(v.version)), "",
                                        json::object{{"assetId", "azureml://registries/" + where_.registry + "/models/" + v.name +
                                                                     "/versions/" + std::to_string(v.version)},
                                                     {"blobUri", uri}});
            const auto* r = ref.is_object() ? ref.as_object().if_contains("blobReferenceForConsumption") : nullptr;
            const auto* c = r && r->is_object() ? r->as_object().if_contains("credential") : nullptr;
            const auto sas = c && c->is_object() ? str(c->as_object(), "sasUri") : std::string{};
            if (sas.empty())
                throw error(error_kind::service, "the registry data reference of " + v.uri().to_string() + " returned no SAS URI");
            return {sas, sas_.get()};
        }
        static const std::string ds = "/datastores/", paths = "/paths/";
        const auto d = uri.find(ds);
        const auto p = d == std::string::npos ? d : uri.find(paths, d + ds.size());
        if (p == std::string::npos)
            throw error(error_kind::service, v.uri().to_string() + " has modelUri '" + uri + "', which is not a datastore path");
        std::string folder = uri.substr(p + paths.size());
        while (!folder.empty() && folder.back() == '/') folder.pop_back();
        const auto& access = datastore_access(uri.substr(d + ds.size(), p - d - ds.size()));
        return {blob_url(access.container, folder), access.transport};
    }

    /// Registry: startPendingUpload, then the files to the SAS it hands out. Answers the blobUri
    /// (the version's modelUri).
    std::string upload_pending(const arm::resource_id& id, const reg::new_version& v, const reg::manifest& m) {
        const json::value pending = arm_->post(id, "startPendingUpload",
            json::object{{"pendingUploadId", random_uuid()}, {"pendingUploadType", "TemporaryBlobReference"}});
        const auto& ref = pending.at("blobReferenceForConsumption").as_object();
        const std::string blob_uri = str(ref, "blobUri");
        const std::string sas = str(ref.at("credential").as_object(), "sasUri");
        if (blob_uri.empty() || sas.empty()) throw error(error_kind::service, "startPendingUpload returned no blobUri/sasUri");
        upload_files(*sas_, sas, v, m);
        return blob_uri;
    }

    /// Workspace: what `az ml model create --path` does — the files to `amlops/<model>/<version>/`
    /// of the workspace datastore, authorized as the datastore says (datastore_access). Answers
    /// the azureml:// datastore URI (the version's modelUri).
    std::string upload_to_datastore(const reg::new_version& v, const reg::manifest& m, std::int64_t number) {
        const std::string path = "amlops/" + v.name + "/" + std::to_string(number);
        const auto& access = datastore_access(where_.datastore);
        upload_files(*access.transport, blob_url(access.container, path), v, m);
        return "azureml://subscriptions/" + where_.subscription + "/resourcegroups/" + where_.resource_group + "/workspaces/" +
               where_.workspace + "/datastores/" + where_.datastore + "/paths/" + path + "/";
    }

    /// Every artifact, then the manifest, below `folder` (a container or folder URL, SAS or not).
    void upload_files(http::transport& t, const std::string& folder, const reg::new_version& v, const reg::manifest& m) const {
        const std::size_t block = options_.block_size ? options_.block_size : default_block_size;
        for (const auto& f : m.files) upload_blob(t, blob_url(folder, f.path), read_bytes(v.artifacts_dir / f.path), block);
        upload_blob(t, blob_url(folder, std::string(manifest_blob)), m.canonical_text(), block);
    }

    /// Container URL of workspace datastore `name` (GET .../datastores/{name}, cached):
    /// `{protocol}://{accountName}.blob.{endpoint}/{containerName}`, or `blob_endpoint/{containerName}`
    /// when config.yaml overrides the account URL, with the authorization the datastore calls
    /// for, as azure-ai-ml's artifact upload/download does (_artifact_utilities,
    /// get_datastore_info): credentialsType AccountKey or Sas -> Datastores_ListSecrets (POST
    /// .../datastores/{name}/listSecrets): an account key signs a container SAS here
    /// (sign_container_sas), a SAS token is used as it is; None (identity-based datastores of
    /// locked-down workspaces) and other types -> the caller's Entra token for storage. The
    /// default `workspaceblobstore` is key-based. Throws error(config) for a datastore that is
    /// not Azure Blob storage.
    const datastore_info& datastore_access(const std::string& name) {
        if (auto it = datastores_.find(name); it != datastores_.end()) return it->second;
        const auto where = locate_datastore(*arm_, parent_, name, where_.blob_endpoint);
        return datastores_[name] = datastore_info{where.container, where.sas ? sas_.get() : blob_reader_.get()};
    }

    model_version to_version(const std::string& model, const json::value& doc) const {
        const auto& o = doc.as_object();
        model_version v;
        v.registry = name_;
        v.name = model;
        const auto num = str(o, "name");
        if (!is_number(num)) throw error(error_kind::service, "Azure ML version '" + num + "' of '" + model + "' is not an amlops version number");
        v.version = std::stoll(num);
        const json::object empty;
        const auto* p = o.if_contains("properties");
        const auto& props = p && p->is_object() ? p->as_object() : empty;
        v.type = str(props, "modelType");
        v.description = str(props, "description");
        if (const auto* a = props.if_contains("isArchived"); a && a->is_bool()) v.archived = a->as_bool();
        std::map<std::string, std::string> internal;
        if (const auto* t = props.if_contains("tags"); t && t->is_object()) {
            for (const auto& [k, val] : t->as_object()) {
                const std::string key(k);
                const std::string value = val.is_string() ? std::string(val.as_string()) : boost::json::serialize(val);
                if (key.rfind(tag_prefix, 0) == 0) internal[key.substr(tag_prefix.size())] = value;
                else v.tags[key] = value;
            }
        }
        v.manifest_sha256 = internal["manifest_sha256"];
        v.created_at = internal["created_at"];
        v.created_by = internal["created_by"];
        if (!internal["properties"].empty()) {
            boost::system::error_code ec;
            auto parsed = boost::json::parse(internal["properties"], ec);
            if (!ec && parsed.is_object()) v.properties = parsed.as_object();
        }
        if (!internal["promoted_from"].empty()) v.promoted_from = reg::promotion_source{internal["promoted_from"], internal["source_manifest_sha256"]};
        auto tag = [&](const char* key) -> std::optional<std::string> {
            auto it = v.tags.find(key);
            return it == v.tags.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
        v.source.commit_sha = tag("commit_sha");
        v.source.branch = tag("branch");
        v.source.run_id = tag("run_id");
        v.source.pipeline = tag("pipeline");
        v.source.pipeline_run = tag("pipeline_run");
        return v;
    }

    std::string name_;
    target where_;
    backend_options options_;
    std::shared_ptr<arm::client> arm_;
    std::shared_ptr<http::transport> sas_;
    std::shared_ptr<http::transport> blob_reader_;  // bearer token for storage: reads, datastore uploads
    std::map<std::string, datastore_info> datastores_;  // datastore name -> container URL + authorization
    arm::resource_id parent_;
};

}  // namespace

target target::from_settings(const std::string& name, const std::map<std::string, std::string>& settings) {
    target t;
    auto get = [&](const char* key) {
        auto it = settings.find(key);
        return it == settings.end() ? std::string{} : it->second;
    };
    auto missing = [&](const char* key) {
        return error(error_kind::config, std::string("azureml registry '") + name + "' needs '" + key + "'")
            .on_field("registries." + name + "." + key);
    };
    t.subscription = get("subscription");
    t.resource_group = get("resource_group");
    t.registry = get("registry");
    t.workspace = get("workspace");
    t.arm_endpoint = get("arm_endpoint");
    t.authority_host = get("authority_host");
    if (auto d = get("datastore"); !d.empty()) t.datastore = d;
    t.blob_endpoint = get("blob_endpoint");
    if (t.subscription.empty()) throw missing("subscription");
    if (t.resource_group.empty()) throw missing("resource_group");
    if (t.registry.empty() == t.workspace.empty())
        throw error(error_kind::config, "azureml registry '" + name + "' needs exactly one of 'registry' or 'workspace'")
            .on_field("registries." + name);
    // Registries bring their own upload storage (startPendingUpload): a datastore setting there
    // would be silently ignored, so it is refused.
    for (const char* key : {"datastore", "blob_endpoint"})
        if (!t.registry.empty() && !get(key).empty())
            throw error(error_kind::config, std::string("azureml registry '") + name + "': '" + key + "' applies to workspaces only")
                .on_field("registries." + name + "." + key);
    return t;
}

std::unique_ptr<reg::registry> open_azureml_registry(const std::string& name, const target& where, backend_options options) {
    return std::make_unique<azureml_registry>(name, where, std::move(options));
}

}  // namespace amlops::azureml
