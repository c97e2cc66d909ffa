// The verbs of aml-register: register an approved model in a registry (dev/prod/...) and manage
// its versions: list, show, download, alias, archive, prune, audit, lineage, verify. Every verb
// works on a workspace (--workspace, $AMLOPS_HOME or ./.amlops) whose config.yaml maps registry
// names to backends. They live here, not in the tool's main, so tests/workspace runs them
// in-process.
#include "amlops/workspace/register_verbs.hpp"

#include "amlops/cli/vocabulary.hpp"
#include "amlops/model/model_integrity.hpp"
#include "amlops/registry/operations.hpp"
#include "amlops/workspace/workspace.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace po = amlops::cli::po;
namespace reg = amlops::registry;
namespace json = amlops::json;
using amlops::error;
using amlops::error_kind;

/// Flags every verb shares: where the workspace is.
struct common {
    std::string home, ca_file;
    reg::workspace open(amlops::cli::context& ctx) const {
        return reg::workspace::from_environment(amlops::cli::workspace_root(home, ctx.env()), ctx.env(), ctx.log(),
                                                reg::with_ca_file(amlops::cli::ca_file(ca_file, ctx.env())));
    }
    std::string actor(amlops::cli::context& ctx) const { return reg::detect_actor(ctx.env()); }
};

void add_home(amlops::cli::option_spec& s, common& c) {
    amlops::cli::add_workspace(s, c.home, {"home"});
    amlops::cli::add_ca_file(s, c.ca_file);
}

/// Builds a verb whose options aggregate lives as long as the verb table.
template <class Options, class Describe, class Run>
amlops::cli::subcommand verb(std::string name, std::string summary, std::string usage, Describe describe, Run run) {
    auto o = std::make_shared<Options>();
    return {std::move(name), std::move(summary), std::move(usage),
            [o, describe](amlops::cli::option_spec& s) { add_home(s, *o); describe(s, *o); },
            [o, run](amlops::cli::context& ctx) -> json::value { return run(*o, ctx); }};
}

std::map<std::string, std::string> parse_tags(const std::vector<std::string>& items) {
    std::map<std::string, std::string> tags;
    for (const auto& t : items) tags.insert(amlops::cli::parse_key_value(t, "--tag"));
    return tags;
}

std::unique_ptr<reg::registry> open_registry(const common& c, amlops::cli::context& ctx, const std::string& name) {
    return c.open(ctx).open(name);
}

// --- register (default) -----------------------------------------------------------------------
struct register_options : common {
    std::string model, decision, registry = "dev", name, description, set_alias, output;
    std::vector<std::string> tags;
};

json::value run_register(const register_options& o, amlops::cli::context& ctx) {
    // A model whose files no longer match its manifest.json is never registered (exit 2).
    if (const auto checked = amlops::model::verify_model_folder(o.model))
        ctx.log().info("model files match manifest.json (" + std::to_string(checked) + " files)");
    const auto r = open_registry(o, ctx, o.registry);
    reg::register_request req{o.model, o.decision, o.name, o.description, parse_tags(o.tags),
                              o.set_alias.empty() ? std::nullopt : std::optional(o.set_alias), o.actor(ctx)};
    const auto outcome = reg::register_model(*r, req, ctx.env());
    json::array reasons;
    for (const auto& s : outcome.reasons) reasons.push_back(json::value(s));
    json::object result{{"registered", outcome.registered}, {"created", outcome.created}, {"registry", o.registry},
                        {"name", o.name}, {"reasons", reasons}};
    if (outcome.registered) {
        const auto& v = *outcome.version;
        if (!outcome.created) ctx.log().info("identical files already registered as " + v.uri().to_string() + "; no new version");
        result["uri"] = v.uri().to_string();
        result["version"] = v.version;
        result["sha256"] = v.manifest_sha256;
        result["aliases"] = reg::to_json(v)["aliases"];
        result["tags"] = reg::to_json(v)["tags"];
        ctx.log().info("registered " + v.uri().to_string());
    } else {
        for (const auto& s : outcome.reasons) ctx.log().warn(s);
        ctx.log().warn("decision is reject: nothing registered (recorded in the audit log of '" + o.registry + "')");
        result["uri"] = nullptr;
        result["version"] = nullptr;
        result["sha256"] = nullptr;
    }
    if (!o.output.empty()) {
        const std::filesystem::path out(o.output);
        json::write_file(out / "registered.json", result);
        ctx.add_output("registered", out / "registered.json");
        if (outcome.registered) {
            // The original pipeline's hand-off file; here the registry version is the workspace version.
            json::write_file(out / "model_versions.json", json::object{{"model_name", o.name},
                                                                        {"workspace_version", outcome.version->version},
                                                                        {"registry_version", outcome.version->version}});
            ctx.add_output("model_versions", out / "model_versions.json");
        }
    }
    return result;
}

