// aml-register's verbs, run in-process through the library's verb table: numbers are checked
// while parsing (exit 2 naming the flag), old spellings still work, and the verbs act on the
// workspace given by --workspace.
#include "amlops/workspace/register_verbs.hpp"

#include "registry_fixture.hpp"

#include <catch2/catch.hpp>

namespace reg = amlops::registry;
using amlops::test::scratch_dir;

namespace {

int run(const std::vector<std::string>& args) {
    std::vector<const char*> argv{"aml-register"};
    for (const auto& a : args) argv.push_back(a.c_str());
    // No environment: nothing of the caller's (AMLOPS_HOME, a CI runner's variables) leaks in.
    return amlops::cli::run_subcommands(static_cast<int>(argv.size()), argv.data(), {"aml-register", "test", "", ""},
                                        reg::register_verbs(), "register",
                                        [](const std::string&) -> std::optional<std::string> { return std::nullopt; });
}

}  // namespace

TEST_CASE("register verbs: register, list and audit on --workspace; bad numbers are usage errors") {
    scratch_dir dir("register-verbs");
    const std::string ws = (dir / "ws").string();
    const auto model = amlops::test::make_model(dir / "model", "m1");
    const auto decision = amlops::test::make_decision(dir / "gate" / "decision.json", true);
    CHECK(run({"--model", model.string(), "--decision", decision.string(), "--name", "taxi-fare", "--workspace", ws}) == 0);
    CHECK(reg::workspace(ws).open("dev")->list({}).size() == 1);

    CHECK(run({"list", "--workspace", ws, "--limit", "5"}) == 0);
    CHECK(run({"list", "--workspace", ws, "--limit", "-1"}) == 2);
    CHECK(run({"prune", "--workspace", ws, "--name", "taxi-fare", "--retain", "-1"}) == 2);
    CHECK(run({"prune", "--workspace", ws, "--name", "taxi-fare", "--retain", "1", "--dry-run"}) == 0);
    CHECK(run({"audit", "--workspace", ws, "--model-version", "1"}) == 0);
    CHECK(run({"audit", "--workspace", ws, "--model-version", "0"}) == 2);
    // Old spellings: --home for the workspace, --version N for the model version.
    CHECK(run({"audit", "--home", ws, "--version", "1"}) == 0);
    CHECK(run({"--version"}) == 0);  // the program version
}
