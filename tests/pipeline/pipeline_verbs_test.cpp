// aml-pipeline's verb table (libs/azureml_jobs pipeline_verbs), run in-process: the verbs and
// their order, the local list/show verbs on a workspace, and the Azure ML verbs' usage errors
// before any request is sent.
#include "amlops/azureml_jobs/pipeline_verbs.hpp"

#include "amlops/core/error.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

using namespace amlops;
namespace cli = amlops::cli;

namespace {

/// Parses `args` with the verb's flags (as run_subcommands does) and runs it with `env`.
json::value run_verb(const std::vector<cli::subcommand>& verbs, const std::string& name, const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env = {}) {
    const auto verb = std::find_if(verbs.begin(), verbs.end(), [&](const cli::subcommand& v) { return v.name == name; });
    REQUIRE(verb != verbs.end());
    cli::option_spec spec;
    verb->describe(spec);
    cli::po::options_description all;
    all.add(spec.options).add(spec.hidden);
    cli::po::variables_map vm;
    cli::po::store(cli::po::command_line_parser(args).options(all).positional(spec.positional).run(), vm);
    cli::po::notify(vm);
    logger log("aml-pipeline", log_level::quiet);
    cli::context ctx(log, [env](const std::string& key) -> std::optional<std::string> {
        const auto it = env.find(key);
        return it == env.end() ? std::nullopt : std::optional(it->second);
    });
    return verb->run(ctx);
}

}  // namespace

TEST_CASE("pipeline_verbs: the verbs of aml-pipeline, run first (the default)") {
    std::atomic<bool> cancel{false};
    const auto verbs = azureml_jobs::pipeline_verbs(cancel);
    std::vector<std::string> names;
    for (const auto& v : verbs) names.push_back(v.name);
    CHECK(names == std::vector<std::string>{"run", "submit", "status", "wait", "logs", "cancel", "download", "validate", "list", "show"});
}

TEST_CASE("pipeline_verbs: list and show read the runs of --workspace") {
    std::atomic<bool> cancel{false};
    const auto verbs = azureml_jobs::pipeline_verbs(cancel);
    test::scratch_dir dir("pipeline-verbs");
    const auto listed = run_verb(verbs, "list", {"--workspace", dir.path().string()});
    CHECK(listed.at("runs").as_array().empty());
    // $AMLOPS_HOME is the workspace when --workspace is not given.
    const auto missing = test::error_of([&] { run_verb(verbs, "show", {"no-such-run"}, {{"AMLOPS_HOME", dir.path().string()}}); });
    CHECK(missing.kind() == error_kind::not_found);
}

TEST_CASE("pipeline_verbs: the Azure ML verbs refuse bad flags before sending anything") {
    std::atomic<bool> cancel{false};
    const auto verbs = azureml_jobs::pipeline_verbs(cancel);
    const auto no_workspace = test::error_of([&] { run_verb(verbs, "status", {"job-1"}); });
    CHECK(no_workspace.kind() == error_kind::usage);
    CHECK(no_workspace.context().field == "aml-workspace");
    const auto bad_poll = test::error_of([&] { run_verb(verbs, "wait", {"job-1", "--poll-seconds", "0"}); });
    CHECK(bad_poll.kind() == error_kind::usage);
    CHECK(bad_poll.context().field == "poll-seconds");
    const auto bad_timeout = test::error_of([&] { run_verb(verbs, "wait", {"job-1", "--timeout", "-1"}); });
    CHECK(bad_timeout.context().field == "timeout");
}