// --- read verbs ---------------------------------------------------------------------------------
struct list_options : common {
    std::string registry = "dev", name;
    std::vector<std::string> tags;
    bool include_archived = false, full = false;
    std::size_t limit = 0;
};

/// One compact row of `list`: what a human or a script scans for (the full document of 10,000
/// versions is ~13 MB of JSON; `--full` still gives it).
json::object list_row(const reg::model_version& v) {
    json::array aliases;
    for (const auto& a : v.aliases) aliases.push_back(json::value(a));
    json::object row{{"uri", v.uri().to_string()}, {"name", v.name}, {"version", v.version}, {"aliases", std::move(aliases)},
                     {"created_at", v.created_at}, {"archived", v.archived}};
    if (const auto pm = v.tags.find("primary_metric"); pm != v.tags.end()) {
        row["primary_metric"] = pm->second;
        if (const auto value = v.tags.find(pm->second); value != v.tags.end()) row[pm->second] = value->second;
    }
    return row;
}

struct uri_options : common {
    std::string uri, output;
    bool allow_missing = false, unarchive = false;
};

json::value run_show(const uri_options& o, amlops::cli::context& ctx) {
    const auto uri = reg::model_uri::parse(o.uri);
    const auto r = open_registry(o, ctx, uri.registry);
    const auto v = r->get(uri);
    if (const auto problems = r->verify(v); !problems.empty())
        throw error(error_kind::io, v.uri().to_string() + " failed hash verification: " + problems.front().message);
    json::object doc = reg::to_json(v);
    json::array files;
    for (const auto& f : r->read_manifest(v).files) files.push_back(reg::to_json(f));
    doc["files"] = std::move(files);
    doc["verified"] = true;
    return doc;
}

json::value run_download(const uri_options& o, amlops::cli::context& ctx) {
    const auto uri = reg::model_uri::parse(o.uri);
    const auto r = open_registry(o, ctx, uri.registry);
    const auto v = o.allow_missing ? r->find(uri) : std::optional(r->get(uri));
    if (!v) {
        ctx.log().warn(uri.to_string() + " does not exist; nothing downloaded (--allow-missing)");
        return json::object{{"found", false}, {"uri", uri.to_string()}, {"output", o.output}};
    }
    const auto m = r->download(*v, o.output);
    ctx.log().info("downloaded " + v->uri().to_string() + " (" + std::to_string(m.files.size()) + " files, verified) to " + o.output);
    return json::object{{"found", true}, {"uri", v->uri().to_string()}, {"requested", uri.to_string()}, {"version", v->version},
                        {"sha256", v->manifest_sha256}, {"files", m.files.size()}, {"bytes", m.total_size()}, {"output", o.output}};
}

// --- mutations ----------------------------------------------------------------------------------
struct alias_options : common {
    std::string action, uri, alias;
};

json::value run_alias(const alias_options& o, amlops::cli::context& ctx) {
    const auto uri = reg::model_uri::parse(o.uri);
    const auto r = open_registry(o, ctx, uri.registry);
    if (o.action == "set") {
        if (o.alias.empty()) throw error(error_kind::usage, "alias set needs URI ALIAS");
        const auto v = r->get(uri);
        const auto previous = r->set_alias(v.name, o.alias, v.version, o.actor(ctx));
        return json::object{{"alias", o.alias}, {"uri", reg::alias_uri(uri.registry, v.name, o.alias).to_string()},
                            {"version", v.version}, {"previous", previous ? json::value(*previous) : json::value(nullptr)}};
    }
    if (o.action == "unset") {
        const std::string alias = !o.alias.empty() ? o.alias : uri.alias;
        if (alias.empty()) throw error(error_kind::usage, "alias unset needs an alias URI (.../models/<name>@<alias>) or URI ALIAS");
        const auto previous = r->unset_alias(uri.name, alias, o.actor(ctx));
        return json::object{{"alias", alias}, {"removed", true}, {"previous", previous}};
    }
    throw error(error_kind::usage, "expected 'set' or 'unset', got '" + o.action + "'").on_field("action");
}

json::value run_archive(const uri_options& o, amlops::cli::context& ctx) {
    const auto uri = reg::model_uri::parse(o.uri);
    const auto r = open_registry(o, ctx, uri.registry);
    const auto v = r->get(uri);
    return reg::to_json(r->set_archived(v.name, v.version, !o.unarchive, o.actor(ctx)));
}

struct prune_options : common {
    std::string registry = "dev", name;
    std::size_t retain = 0;
    bool dry_run = false;
};

struct audit_options : common {
    std::string registry = "dev", name, action;
    std::int64_t version = 0;
    std::size_t limit = 0;
};

