// The embedded local backend. Metadata lives in SQLite (WAL, so readers never block the writer);
// artifacts live in the content-addressed store. A version becomes visible only through the
// single transaction that allocates its number, so a killed process leaves at most unreferenced
// blobs behind, never a half-registered version.
#include "amlops/registry/local_registry.hpp"

#include "amlops/core/error.hpp"
#include "amlops/registry/artifact_store.hpp"
#include "sqlite.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <set>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace amlops::registry {
namespace fs = std::filesystem;
using detail::statement;

std::string utc_now_millis() {
    const auto now = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
    return out;
}

namespace {

constexpr int schema_version = 1;

constexpr const char* schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS models(
  name TEXT PRIMARY KEY, next_version INTEGER NOT NULL, created_at TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS versions(
  name TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL, description TEXT NOT NULL,
  tags TEXT NOT NULL, properties TEXT NOT NULL, created_at TEXT NOT NULL, created_by TEXT NOT NULL,
  run_id TEXT, pipeline_run TEXT, pipeline TEXT, commit_sha TEXT, branch TEXT,
  manifest_sha256 TEXT NOT NULL, archived INTEGER NOT NULL DEFAULT 0,
  promoted_from TEXT, promoted_manifest_sha256 TEXT,
  PRIMARY KEY(name, version)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS versions_promoted_from ON versions(promoted_from) WHERE promoted_from IS NOT NULL;
CREATE TABLE IF NOT EXISTS version_tags(
  name TEXT NOT NULL, version INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY(name, version, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS version_tags_kv ON version_tags(key, value);
CREATE TABLE IF NOT EXISTS aliases(
  name TEXT NOT NULL, alias TEXT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL,
  PRIMARY KEY(name, alias)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deployments(
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL, endpoint TEXT NOT NULL,
  deployment TEXT NOT NULL, recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL,
  active INTEGER NOT NULL, details TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS deployments_version ON deployments(name, version);
CREATE TABLE IF NOT EXISTS audit(
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  name TEXT NOT NULL, version INTEGER, before TEXT NOT NULL, after TEXT NOT NULL, details TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_name ON audit(name, version);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql";

constexpr const char* version_columns =
    "name, version, type, description, tags, properties, created_at, created_by, run_id, pipeline_run, pipeline, "
    "commit_sha, branch, manifest_sha256, archived, promoted_from, promoted_manifest_sha256";

/// Serializes initialization (journal mode switch + schema) across processes that open a new
/// registry at the same moment; held only while opening.
class init_lock {
public:
    explicit init_lock(const fs::path& file) : fd_(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
        if (fd_ < 0) throw error(error_kind::io, "cannot open lock file").in_file(file.string());
        while (::flock(fd_, LOCK_EX) != 0) {
            if (errno != EINTR) throw error(error_kind::io, "cannot lock registry").in_file(file.string());
        }
    }
    ~init_lock() { ::close(fd_); }  // closing releases the lock
    init_lock(const init_lock&) = delete;
    init_lock& operator=(const init_lock&) = delete;

private:
    int fd_;
};

json::object tags_object(const std::map<std::string, std::string>& tags) {
    json::object o;
    for (const auto& [k, v] : tags) o[k] = v;
    return o;
}

std::string tags_text(const std::map<std::string, std::string>& tags) { return boost::json::serialize(tags_object(tags)); }

std::string describe(const std::string& registry, const std::string& name) {
    return "model '" + name + "' in registry '" + registry + "'";
}

/// A manifest path must stay inside the folder it is materialized into.
void require_safe_path(const std::string& p, const std::string& uri) {
    const fs::path rel(p);
    bool ok = !p.empty() && rel.is_relative();
    for (const auto& part : rel) ok = ok && part != ".." && part != ".";
    if (!ok) throw error(error_kind::io, "manifest of " + uri + " lists an unsafe path '" + p + "'");
}

class local_registry final : public registry {
public:
    local_registry(std::string name, const fs::path& dir, const fs::path& artifact_root, local_options options)
        : name_(std::move(name)), store_(artifact_root), options_(std::move(options)),
          db_(prepare_dir(dir) / "registry.db", options_.busy_timeout) {
        if (!options_.clock) options_.clock = utc_now_millis;
        init_schema(dir);
    }

    const std::string& name() const override { return name_; }

    create_result create_version(const new_version& v) override {
        require_valid_name(v.name, "model name");
        for (const auto& [k, val] : v.tags)
            if (k.empty()) throw error(error_kind::bad_input, "tag with an empty key").on_field("tags");
        if (v.promoted_from) {
            // Cheap check before copying anything; repeated inside the transaction below.
            if (auto existing = find_promoted(v.name, v.promoted_from->uri)) return {*existing, false};
        }
        // Artifacts first: until the transaction commits, nothing refers to these blobs.
        const stored_model stored = store_.put_model(v.artifacts_dir);
        return insert_version(v, stored.files, stored.manifest_sha256);
    }

    create_result copy_version(registry& source, const model_version& src, const new_version& meta) override {
        auto* local = dynamic_cast<local_registry*>(&source);
        if (!local || local->store_.root() != store_.root()) return registry::copy_version(source, src, meta);
        if (meta.promoted_from) {
            if (auto existing = find_promoted(meta.name, meta.promoted_from->uri)) return {*existing, false};
        }
        // Same artifact store: the blobs are already in place, so verifying them is the copy.
        const std::string uri = src.uri().to_string();
        manifest m = local->read_manifest(src);
        for (const auto& f : m.files)
            if (std::string problem = store_.check(f); !problem.empty())
                throw error(error_kind::rejected, "hash verification failed: " + problem);
        return insert_version(meta, m, src.manifest_sha256);
    }

    model_version get(const model_uri& uri) override {
        if (auto v = find(uri)) return *v;
        const std::string what = describe(name_, uri.name);
        if (!model_exists(uri.name)) throw error(error_kind::not_found, what + " does not exist (" + uri.to_string() + ")");
        switch (uri.by) {
        case selector::version:
            throw error(error_kind::not_found, what + " has no version " + std::to_string(uri.version) + " (" + uri.to_string() + ")");
        case selector::alias:
            throw error(error_kind::not_found, what + " has no alias '" + uri.alias + "' (" + uri.to_string() + ")");
        case selector::latest: break;
        }
        throw error(error_kind::not_found, what + " has no unarchived version (" + uri.to_string() + ")");
    }

    std::optional<model_version> find(const model_uri& uri) override {
        check_registry(uri);
        std::int64_t number = uri.version;
        if (uri.by == selector::alias) {
            statement s(db_, "SELECT version FROM aliases WHERE name = ? AND alias = ?");
            s.bind(1, uri.name).bind(2, uri.alias);
            if (!s.step()) return std::nullopt;
            number = s.column_int(0);
        } else if (uri.by == selector::latest) {
            statement s(db_, "SELECT max(version) FROM versions WHERE name = ? AND archived = 0");
            s.bind(1, uri.name);
            if (!s.step() || s.column_is_null(0)) return std::nullopt;
            number = s.column_int(0);
        }
        return load(uri.name, number);
    }

    std::vector<model_version> list(const version_filter& f) override {
        std::string sql = std::string("SELECT ") + version_columns + " FROM versions v WHERE 1 = 1";
        if (f.name) sql += " AND name = ?";
        if (!f.include_archived) sql += " AND archived = 0";
        for (std::size_t i = 0; i < f.tags.size(); ++i)
            sql += " AND EXISTS (SELECT 1 FROM version_tags t WHERE t.name = v.name AND t.version = v.version "
                   "AND t.key = ? AND t.value = ?)";
        sql += " ORDER BY name, version DESC";
        if (f.limit) sql += " LIMIT " + std::to_string(f.limit);

        detail::read_transaction snapshot(db_);
        std::vector<model_version> out;
        if (f.tags.empty()) {
            // One cheap index count (same snapshot) so 10,000 versions are not moved while growing.
            statement c(db_, std::string("SELECT count(*) FROM versions WHERE 1 = 1") + (f.name ? " AND name = ?" : "") +
                                 (f.include_archived ? "" : " AND archived = 0"));
            if (f.name) c.bind(1, *f.name);
            if (c.step()) {
                const auto n = static_cast<std::size_t>(c.column_int(0));
                out.reserve(f.limit ? std::min(n, f.limit) : n);
            }
        }
        statement s(db_, sql);
        int i = 1;
        if (f.name) s.bind(i++, *f.name);
        for (const auto& [k, val] : f.tags) {
            s.bind(i, k).bind(i + 1, val);
            i += 2;
        }
        while (s.step()) out.push_back(row_to_version(s));
        if (!out.empty()) attach_aliases(out, f.name);
        return out;
    }

    manifest read_manifest(const model_version& v) override {
        const std::string uri = v.uri().to_string();
        const std::string text = store_.read_verified(v.manifest_sha256, "manifest of " + uri);
        manifest m = manifest::parse(text, "manifest of " + uri);
        for (const auto& f : m.files) require_safe_path(f.path, uri);
        return m;
    }

    manifest download(const model_version& v, const fs::path& dest) override {
        manifest m = read_manifest(v);
        const std::string uri = v.uri().to_string();
        std::error_code ec;
        fs::create_directories(dest, ec);
        if (ec) throw error(error_kind::io, "cannot create folder: " + ec.message()).in_file(dest.string());
        for (const auto& f : m.files) store_.copy_verified(f, dest / f.path, "'" + f.path + "' of " + uri);
        return m;
    }

    std::vector<integrity_problem> verify(const model_version& v) override {
        std::vector<integrity_problem> problems;
        manifest m;
        try {
            m = read_manifest(v);
        } catch (const error& e) {
            problems.push_back({"manifest", e.describe()});
            return problems;
        }
        for (const auto& f : m.files)
            if (std::string p = store_.check(f); !p.empty()) problems.push_back({f.path, p});
        return problems;
    }

    std::optional<std::int64_t> set_alias(const std::string& name, const std::string& alias, std::int64_t version,
                                          const std::string& actor) override {
        require_valid_alias(alias);
        detail::write_transaction tx(db_);
        require_version(name, version);
        std::optional<std::int64_t> previous = alias_version(name, alias);
        const std::string now = options_.clock();
        statement(db_, "INSERT INTO aliases(name, alias, version, updated_at) VALUES(?, ?, ?, ?) "
                       "ON CONFLICT(name, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at")
            .bind(1, name).bind(2, alias).bind(3, version).bind(4, now).run();
        append_audit(now, actor, "alias_set", name, version, alias_state(alias, previous), alias_state(alias, version), {});
        tx.commit();
        return previous;
    }

    std::int64_t unset_alias(const std::string& name, const std::string& alias, const std::string& actor) override {
        detail::write_transaction tx(db_);
        const auto previous = alias_version(name, alias);
        if (!previous)
            throw error(error_kind::not_found, describe(name_, name) + " has no alias '" + alias + "'");
        statement(db_, "DELETE FROM aliases WHERE name = ? AND alias = ?").bind(1, name).bind(2, alias).run();
        append_audit(options_.clock(), actor, "alias_unset", name, *previous, alias_state(alias, previous),
                     alias_state(alias, std::nullopt), {});
        tx.commit();
        return *previous;
    }

    model_version set_archived(const std::string& name, std::int64_t version, bool archived, const std::string& actor) override {
        detail::write_transaction tx(db_);
        model_version v = require_version(name, version);
        if (v.archived != archived) {
            statement(db_, "UPDATE versions SET archived = ? WHERE name = ? AND version = ?")
                .bind(1, std::int64_t{archived}).bind(2, name).bind(3, version).run();
            append_audit(options_.clock(), actor, archived ? "archive" : "unarchive", name, version,
                         json::object{{"archived", v.archived}}, json::object{{"archived", archived}}, {});
            v.archived = archived;
        }
        tx.commit();
        return v;
    }

    prune_result prune(const std::string& name, std::size_t retain, bool dry_run, const std::string& actor) override {
        detail::write_transaction tx(db_);
        if (!model_exists(name)) throw error(error_kind::not_found, describe(name_, name) + " does not exist");
        std::vector<model_version> all;
        {
            statement s(db_, std::string("SELECT ") + version_columns + " FROM versions WHERE name = ? ORDER BY version DESC");
            s.bind(1, name);
            while (s.step()) all.push_back(row_to_version(s));
        }
        attach_aliases(all, name);
        std::set<std::int64_t> deployed;
        {
            statement s(db_, "SELECT DISTINCT version FROM deployments WHERE name = ? AND active = 1");
            s.bind(1, name);
            while (s.step()) deployed.insert(s.column_int(0));
        }
        prune_result r;
        r.dry_run = dry_run;
        const std::string now = options_.clock();
        for (std::size_t i = 0; i < all.size(); ++i) {
            const model_version& v = all[i];
            if (i < retain) {
                r.kept.push_back(v.version);
                continue;
            }
            std::string why;
            if (!v.aliases.empty()) {
                why = "alias";
                for (const auto& a : v.aliases) why += " " + a;
            }
            if (deployed.count(v.version)) why += std::string(why.empty() ? "" : "; ") + "deployed";
            if (!why.empty()) {
                r.kept.push_back(v.version);
                r.protected_reasons[v.version] = why;
                continue;
            }
            r.removed.push_back(v.version);
            if (dry_run) continue;
            statement(db_, "DELETE FROM versions WHERE name = ? AND version = ?").bind(1, name).bind(2, v.version).run();
            statement(db_, "DELETE FROM version_tags WHERE name = ? AND version = ?").bind(1, name).bind(2, v.version).run();
            append_audit(now, actor, "prune", name, v.version, to_json(v), nullptr, json::object{{"retain", retain}});
        }
        if (!dry_run) tx.commit();  // a dry run rolls back (nothing was changed anyway)
        return r;
    }

    deployment_record record_deployment(const std::string& name, std::int64_t version, const deployment_record& d) override {
        if (d.endpoint.empty() || d.deployment.empty())
            throw error(error_kind::bad_input, "a deployment record needs an endpoint and a deployment name");
        detail::write_transaction tx(db_);
        require_version(name, version);
        deployment_record rec = d;
        rec.version = version;
        rec.active = true;
        rec.recorded_at = options_.clock();
        statement(db_, "UPDATE deployments SET active = 0 WHERE endpoint = ? AND deployment = ? AND active = 1")
            .bind(1, d.endpoint).bind(2, d.deployment).run();
        statement(db_, "INSERT INTO deployments(name, version, endpoint, deployment, recorded_at, recorded_by, active, details) "
                       "VALUES(?, ?, ?, ?, ?, ?, 1, ?)")
            .bind(1, name).bind(2, version).bind(3, rec.endpoint).bind(4, rec.deployment).bind(5, rec.recorded_at)
            .bind(6, rec.recorded_by).bind(7, boost::json::serialize(rec.details)).run();
        append_audit(rec.recorded_at, rec.recorded_by, "deploy", name, version, nullptr, to_json(rec), {});
        tx.commit();
        return rec;
    }

    std::vector<deployment_record> deployments(const std::string& name, std::optional<std::int64_t> version) override {
        statement s(db_, std::string("SELECT version, endpoint, deployment, recorded_at, recorded_by, active, details "
                                     "FROM deployments WHERE name = ?") +
                             (version ? " AND version = ?" : "") + " ORDER BY id");
        s.bind(1, name);
        if (version) s.bind(2, *version);
        std::vector<deployment_record> out;
        while (s.step()) {
            deployment_record d;
            d.version = s.column_int(0);
            d.endpoint = s.column_text(1);
            d.deployment = s.column_text(2);
            d.recorded_at = s.column_text(3);
            d.recorded_by = s.column_text(4);
            d.active = s.column_int(5) != 0;
            d.details = parse_object(s.column_text(6));
            out.push_back(std::move(d));
        }
        return out;
    }

    audit_entry record_event(const std::string& action, const std::string& name, const std::string& actor,
                             const json::object& details) override {
        require_valid_name(name, "model name");
        detail::write_transaction tx(db_);
        audit_entry e = append_audit(options_.clock(), actor, action, name, std::nullopt, nullptr, nullptr, details);
        tx.commit();
        return e;
    }

    std::vector<audit_entry> audit(const audit_filter& f) override {
        std::string where = " WHERE 1 = 1";
        if (f.name) where += " AND name = ?";
        if (f.version) where += " AND version = ?";
        if (f.action) where += " AND action = ?";
        std::string sql = "SELECT id, at, actor, action, name, version, before, after, details FROM audit" + where +
                          " ORDER BY id DESC" + (f.limit ? " LIMIT " + std::to_string(f.limit) : std::string());
        statement s(db_, "SELECT * FROM (" + sql + ") ORDER BY id");
        int i = 1;
        if (f.name) s.bind(i++, *f.name);
        if (f.version) s.bind(i++, *f.version);
        if (f.action) s.bind(i++, *f.action);
        std::vector<audit_entry> out;
        while (s.step()) {
            audit_entry e;
            e.id = s.column_int(0);
            e.at = s.column_text(1);
            e.actor = s.column_text(2);
            e.action = s.column_text(3);
            e.name = s.column_text(4);
            if (!s.column_is_null(5)) e.version = s.column_int(5);
            e.before = boost::json::parse(s.column_text(6));
            e.after = boost::json::parse(s.column_text(7));
            e.details = parse_object(s.column_text(8));
            out.push_back(std::move(e));
        }
        return out;
    }

    std::vector<model_version> promoted_from(const std::string& source_uri) override {
        statement s(db_, std::string("SELECT ") + version_columns + " FROM versions WHERE promoted_from = ? ORDER BY name, version");
        s.bind(1, source_uri);
        std::vector<model_version> out;
        while (s.step()) out.push_back(row_to_version(s));
        for (auto& v : out) v.aliases = aliases_of(v.name, v.version);
        return out;
    }

private:
    /// The one transaction that makes a version visible: allocate the number, insert metadata,
    /// tags and the audit entry, commit.
    create_result insert_version(const new_version& v, const manifest& m, const std::string& manifest_sha) {
        require_valid_name(v.name, "model name");
        if (v.promoted_from && v.promoted_from->manifest_sha256 != manifest_sha)
            throw error(error_kind::rejected, "copied artifacts of " + v.promoted_from->uri + " have manifest sha256 " +
                                                  manifest_sha + ", expected " + v.promoted_from->manifest_sha256);
        detail::write_transaction tx(db_);
        if (v.promoted_from) {
            if (auto existing = find_promoted(v.name, v.promoted_from->uri)) return {*existing, false};
        } else if (v.reuse_identical) {
            if (auto existing = find_identical(v.name, manifest_sha)) {
                // Audited so the log shows the rerun, with the metadata it would have written.
                append_audit(options_.clock(), v.created_by, "reuse", v.name, existing->version, nullptr, nullptr,
                             json::object{{"reason", "a non-archived version with the same manifest sha256 exists"},
                                          {"manifest_sha256", manifest_sha}, {"files", m.files.size()},
                                          {"bytes", m.total_size()}, {"tags", tags_object(v.tags)}});
                tx.commit();
                return {*existing, false};
            }
        }
        const std::string now = options_.clock();
        statement(db_, "INSERT INTO models(name, next_version, created_at) VALUES(?, 1, ?) ON CONFLICT(name) DO NOTHING")
            .bind(1, v.name)
            .bind(2, now)
            .run();
        statement next(db_, "UPDATE models SET next_version = next_version + 1 WHERE name = ? RETURNING next_version - 1");
        next.bind(1, v.name);
        if (!next.step()) throw error(error_kind::internal, "cannot allocate a version for " + describe(name_, v.name));
        const std::int64_t number = next.column_int(0);
        next.reset();

        model_version mv;
        mv.registry = name_;
        mv.name = v.name;
        mv.version = number;
        mv.type = v.type;
        mv.description = v.description;
        mv.tags = v.tags;
        mv.properties = v.properties;
        mv.created_at = now;
        mv.created_by = v.created_by;
        mv.source = v.source;
        mv.manifest_sha256 = manifest_sha;
        mv.promoted_from = v.promoted_from;

        statement ins(db_, std::string("INSERT INTO versions(") + version_columns +
                               ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)");
        ins.bind(1, mv.name).bind(2, mv.version).bind(3, mv.type).bind(4, mv.description);
        ins.bind(5, tags_text(mv.tags)).bind(6, boost::json::serialize(mv.properties));
        ins.bind(7, mv.created_at).bind(8, mv.created_by);
        ins.bind(9, mv.source.run_id).bind(10, mv.source.pipeline_run).bind(11, mv.source.pipeline);
        ins.bind(12, mv.source.commit_sha).bind(13, mv.source.branch).bind(14, mv.manifest_sha256);
        if (mv.promoted_from) ins.bind(15, mv.promoted_from->uri).bind(16, mv.promoted_from->manifest_sha256);
        else ins.bind_null(15).bind_null(16);
        ins.run();
        statement tag(db_, "INSERT INTO version_tags(name, version, key, value) VALUES(?, ?, ?, ?)");
        for (const auto& [k, val] : mv.tags) tag.bind(1, mv.name).bind(2, mv.version).bind(3, k).bind(4, val).run();

        json::object details{{"files", m.files.size()}, {"bytes", m.total_size()}};
        append_audit(now, v.created_by, "create", mv.name, mv.version, nullptr, to_json(mv), details);
        if (options_.before_commit) options_.before_commit();
        tx.commit();
        return {mv, true};
    }


    static fs::path prepare_dir(const fs::path& dir) {
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec) throw error(error_kind::io, "cannot create registry folder: " + ec.message()).in_file(dir.string());
        return dir;
    }

    void init_schema(const fs::path& dir) {
        init_lock lock(dir / "init.lock");
        db_.exec("PRAGMA journal_mode = WAL");
        // FULL: a committed version or audit entry survives a power loss, not only a crash.
        db_.exec("PRAGMA synchronous = FULL");
        int current = 0;
        {
            statement s(db_, "PRAGMA user_version");
            if (s.step()) current = static_cast<int>(s.column_int(0));
        }
        if (current > schema_version)
            throw error(error_kind::config, "registry database was created by a newer amlops (schema " +
                                                std::to_string(current) + ")").in_file(db_.file().string());
        if (current < schema_version) {
            detail::write_transaction tx(db_);
            db_.exec(schema_sql);
            db_.exec(("PRAGMA user_version = " + std::to_string(schema_version)).c_str());
            tx.commit();
        }
    }

    void check_registry(const model_uri& uri) const {
        if (uri.registry != name_)
            throw error(error_kind::bad_input, "URI " + uri.to_string() + " names registry '" + uri.registry +
                                                   "', but this is registry '" + name_ + "'").on_field("uri");
    }

    static json::object parse_object(const std::string& text) {
        json::value v = boost::json::parse(text);
        return v.is_object() ? std::move(v.get_object()) : json::object{};
    }

    model_version row_to_version(const statement& s) const {
        model_version v;
        v.registry = name_;
        v.name = s.column_text(0);
        v.version = s.column_int(1);
        v.type = s.column_text(2);
        v.description = s.column_text(3);
        {
            // Tags are copied into a std::map, so parse them in a stack arena: listing 10,000
            // versions is dominated by allocations otherwise.
            unsigned char arena[4096];
            boost::json::monotonic_resource mr(arena, sizeof arena);
            const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s.handle(), 4));
            const json::value tags = boost::json::parse(p ? std::string_view(p) : std::string_view("{}"), &mr);
            if (const auto* o = tags.if_object())
                for (const auto& [k, val] : *o)
                    if (const auto* str = val.if_string()) v.tags.emplace(std::string(k), std::string(*str));
        }
        v.properties = parse_object(s.column_text(5));
        v.created_at = s.column_text(6);
        v.created_by = s.column_text(7);
        v.source.run_id = s.column_optional_text(8);
        v.source.pipeline_run = s.column_optional_text(9);
        v.source.pipeline = s.column_optional_text(10);
        v.source.commit_sha = s.column_optional_text(11);
        v.source.branch = s.column_optional_text(12);
        v.manifest_sha256 = s.column_text(13);
        v.archived = s.column_int(14) != 0;
        if (!s.column_is_null(15)) v.promoted_from = promotion_source{s.column_text(15), s.column_text(16)};
        return v;
    }

    std::optional<model_version> load(const std::string& name, std::int64_t version) {
        statement s(db_, std::string("SELECT ") + version_columns + " FROM versions WHERE name = ? AND version = ?");
        s.bind(1, name).bind(2, version);
        if (!s.step()) return std::nullopt;
        model_version v = row_to_version(s);
        v.aliases = aliases_of(name, version);
        return v;
    }

    model_version require_version(const std::string& name, std::int64_t version) {
        if (auto v = load(name, version)) return *v;
        throw error(error_kind::not_found, describe(name_, name) + " has no version " + std::to_string(version));
    }

    bool model_exists(const std::string& name) {
        statement s(db_, "SELECT 1 FROM models WHERE name = ?");
        s.bind(1, name);
        return s.step();
    }

    std::optional<model_version> find_promoted(const std::string& name, const std::string& source_uri) {
        statement s(db_, "SELECT version FROM versions WHERE promoted_from = ? AND name = ? ORDER BY version LIMIT 1");
        s.bind(1, source_uri).bind(2, name);
        if (!s.step()) return std::nullopt;
        const auto version = s.column_int(0);
        return load(name, version);
    }

    /// The newest non-archived, non-promoted version of `name` with this manifest hash. Scans
    /// only the rows of `name` (primary key prefix), a few ms even for 10,000 versions.
    std::optional<model_version> find_identical(const std::string& name, const std::string& manifest_sha) {
        statement s(db_, "SELECT version FROM versions WHERE name = ? AND manifest_sha256 = ? AND archived = 0 "
                         "AND promoted_from IS NULL ORDER BY version DESC LIMIT 1");
        s.bind(1, name).bind(2, manifest_sha);
        if (!s.step()) return std::nullopt;
        const auto version = s.column_int(0);
        return load(name, version);
    }

    std::vector<std::string> aliases_of(const std::string& name, std::int64_t version) {
        statement s(db_, "SELECT alias FROM aliases WHERE name = ? AND version = ? ORDER BY alias");
        s.bind(1, name).bind(2, version);
        std::vector<std::string> out;
        while (s.step()) out.push_back(s.column_text(0));
        return out;
    }

    /// One query for the aliases of many versions (listing 10,000 versions stays one pass).
    void attach_aliases(std::vector<model_version>& versions, const std::optional<std::string>& name) {
        statement s(db_, std::string("SELECT name, version, alias FROM aliases") + (name ? " WHERE name = ?" : "") +
                             " ORDER BY alias");
        if (name) s.bind(1, *name);
        std::map<std::pair<std::string, std::int64_t>, std::vector<std::string>> by_version;
        while (s.step()) by_version[{s.column_text(0), s.column_int(1)}].push_back(s.column_text(2));
        if (by_version.empty()) return;
        for (auto& v : versions)
            if (auto it = by_version.find({v.name, v.version}); it != by_version.end()) v.aliases = it->second;
    }

    std::optional<std::int64_t> alias_version(const std::string& name, const std::string& alias) {
        statement s(db_, "SELECT version FROM aliases WHERE name = ? AND alias = ?");
        s.bind(1, name).bind(2, alias);
        if (!s.step()) return std::nullopt;
        return s.column_int(0);
    }

    static json::value alias_state(const std::string& alias, std::optional<std::int64_t> version) {
        return json::object{{"alias", alias}, {"version", version ? json::value(*version) : json::value(nullptr)}};
    }

    audit_entry append_audit(const std::string& at, const std::string& actor, const std::string& action,
                             const std::string& name, std::optional<std::int64_t> version, json::value before,
                             json::value after, json::object details) {
        statement s(db_, "INSERT INTO audit(at, actor, action, name, version, before, after, details) "
                         "VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
        s.bind(1, at).bind(2, actor).bind(3, action).bind(4, name);
        if (version) s.bind(5, *version);
        else s.bind_null(5);
        s.bind(6, boost::json::serialize(before)).bind(7, boost::json::serialize(after)).bind(8, boost::json::serialize(details));
        s.run();
        return audit_entry{db_.last_insert_rowid(), at, actor, action, name, version, std::move(before), std::move(after),
                           std::move(details)};
    }

    std::string name_;
    artifact_store store_;
    local_options options_;
    detail::database db_;
};

}  // namespace

std::unique_ptr<registry> open_local_registry(std::string name, const fs::path& dir, const fs::path& artifact_root,
                                              local_options options) {
    require_valid_name(name, "registry name");
    return std::make_unique<local_registry>(std::move(name), dir, artifact_root, std::move(options));
}

}  // namespace amlops::registry
