// aml-pipeline: runs Azure ML CLI v2 pipeline (and command) job YAML on this machine, with step
// reuse, and lists/shows the recorded runs.
#include "amlops/cli/tool.hpp"
#include "amlops/cli/vocabulary.hpp"
#include "amlops/pipeline/runner.hpp"

#include <csignal>

namespace {
namespace cli = amlops::cli;
namespace fs = std::filesystem;
namespace pl = amlops::pipeline;
using amlops::json::value;

struct options {
    std::string file, workspace, run_id = "latest", ca_file;
    bool strict = false;
    pl::run_options run;  ///< the flags bind straight to it
};
std::atomic<bool> interrupted{false};

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

value run(options& o, cli::context& ctx) {
    o.run.workspace = workspace(o, ctx);
    o.run.bin_dir = fs::read_symlink("/proc/self/exe").parent_path();
    o.run.ca_file = cli::ca_file(o.ca_file, ctx.env());
    o.run.commit = amlops::detect_commit_sha(ctx.env()).value_or("");
    o.run.branch = amlops::detect_branch(ctx.env()).value_or("");
    o.run.cancel = &interrupted;
    o.run.log = &ctx.log();
    return pl::run_job_file(o.file, o.strict, o.run);
}
}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGINT, [](int) { interrupted = true; });
    std::signal(SIGTERM, [](int) { interrupted = true; });
    options o;
    const std::vector<cli::subcommand> verbs{
        {"run", "run a pipeline/command job YAML (the default command)", "[run] FILE [--set KEY=VALUE]... [options]",
         [&](cli::option_spec& s) {
             common(s, o, true);
             s.options.add_options()
                 ("force-rerun", cli::po::bool_switch(&o.run.force_rerun), "run every step; reuse nothing (and cache nothing)")
                 ("dry-run", cli::po::bool_switch(&o.run.dry_run), "validate and print the resolved commands; run nothing");
             cli::add_threads(s, o.run.max_parallel, "steps running at once", "2", {"max-parallel,j"});
         },
         [&](cli::context& ctx) { return run(o, ctx); }},
        {"validate", "check a YAML file and its components without running anything", "FILE [--set KEY=VALUE]...",
         [&](cli::option_spec& s) { common(s, o, true); },
         [&](cli::context& ctx) -> value {
             o.run.dry_run = true;
             return run(o, ctx);
         }},
        {"list", "list the recorded runs, newest first", "[--workspace DIR]", [&](cli::option_spec& s) { common(s, o, false); },
         [&](cli::context& ctx) -> value { return amlops::json::object{{"runs", pl::list_runs(workspace(o, ctx))}}; }},
        {"show", "print a run record (run.json)", "[RUN-ID|latest] [--workspace DIR]",
         [&](cli::option_spec& s) {
             common(s, o, false);
             s.options.add_options()("run", cli::po::value(&o.run_id)->value_name("RUN-ID"), "run id, or latest (default)");
             s.positional.add("run", 1);
         },
         [&](cli::context& ctx) -> value { return pl::load_run(workspace(o, ctx), o.run_id); }},
    };
    return cli::run_subcommands(argc, argv,
                                {"aml-pipeline", "Run Azure ML CLI v2 pipeline YAML locally, reusing unchanged steps.",
                                 "[run] FILE [options] | validate FILE | list | show [RUN-ID]",
                                 "Runs land in <workspace>/runs/<run-id>/ (run.json, <step>/stdout.log, <step>/<output>/).\n"
                                 "Example: aml-pipeline pipelines/taxi-fare-train-pipeline.yaml --set inputs.raw_data.path=/data/raw"},
                                verbs, "run");
}
