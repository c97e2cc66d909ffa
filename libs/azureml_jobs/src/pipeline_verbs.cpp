// The verbs of aml-pipeline: run Azure ML CLI v2 pipeline (and command) job YAML on this machine
// with step reuse, list/show the recorded runs, or submit the same YAML to an Azure ML workspace
// and follow the job there. Moved out of the tool's main so it stays thin (docs/ARCHITECTURE.md).
#include "amlops/azureml_jobs/pipeline_verbs.hpp"

#include "amlops/azureml_jobs/jobs.hpp"
#include "amlops/cli/vocabulary.hpp"
#include "amlops/pipeline/loader.hpp"
#include "amlops/pipeline/plan.hpp"
#include "amlops/pipeline/runner.hpp"

#include <memory>
#include <string>
#include <vector>

namespace amlops::azureml_jobs {
namespace {

namespace fs = std::filesystem;
namespace pl = amlops::pipeline;
using amlops::json::value;

struct options {
    std::string file, workspace, run_id = "latest", ca_file;
    bool strict = false;
    pl::run_options run;  ///< the flags bind straight to it
    // submit / status / wait / logs / cancel (Azure ML)
    std::string aml_workspace, blob_endpoint, job_name, output_dir;
    std::vector<std::string> output_names;
    bool all_outputs = false;
    bool wait = false, stream = false;
    double poll_seconds = 2, timeout_seconds = 0;
};

void common(cli::option_spec& s, options& o, bool with_file) {
    cli::add_workspace(s, o.workspace);
    s.hidden.add_options()(",w", cli::po::value(&o.workspace), "");  // the old short spelling of --workspace
    if (!with_file) return;
    cli::add_ca_file(s, o.ca_file);
    s.options.add_options()
        ("set", cli::po::value(&o.run.overrides)->multitoken()->composing()->value_name("KEY=VALUE"),
         "override a YAML value before validation, like az ml job create --set (e.g. inputs.x=1, jobs.train.inputs.depth=2)")
        ("strict", cli::po::bool_switch(&o.strict), "refuse keys that have no local meaning (compute, resources, ...)")
        ("file", cli::po::value(&o.file)->required()->value_name("FILE"), "pipeline or command job YAML");
    s.positional.add("file", 1);
}

fs::path workspace(const options& o, cli::context& ctx) {
    return fs::absolute(cli::workspace_root(o.workspace, ctx.env())).lexically_normal();
}

value run(options& o, cli::context& ctx, std::atomic<bool>& cancel) {
    o.run.workspace = workspace(o, ctx);
    o.run.bin_dir = fs::read_symlink("/proc/self/exe").parent_path();
    o.run.ca_file = cli::ca_file(o.ca_file, ctx.env());
    o.run.commit = amlops::detect_commit_sha(ctx.env()).value_or("");
    o.run.branch = amlops::detect_branch(ctx.env()).value_or("");
    o.run.cancel = &cancel;
    o.run.log = &ctx.log();
    return pl::run_job_file(o.file, o.strict, o.run);
}

// Seconds are fractional (tests poll every 0.2 s), so these are not cli::add_bounded's whole
// numbers; they are still checked while parsing (exit 2 naming the flag).
void azure_options(cli::option_spec& s, options& o) {
    s.options.add_options()
        ("aml-workspace", cli::po::value(&o.aml_workspace)->value_name("URI"),
         "Azure ML workspace azureml://subscriptions/SUB/resourceGroups/RG/workspaces/NAME (default $AMLOPS_AML_WORKSPACE)")
        ("blob-endpoint", cli::po::value(&o.blob_endpoint)->value_name("URL"), "datastore account URL override (private endpoint)")
        ("poll-seconds", cli::po::value(&o.poll_seconds)->default_value(2)->value_name("N")->notifier([](double v) {
             if (!(v > 0)) throw amlops::error(amlops::error_kind::usage, "--poll-seconds must be positive").on_field("poll-seconds");
         }), "first wait between status polls (backs off to 30 s)")
        ("timeout", cli::po::value(&o.timeout_seconds)->default_value(0)->value_name("N")->notifier([](double v) {
             if (v < 0) throw amlops::error(amlops::error_kind::usage, "--timeout must be >= 0").on_field("timeout");
         }), "give up waiting after N seconds (0: never)")
        ("stream", cli::po::bool_switch(&o.stream), "while waiting, print the steps' new log lines (run history) to stderr");
}

workspace_session session(const options& o, cli::context& ctx) {
    std::string uri = o.aml_workspace;
    if (uri.empty()) uri = ctx.env()("AMLOPS_AML_WORKSPACE").value_or("");
    if (uri.empty()) throw amlops::error(amlops::error_kind::usage, "--aml-workspace URI (or $AMLOPS_AML_WORKSPACE) is required").on_field("aml-workspace");
    connection_options c;
    c.env = ctx.env();
    c.ca_file = cli::ca_file(o.ca_file, ctx.env());
    c.blob_endpoint = o.blob_endpoint;
    c.log = &ctx.log();
    return workspace_session(workspace_ref::parse(uri), c);
}

std::chrono::milliseconds ms(double seconds) { return std::chrono::milliseconds(static_cast<long long>(seconds * 1000)); }

/// Waits for the job; a gate step that said no is exit 3 with the job status as the result.
value waited(const options& o, cli::context& ctx, workspace_session& ws, const std::string& name) {
    auto status = wait_for_job(ws, name, ms(o.poll_seconds), ms(o.timeout_seconds), &ctx.log(), o.stream);
    try {
        require_completed(status);
    } catch (const amlops::error& e) {
        if (e.kind() != amlops::error_kind::rejected) throw;
        ctx.log().warn(e.what());
        ctx.reject();
    }
    return status;
}

using shared_options = std::shared_ptr<options>;

cli::subcommand submit_verb(const shared_options& o) {
    return {"submit", "submit a pipeline/command job YAML to an Azure ML workspace (the YAML run takes)",
            "FILE [--set KEY=VALUE]... --aml-workspace URI [--wait]",
            [o](cli::option_spec& s) {
                common(s, *o, true);
                azure_options(s, *o);
                s.options.add_options()
                    ("name", cli::po::value(&o->job_name)->value_name("NAME"), "job name (default <pipeline>-<utc time>-<hex>)")
                    ("force-rerun", cli::po::bool_switch(&o->run.force_rerun), "settings.force_rerun: reuse nothing")
                    ("wait", cli::po::bool_switch(&o->wait), "wait for the outcome: exit 0 completed, 1 failed, 3 a gate step rejected");
            },
            [o](cli::context& ctx) -> value {
                // --strict does not apply: compute, resources, ... are what Azure ML honours.
                const auto job = pl::load_job(o->file, o->run.overrides);
                const auto plan = pl::make_plan(job);
                auto ws = session(*o, ctx);
                submit_options so;
                so.job_name = o->job_name;
                so.force_rerun = o->run.force_rerun;
                so.log = &ctx.log();
                auto result = submit(ws, job, plan, so).to_json();
                if (o->wait) result["outcome"] = waited(*o, ctx, ws, std::string(result["name"].as_string()));
                return result;
            }};
}

cli::subcommand job_verb(const shared_options& o, const std::string& verb, const std::string& summary) {
    return {verb, summary, "JOB --aml-workspace URI",
            [o](cli::option_spec& s) {
                azure_options(s, *o);
                cli::add_ca_file(s, o->ca_file);
                s.options.add_options()("job", cli::po::value(&o->run_id)->required()->value_name("JOB"), "Azure ML job name");
                s.positional.add("job", 1);
            },
            [o, verb](cli::context& ctx) -> value {
                auto ws = session(*o, ctx);
                if (verb == "status") return job_status(ws, o->run_id);
                if (verb == "wait") return waited(*o, ctx, ws, o->run_id);
                if (verb == "cancel") return cancel_job(ws, o->run_id);
                auto logs = job_logs(ws, o->run_id);
                for (const auto& [step, s] : logs.at("steps").as_object())
                    ctx.log().info("[" + std::string(step) + "]\n" + std::string(s.at("log").as_string()));
                return logs;
            }};
}

cli::subcommand download_verb(const shared_options& o) {
    return {"download", "download outputs of a finished Azure ML job (az ml job download)",
            "JOB (--output-name NAME... | --all) --output DIR --aml-workspace URI",
            [o](cli::option_spec& s) {
                azure_options(s, *o);
                cli::add_ca_file(s, o->ca_file);
                s.options.add_options()
                    ("job", cli::po::value(&o->run_id)->required()->value_name("JOB"), "Azure ML job name")
                    ("output-name", cli::po::value(&o->output_names)->composing()->value_name("NAME"),
                     "a pipeline output to fetch (repeatable); one lands in DIR itself, several in DIR/NAME")
                    ("all", cli::po::bool_switch(&o->all_outputs), "every output of the job, each in DIR/NAME")
                    ("output", cli::po::value(&o->output_dir)->required()->value_name("DIR"), "where the files go");
                s.positional.add("job", 1);
            },
            [o](cli::context& ctx) -> value {
                if (o->output_names.empty() == !o->all_outputs)
                    throw amlops::error(amlops::error_kind::usage, "give --output-name NAME (repeatable) or --all").on_field("output-name");
                auto ws = session(*o, ctx);
                auto result = download_outputs(ws, o->run_id, o->output_names, o->output_dir);
                for (const auto& [name, out] : result.at("outputs").as_object())
                    ctx.log().info("downloaded " + std::string(name) + ": " + std::to_string(out.at("files").as_int64()) + " files to " +
                                   std::string(out.at("path").as_string()));
                return result;
            }};
}

}  // namespace

std::vector<cli::subcommand> pipeline_verbs(std::atomic<bool>& cancel) {
    const auto o = std::make_shared<options>();
    return {
        {"run", "run a pipeline/command job YAML (the default command)", "[run] FILE [--set KEY=VALUE]... [options]",
         [o](cli::option_spec& s) {
             common(s, *o, true);
             s.options.add_options()
                 ("force-rerun", cli::po::bool_switch(&o->run.force_rerun), "run every step; reuse nothing (and cache nothing)")
                 ("dry-run", cli::po::bool_switch(&o->run.dry_run), "validate and print the resolved commands; run nothing");
             cli::add_threads(s, o->run.max_parallel, "steps running at once", "2", {"max-parallel,j"});
         },
         [o, &cancel](cli::context& ctx) { return run(*o, ctx, cancel); }},
        submit_verb(o),
        job_verb(o, "status", "status of an Azure ML job and its steps"),
        job_verb(o, "wait", "wait for an Azure ML job: exit 0 completed, 1 failed, 3 a gate step rejected"),
        job_verb(o, "logs", "the steps' user logs of an Azure ML job (run history)"),
        job_verb(o, "cancel", "cancel an Azure ML job"),
        download_verb(o),
        {"validate", "check a YAML file and its components without running anything", "FILE [--set KEY=VALUE]...",
         [o](cli::option_spec& s) { common(s, *o, true); },
         [o, &cancel](cli::context& ctx) -> value {
             o->run.dry_run = true;
             return run(*o, ctx, cancel);
         }},
        {"list", "list the recorded runs, newest first", "[--workspace DIR]", [o](cli::option_spec& s) { common(s, *o, false); },
         [o](cli::context& ctx) -> value { return amlops::json::object{{"runs", pl::list_runs(workspace(*o, ctx))}}; }},
        {"show", "print a run record (run.json)", "[RUN-ID|latest] [--workspace DIR]",
         [o](cli::option_spec& s) {
             common(s, *o, false);
             s.options.add_options()("run", cli::po::value(&o->run_id)->value_name("RUN-ID"), "run id, or latest (default)");
             s.positional.add("run", 1);
         },
         [o](cli::context& ctx) -> value { return pl::load_run(workspace(*o, ctx), o->run_id); }},
    };
}

}  // namespace amlops::azureml_jobs