json::value run_lineage(const uri_options& o, amlops::cli::context& ctx) {
    const auto uri = reg::model_uri::parse(o.uri);
    const auto rep = reg::lineage(o.open(ctx), uri);
    const std::string text = rep.to_text();
    ctx.log().info("lineage\n" + text);  // the human form
    json::object doc = rep.to_json();
    doc["text"] = text;
    if (!o.output.empty()) {
        json::write_file(std::filesystem::path(o.output) / "lineage.json", doc);
        ctx.add_output("lineage", std::filesystem::path(o.output) / "lineage.json");
    }
    return doc;
}

struct verify_options : common {
    std::string registry = "dev", name;
};

json::value run_verify(const verify_options& o, amlops::cli::context& ctx) {
    const auto r = open_registry(o, ctx, o.registry);
    reg::version_filter f;
    if (!o.name.empty()) f.name = o.name;
    f.include_archived = true;
    json::array problems;
    std::size_t checked = 0;
    for (const auto& v : r->list(f)) {
        ++checked;
        for (const auto& p : r->verify(v))
            problems.push_back(json::object{{"uri", v.uri().to_string()}, {"path", p.path}, {"message", p.message}});
    }
    if (!problems.empty())
        throw error(error_kind::io, std::to_string(problems.size()) + " integrity problem(s) in registry '" + o.registry +
                                        "', first: " + std::string(problems.front().as_object().at("message").as_string()));
    ctx.log().info("verified " + std::to_string(checked) + " version(s) of registry '" + o.registry + "'");
    return json::object{{"registry", o.registry}, {"versions_checked", checked}, {"problems", std::move(problems)}};
}

}  // namespace

