// The verbs of aml-provision: plan / apply / verify / destroy / outputs of the private-only dev +
// prod Azure ML platform described by infra/platform.yaml, through ARM, with ARM itself as the
// state. They live here, not in the tool's main, so the main stays options -> one call -> result.
#include "amlops/provision/verbs.hpp"

#include "amlops/arm/connection.hpp"
#include "amlops/cli/vocabulary.hpp"
#include "amlops/core/atomic_file.hpp"
#include "amlops/provision/engine.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>

namespace amlops::provision {
namespace {

namespace po = cli::po;

/// What --threads 0 means here: concurrent ARM requests, not cores (the work waits on ARM).
constexpr int default_concurrent_requests = 32;

struct options {
    std::string platform = "infra/platform.yaml";
    std::string ca_file, output, graph, plan_file, format = "json";
    int threads = default_concurrent_requests;
    int retry_budget_seconds = 300;
    int retry_base_ms = 2000;
    bool detailed_exit_code = false, yes = false, include_shared = false;
};

void platform_flag(cli::option_spec& spec, options& o) {
    spec.options.add_options()("platform", po::value(&o.platform)->value_name("FILE"), "platform file (default infra/platform.yaml)");
}

void common_flags(cli::option_spec& spec, options& o) {
    platform_flag(spec, o);
    cli::add_ca_file(spec, o.ca_file);
    // Not cli::add_threads: this counts ARM requests in flight, and 0 means 32 rather than all cores.
    cli::add_bounded(spec, "threads", o.threads, 0, 256, "N", "concurrent ARM requests, at most 256 (default 32; 0 = default)");
}

void write_flags(cli::option_spec& spec, options& o) {
    cli::add_bounded(spec, "retry-budget-seconds", o.retry_budget_seconds, 0, 7200, "N",
                     "how long to keep retrying a write refused while a role assignment propagates (403) or an identity is "
                     "cleaned up (409), 0..7200; default 300");
    cli::add_bounded(spec, "retry-base-ms", o.retry_base_ms, 1, 60000, "N",
                     "first backoff of those retries, doubled each time, 1..60000 (default 2000)");
}

struct session {
    platform_config platform;
    std::shared_ptr<arm::client> client;
    std::unique_ptr<provision::engine> engine;
};

session open(const options& o, cli::context& ctx) {
    session s;
    s.platform = load_platform(o.platform);
    const auto env = ctx.env();
    arm::connection_options co;
    co.env = env;
    co.ca_file = cli::ca_file(o.ca_file, env);  // passed down, never through SSL_CERT_FILE
    co.log = &ctx.log();
    co.tool = "aml-provision";
    co.arm.poll_interval = std::chrono::milliseconds(1000);
    s.client = arm::connection(co).shared_arm();
    engine_options eo;
    eo.threads = o.threads == 0 ? default_concurrent_requests : o.threads;
    eo.retry_budget = std::chrono::seconds(o.retry_budget_seconds);
    eo.retry_base = std::chrono::milliseconds(o.retry_base_ms);
    eo.log = &ctx.log();
    s.engine = std::make_unique<provision::engine>(*s.client, s.platform, eo);
    return s;
}

void write_output(cli::context& ctx, const std::string& dir, const std::string& name, const std::string& text) {
    const std::filesystem::path path = std::filesystem::path(dir) / name;
    std::filesystem::create_directories(path.parent_path());
    write_file_atomic(path, text);
    ctx.add_output(name, path);
}

json::value run_plan(const options& o, cli::context& ctx) {
    auto s = open(o, ctx);
    if (!o.graph.empty()) {
        write_output(ctx, o.graph, "platform.dot", s.engine->graph_dot());
        write_output(ctx, o.graph, "platform.mmd", s.engine->graph_mermaid());
    }
    const auto plan = s.engine->plan();
    std::cerr << plan.to_text() << std::flush;
    auto doc = plan.to_json();
    doc.as_object()["platform"] = o.platform;
    if (!o.output.empty()) write_output(ctx, o.output, "plan.json", json::pretty(doc));
    if (o.detailed_exit_code && plan.has_changes()) ctx.reject();
    return doc;
}

/// The actions of a plan document, key -> action text, for comparing a saved plan with now.
std::map<std::string, std::string> actions_of(const json::value& plan_doc) {
    std::map<std::string, std::string> out;
    for (const auto& c : plan_doc.at("changes").as_array())
        out[std::string(c.at("key").as_string())] = std::string(c.at("action").as_string());
    return out;
}

json::value run_apply(const options& o, cli::context& ctx) {
    auto s = open(o, ctx);
    const auto plan = s.engine->plan();
    std::cerr << plan.to_text() << std::flush;
    if (!o.plan_file.empty()) {
        // A saved plan is applied only while it still describes the live platform (no silent drift in between).
        const auto saved = json::read_file(o.plan_file);
        const auto* obj = saved.if_object();
        if (!obj || !obj->contains("changes") || !obj->at("changes").is_array())
            throw error(error_kind::bad_input, o.plan_file + ": not a plan written by aml-provision plan --output").in_file(o.plan_file);
        if (actions_of(saved) != actions_of(plan.to_json()))
            throw error(error_kind::rejected, "the saved plan " + o.plan_file + " no longer matches the live platform: run plan again")
                .in_file(o.plan_file);
    }
    auto result = s.engine->apply(plan);
    ctx.log().info("apply: " + std::to_string(result.writes) + " writes, " + std::to_string(result.applied.size()) + " resources in " +
                   std::to_string(static_cast<long>(result.wall_ms)) + " ms (critical path " +
                   std::to_string(static_cast<long>(result.critical_path_ms)) + " ms, serial sum " +
                   std::to_string(static_cast<long>(result.serial_sum_ms)) + " ms)");
    auto doc = result.to_json();
    doc.as_object()["plan"] = plan.to_json().at("summary");
    return doc;
}

json::value run_verify(const options& o, cli::context& ctx) {
    auto s = open(o, ctx);
    const auto result = s.engine->verify();
    std::cerr << result.to_table() << std::flush;
    if (!result.ok()) ctx.reject();
    return result.to_json();
}

json::value run_destroy(const options& o, cli::context& ctx) {
    if (!o.yes) throw error(error_kind::usage, "destroy deletes the platform's resources: pass --yes to confirm").on_field("--yes");
    auto s = open(o, ctx);
    return s.engine->destroy(o.include_shared).to_json();
}

json::value run_outputs(const options& o, cli::context& ctx) {
    const auto p = load_platform(o.platform);
    const auto names = derive_names(p);
    require_valid_names(names, p);
    json::object out;
    for (const auto& e : names.envs) {
        std::string env = e.env;
        std::transform(env.begin(), env.end(), env.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        const auto& reg = p.registry_per_environment ? e : names.envs[0];
        const std::string ws_rg_id = "/subscriptions/" + p.subscription_id + "/resourceGroups/" + e.workspace_rg;
        out["AML_" + env + "_RESOURCE_GROUP"] = e.workspace_rg;
        out["AML_" + env + "_WORKSPACE"] = e.workspace;
        out["AML_" + env + "_REGISTRY"] = reg.registry;
        out["AML_" + env + "_COMPUTE"] = e.compute;
        out["AML_" + env + "_WORKSPACE_ID"] = ws_rg_id + "/providers/Microsoft.MachineLearningServices/workspaces/" + e.workspace;
        out["AML_" + env + "_REGISTRY_ID"] = "/subscriptions/" + p.subscription_id + "/resourceGroups/" + reg.registry_rg +
                                            "/providers/Microsoft.MachineLearningServices/registries/" + reg.registry;
    }
    out["AML_SUBSCRIPTION_ID"] = p.subscription_id;
    out["AML_LOCATION"] = p.location;
    if (o.format == "env") {
        // KEY=VALUE lines for $GITHUB_ENV instead of the JSON document.
        std::string lines;
        for (const auto& [k, v] : out) lines += std::string(k) + "=" + std::string(v.as_string()) + "\n";
        ctx.print_instead(std::move(lines));
    }
    return out;
}

/// Builds a verb whose options aggregate lives as long as the verb table.
cli::subcommand verb(std::string name, std::string summary, std::string usage,
                     std::function<void(cli::option_spec&, options&)> flags, std::function<json::value(const options&, cli::context&)> run) {
    auto o = std::make_shared<options>();
    return {std::move(name), std::move(summary), std::move(usage),
            [o, flags](cli::option_spec& spec) { flags(spec, *o); },
            [o, run](cli::context& ctx) { return run(*o, ctx); }};
}

}  // namespace

std::vector<cli::subcommand> provision_verbs() {
    return {
        verb("plan", "read the live platform and show what apply would change", "[options]",
             [](cli::option_spec& s, options& o) {
                 common_flags(s, o);
                 s.options.add_options()
                     ("output", po::value(&o.output)->value_name("DIR"), "write plan.json into DIR")
                     ("graph", po::value(&o.graph)->value_name("DIR"), "write the dependency graph as DIR/platform.dot and DIR/platform.mmd")
                     ("detailed-exit-code", po::bool_switch(&o.detailed_exit_code), "exit 3 when there are changes (CI gates)");
             },
             run_plan),
        verb("apply", "create or update the platform in dependency order (idempotent)", "[options]",
             [](cli::option_spec& s, options& o) {
                 common_flags(s, o);
                 write_flags(s, o);
                 s.options.add_options()("plan", po::value(&o.plan_file)->value_name("FILE"),
                                         "apply only if the live platform still matches this saved plan.json");
             },
             run_apply),
        verb("verify", "check the private-only posture, outbound rules, registry RBAC and DNS links", "[options]",
             [](cli::option_spec& s, options& o) { common_flags(s, o); }, run_verify),
        verb("destroy", "delete the owned resources in reverse dependency order", "--yes [options]",
             [](cli::option_spec& s, options& o) {
                 common_flags(s, o);
                 s.options.add_options()
                     ("yes", po::bool_switch(&o.yes), "confirm the deletion")
                     ("include-shared", po::bool_switch(&o.include_shared), "also delete the shared private DNS zones and their group");
             },
             run_destroy),
        verb("outputs", "names and ids the workflows need (JSON, or KEY=VALUE lines for $GITHUB_ENV)", "[options]",
             [](cli::option_spec& s, options& o) {
                 platform_flag(s, o);
                 s.options.add_options()
                     ("format", po::value(&o.format)->value_name("FMT")->notifier([](const std::string& f) {
                          if (f != "json" && f != "env") throw error(error_kind::usage, "--format must be json or env").on_field("--format");
                      }), "json (default) or env (KEY=VALUE lines)");
             },
             run_outputs),
    };
}

}  // namespace amlops::provision
