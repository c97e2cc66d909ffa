// Every built tool against docs/CLI.md: each flag its --help shows (and each verb's --help) is in
// the vocabulary table, every value placeholder has a name (no bare `arg`), and --version prints
// only the program version. A tool added later is walked too: the tools are found in the bin
// folder, not listed here.

#include "test_support.hpp"

#include "amlops/core/atomic_file.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using amlops::test::run_tool;

namespace {

// Flags named in the first cell of the vocabulary tables: every `--flag` and `-x` inside backticks.
std::set<std::string> vocabulary() {
    std::set<std::string> out;
    std::istringstream doc(amlops::read_file(AMLOPS_CLI_DOC));
    const std::regex flag(R"((--[a-z0-9][a-z0-9-]*|-[a-z])\b)");
    for (std::string line; std::getline(doc, line);) {
        if (line.rfind("| `", 0) != 0) continue;
        const std::string first_cell = line.substr(1, line.find(" | ", 1));
        for (std::sregex_iterator it(first_cell.begin(), first_cell.end(), flag), end; it != end; ++it) out.insert((*it)[1]);
    }
    return out;
}

std::vector<std::string> tools() {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(amlops::test::tool_path("aml-train").parent_path()))
        if (entry.path().filename().string().rfind("aml-", 0) == 0) out.push_back(entry.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

// Verbs listed under "Commands:" of a tool's help.
std::vector<std::string> verbs(const std::string& help) {
    std::vector<std::string> out;
    std::istringstream in(help);
    bool in_commands = false;
    for (std::string line; std::getline(in, line);) {
        if (line == "Commands:") { in_commands = true; continue; }
        if (in_commands && line.empty()) break;
        if (in_commands) {
            std::istringstream words(line);
            std::string verb;
            words >> verb;
            out.push_back(verb);
        }
    }
    return out;
}

// Problems of one help page: flags outside the vocabulary, unnamed placeholders.
std::vector<std::string> problems(const std::string& page, const std::string& help, const std::set<std::string>& known) {
    std::vector<std::string> out;
    // Option lines as Boost.Program_options prints them: "  -o [ --output ] DIR" or "  --flag VALUE (=default)".
    const std::regex option_line(R"(^  (?:(-[a-zA-Z]) \[ (--[a-z0-9-]+) \]|(--[a-z0-9-]+))(?: (\S+))?)");
    std::istringstream in(help);
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (!std::regex_search(line, m, option_line)) continue;
        const std::string name = m[2].matched ? m[2].str() : m[3].str();
        if (!known.count(name)) out.push_back(page + ": " + name + " is not in docs/CLI.md");
        if (m[1].matched && !known.count(m[1].str())) out.push_back(page + ": " + m[1].str() + " is not in docs/CLI.md");
        if (m[4].matched && (m[4].str() == "arg" || m[4].str().rfind("arg ", 0) == 0 || m[4].str().find("[=arg") != std::string::npos))
            out.push_back(page + ": " + name + " has an unnamed placeholder");
    }
    return out;
}

}  // namespace

TEST_CASE("every tool's --help uses only the vocabulary of docs/CLI.md, with named placeholders") {
    const auto known = vocabulary();
    REQUIRE(known.count("--workspace"));
    REQUIRE(known.count("--threads"));
    const auto all = tools();
    REQUIRE(all.size() >= 10);
    std::vector<std::string> found;
    for (const auto& tool : all) {
        const auto help = run_tool(tool, {"--help"});
        INFO(tool << " --help\n" << help.out << help.err);
        REQUIRE(help.exit_code == 0);
        for (const auto& p : problems(tool, help.out, known)) found.push_back(p);
        for (const auto& verb : verbs(help.out)) {
            const auto verb_help = run_tool(tool, {verb, "--help"});
            REQUIRE(verb_help.exit_code == 0);
            for (const auto& p : problems(tool + " " + verb, verb_help.out, known)) found.push_back(p);
        }
    }
    std::string report;
    for (const auto& p : found) report += p + "\n";
    INFO(report);
    CHECK(found.empty());
}

TEST_CASE("every tool's --version prints the program version and nothing else") {
    for (const auto& tool : tools()) {
        const auto r = run_tool(tool, {"--version"});
        INFO(tool << ": " << r.out << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.rfind(tool + " ", 0) == 0);
        CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
    }
}

TEST_CASE("the check finds an unlisted flag and a bare placeholder") {
    const std::set<std::string> known{"--output", "-o"};
    const std::string help = "Options:\n  -o [ --output ] DIR    out\n  --nthread arg (=0)    threads\n  --full                all\n";
    CHECK(problems("aml-x", help, known) ==
          std::vector<std::string>{"aml-x: --nthread is not in docs/CLI.md", "aml-x: --nthread has an unnamed placeholder",
                                   "aml-x: --full is not in docs/CLI.md"});
}
