#include "amlops/cli/tool.hpp"

#include <catch2/catch.hpp>

#include <cstdio>

using namespace amlops;

namespace {
struct demo_options {
    int n = 0;
    std::string mode;
};

int call(std::vector<std::string> args, std::function<json::value(const demo_options&, cli::context&)> run) {
    std::vector<const char*> argv{"aml-demo"};
    for (auto& a : args) argv.push_back(a.c_str());
    cli::tool_info info{"aml-demo", "demo tool", "[options]", ""};
    return cli::run_tool<demo_options>(
        static_cast<int>(argv.size()), argv.data(), info,
        [](cli::option_spec& s, demo_options& o) {
            s.options.add_options()("n", cli::po::value(&o.n)->required(), "a number")("mode", cli::po::value(&o.mode), "mode");
        },
        run);
}
}  // namespace

TEST_CASE("run_tool maps outcomes to exit codes") {
    auto ok = [](const demo_options& o, cli::context&) -> json::value { return json::object{{"n", o.n}}; };
    CHECK(call({"--n", "3"}, ok) == 0);
    CHECK(call({"--help"}, ok) == 0);
    CHECK(call({"--version"}, ok) == 0);
    CHECK(call({}, ok) == 2);                        // missing required option
    CHECK(call({"--n", "x"}, ok) == 2);              // not a number
    CHECK(call({"--n", "1", "--bogus"}, ok) == 2);   // unknown option
    CHECK(call({"--n", "1"}, [](const demo_options&, cli::context&) -> json::value {
              throw error(error_kind::io, "disk full");
          }) == 1);
    CHECK(call({"--n", "1"}, [](const demo_options&, cli::context& c) -> json::value {
              c.reject();
              return json::object{};
          }) == 3);
    CHECK(call({"--n", "1"}, [](const demo_options&, cli::context&) -> json::value {
              throw std::runtime_error("boom");
          }) == 1);
}

TEST_CASE("parse_key_value splits on the first '='") {
    CHECK(cli::parse_key_value("a=b=c", "--tag") == std::pair<std::string, std::string>{"a", "b=c"});
    CHECK_THROWS_AS(cli::parse_key_value("novalue", "--tag"), error);
}

TEST_CASE("run_subcommands dispatches verbs, falls back to the default and rejects unknown verbs") {
    std::string ran;
    auto verb = [&](std::string name) {
        return cli::subcommand{name, name + " things", "[options]",
                               [](cli::option_spec& s) { s.options.add_options()("flag", "a flag"); },
                               [&ran, name](cli::context&) -> json::value {
                                   ran = name;
                                   return json::object{};
                               }};
    };
    std::vector<cli::subcommand> verbs{verb("register"), verb("list")};
    cli::tool_info info{"aml-demo", "demo", "[command] [options]", ""};
    auto call = [&](std::vector<std::string> args, std::string def) {
        std::vector<const char*> argv{"aml-demo"};
        for (auto& a : args) argv.push_back(a.c_str());
        return cli::run_subcommands(static_cast<int>(argv.size()), argv.data(), info, verbs, def);
    };
    CHECK(call({"list", "--flag"}, "register") == 0);
    CHECK(ran == "list");
    CHECK(call({"--flag"}, "register") == 0);
    CHECK(ran == "register");
    CHECK(call({"bogus"}, "") == 2);
    CHECK(call({"--help"}, "register") == 0);
    CHECK(call({"list", "--nope"}, "register") == 2);
}