namespace amlops::registry {

std::vector<cli::subcommand> register_verbs() {
    return {
        verb<register_options>("register", "register a model folder if its decision approves (default command)",
            "--model DIR --decision FILE [--registry dev] --name NAME [--tag K=V]... [--set-alias A] [--output DIR]",
            [](amlops::cli::option_spec& s, register_options& o) {
                s.options.add_options()
                    ("model", po::value(&o.model)->required()->value_name("DIR"), "MLflow model folder (aml-train output)")
                    ("decision", po::value(&o.decision)->required()->value_name("FILE"), "decision.json of aml-compare, or its folder")
                    ("registry", po::value(&o.registry)->default_value("dev")->value_name("NAME"), "registry name")
                    ("name", po::value(&o.name)->required()->value_name("NAME"), "model name, e.g. taxi-fare")
                    ("description", po::value(&o.description)->value_name("TEXT"), "version description")
                    ("tag", po::value(&o.tags)->composing()->value_name("K=V"), "extra tag (repeatable)")
                    ("set-alias", po::value(&o.set_alias)->value_name("ALIAS"), "move this alias (e.g. champion) to the new version")
                    ("output,o", po::value(&o.output)->value_name("DIR"), "folder for registered.json and model_versions.json");
            }, run_register),
        verb<list_options>("list", "list versions (newest first)", "[--registry dev] [--name NAME] [--tag K=V]... [--include-archived] [--limit N] [--full]",
            [](amlops::cli::option_spec& s, list_options& o) {
                s.options.add_options()
                    ("registry", po::value(&o.registry)->default_value("dev")->value_name("NAME"), "registry name")
                    ("name", po::value(&o.name)->value_name("NAME"), "only this model")
                    ("tag", po::value(&o.tags)->composing()->value_name("K=V"), "only versions with this tag (repeatable)")
                    ("include-archived", po::bool_switch(&o.include_archived), "include archived versions")
                    ("full", po::bool_switch(&o.full), "every field of each version (default: uri, name, version, aliases, "
                                                       "created_at, archived, primary metric)");
                amlops::cli::add_bounded(s, "limit", o.limit, 0, 1'000'000'000, "N", "at most N versions (0: all)");
            },
            [](const list_options& o, amlops::cli::context& ctx) -> json::value {
                reg::version_filter f{o.name.empty() ? std::nullopt : std::optional(o.name), parse_tags(o.tags), o.include_archived, o.limit};
                const auto versions = open_registry(o, ctx, o.registry)->list(f);
                json::array items;
                items.reserve(versions.size());
                for (const auto& v : versions) items.push_back(o.full ? reg::to_json(v) : list_row(v));
                return json::object{{"registry", o.registry}, {"count", items.size()}, {"versions", std::move(items)}};
            }),
        verb<uri_options>("show", "show a version with its files (verifies every hash)", "URI",
            [](amlops::cli::option_spec& s, uri_options& o) {
                s.options.add_options()("uri", po::value(&o.uri)->required()->value_name("URI"), "model URI");
                s.positional.add("uri", 1);
            }, run_show),
        verb<uri_options>("download", "materialize a version as a model folder (verified)", "URI --output DIR [--allow-missing]",
            [](amlops::cli::option_spec& s, uri_options& o) {
                s.options.add_options()
                    ("uri", po::value(&o.uri)->required()->value_name("URI"), "model URI")
                    ("output,o", po::value(&o.output)->required()->value_name("DIR"), "folder to write the model into")
                    ("allow-missing", po::bool_switch(&o.allow_missing), "a missing version/alias is not an error: report found=false");
                s.positional.add("uri", 1);
            }, run_download),
        verb<alias_options>("alias", "set or unset an alias (champion, ...)", "set URI ALIAS | unset URI@ALIAS",
            [](amlops::cli::option_spec& s, alias_options& o) {
                s.options.add_options()
                    ("action", po::value(&o.action)->required()->value_name("set|unset"), "what to do")
                    ("uri", po::value(&o.uri)->required()->value_name("URI"), "model URI")
                    ("alias", po::value(&o.alias)->value_name("ALIAS"), "alias name");
                s.positional.add("action", 1).add("uri", 1).add("alias", 1);
            }, run_alias),
        verb<uri_options>("archive", "archive a version (hidden from list and latest)", "URI [--unarchive]",
            [](amlops::cli::option_spec& s, uri_options& o) {
                s.options.add_options()
                    ("uri", po::value(&o.uri)->required()->value_name("URI"), "model URI")
                    ("unarchive", po::bool_switch(&o.unarchive), "clear the archived flag instead");
                s.positional.add("uri", 1);
            }, run_archive),
        verb<prune_options>("prune", "remove old versions, never aliased or deployed ones", "[--registry dev] --name NAME --retain N [--dry-run]",
            [](amlops::cli::option_spec& s, prune_options& o) {
                s.options.add_options()
                    ("registry", po::value(&o.registry)->default_value("dev")->value_name("NAME"), "registry name")
                    ("name", po::value(&o.name)->required()->value_name("NAME"), "model name")
                    ("dry-run", po::bool_switch(&o.dry_run), "only report what would be removed");
                amlops::cli::add_bounded(s, "retain", o.retain, 0, 1'000'000'000, "N", "keep the newest N versions", true);
            },
            [](const prune_options& o, amlops::cli::context& ctx) -> json::value {
                const auto r = open_registry(o, ctx, o.registry);
                return reg::to_json(r->prune(o.name, o.retain, o.dry_run, o.actor(ctx)));
            }),
        verb<audit_options>("audit", "read the append-only audit log", "[--registry dev] [--name NAME] [--model-version N] [--action A] [--limit N]",
            [](amlops::cli::option_spec& s, audit_options& o) {
                s.options.add_options()
                    ("registry", po::value(&o.registry)->default_value("dev")->value_name("NAME"), "registry name")
                    ("name", po::value(&o.name)->value_name("NAME"), "only this model")
                    ("action", po::value(&o.action)->value_name("ACTION"), "only this action (create, skip, alias_set, ...)");
                amlops::cli::add_model_version(s, o.version, true);
                amlops::cli::add_bounded(s, "limit", o.limit, 0, 1'000'000'000, "N", "only the newest N entries (0: all)");
            },
            [](const audit_options& o, amlops::cli::context& ctx) -> json::value {
                reg::audit_filter f{o.name.empty() ? std::nullopt : std::optional(o.name),
                                    o.version ? std::optional(o.version) : std::nullopt,
                                    o.action.empty() ? std::nullopt : std::optional(o.action), o.limit};
                json::array items;
                for (const auto& e : open_registry(o, ctx, o.registry)->audit(f)) items.push_back(reg::to_json(e));
                return json::object{{"registry", o.registry}, {"entries", std::move(items)}};
            }),
        verb<uri_options>("lineage", "commit -> pipeline run -> dev version -> prod version -> deployments", "URI [--output DIR]",
            [](amlops::cli::option_spec& s, uri_options& o) {
                s.options.add_options()
                    ("uri", po::value(&o.uri)->required()->value_name("URI"), "model URI")
                    ("output,o", po::value(&o.output)->value_name("DIR"), "also write lineage.json there");
                s.positional.add("uri", 1);
            }, run_lineage),
        verb<verify_options>("verify", "re-hash every stored artifact of a registry (exit 1 on any mismatch)", "[--registry dev] [--name NAME]",
            [](amlops::cli::option_spec& s, verify_options& o) {
                s.options.add_options()
                    ("registry", po::value(&o.registry)->default_value("dev")->value_name("NAME"), "registry name")
                    ("name", po::value(&o.name)->value_name("NAME"), "only this model");
            }, run_verify),
    };
}

}  // namespace amlops::registry
