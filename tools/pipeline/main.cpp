// aml-pipeline: runs Azure ML CLI v2 pipeline (and command) job YAML on this machine, with step
// reuse, and lists/shows the recorded runs.
#include "amlops/cli/tool.hpp"
#include "amlops/pipeline/loader.hpp"
#include "amlops/pipeline/runner.hpp"

#include <csignal>

namespace {
namespace cli = amlops::cli;
namespace fs = std::filesystem;
namespace pl = amlops::pipeline;
using amlops::json::value;

struct options {
    std::string file, workspace, run_id = "latest";
    std::vector<std::string> sets;
    std::size_t max_parallel = 2;
    bool force_rerun = false, dry_run = false, strict = false;
};
std::atomic<bool> interrupted{false};

void common(cli::option_spec& s, options& o, bool with_file) {
    s.options.add_options()("workspace,w", cli::po::value(&o.workspace)->value_name("DIR"),
                            "runs and step cache (default $AMLOPS_HOME, else ./.amlops)");
    if (!with_file) return;
    s.options.add_options()
        ("set", cli::po::value(&o.sets)->multitoken()->composing()->value_name("KEY=VALUE"),
         "override a YAML value before validation, like az ml job create --set (e.g. inputs.x=1, jobs.train.inputs.depth=2)")
        ("strict", cli::po::bool_switch(&o.strict), "refuse keys that have no local meaning (compute, resources, ...)")
        ("file", cli::po::value(&o.file)->required()->value_name("FILE"), "pipeline or command job YAML");
    s.positional.add("file", 1);
}

fs::path workspace(const options& o, cli::context& ctx) {
    if (!o.workspace.empty()) return fs::absolute(o.workspace).lexically_normal();
    return fs::absolute(ctx.env()("AMLOPS_HOME").value_or(".amlops")).lexically_normal();
}

value run(const options& o, cli::context& ctx) {
    const auto job = pl::load_job(o.file, o.sets);
    if (o.strict) pl::require_no_ignored_keys(job);
    const auto plan = pl::make_plan(job);
    pl::run_options r;
    r.workspace = workspace(o, ctx);
    r.bin_dir = fs::read_symlink("/proc/self/exe").parent_path();
    r.max_parallel = o.max_parallel;
    r.force_rerun = o.force_rerun;
    r.dry_run = o.dry_run;
    r.overrides = o.sets;
    r.commit = amlops::detect_commit_sha(ctx.env()).value_or("");
    r.branch = amlops::detect_branch(ctx.env()).value_or("");
    r.cancel = &interrupted;
    r.log = &ctx.log();
    auto record = pl::run_plan(job, plan, r);
    pl::require_success(record);
    return record;
}

cli::subcommand run_verb(options& o) {
    return {"run", "run a pipeline/command job YAML (the default command)", "[run] FILE [--set KEY=VALUE]... [options]",
            [&](cli::option_spec& s) {
                common(s, o, true);
                s.options.add_options()
                    ("max-parallel,j", cli::po::value(&o.max_parallel)->default_value(2)->value_name("N"), "steps running at once")
                    ("force-rerun", cli::po::bool_switch(&o.force_rerun), "run every step; reuse nothing (and cache nothing)")
                    ("dry-run", cli::po::bool_switch(&o.dry_run), "validate and print the resolved commands; run nothing");
            },
            [&](cli::context& ctx) { return run(o, ctx); }};
}
}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGINT, [](int) { interrupted = true; });
    std::signal(SIGTERM, [](int) { interrupted = true; });
    options o;
    const std::vector<cli::subcommand> verbs{
        run_verb(o),
        {"validate", "check a YAML file and its components without running anything", "FILE [--set KEY=VALUE]...",
         [&](cli::option_spec& s) { common(s, o, true); },
         [&](cli::context& ctx) -> value {
             o.dry_run = true;
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
