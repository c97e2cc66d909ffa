// ${{...}} expressions and $[[...]] optional blocks: parsing, references, command rendering.
#include "amlops/pipeline/expression.hpp"

#include "amlops/core/error.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace amlops::pipeline;
using Catch::Matchers::Contains;

TEST_CASE("find_expressions returns every ${{...}} with its range, spaces inside the braces are allowed") {
    const std::string text = "a ${{inputs.x}} b ${{ parent.jobs.t.outputs.m }}";
    const auto found = find_expressions(text);
    REQUIRE(found.size() == 2);
    CHECK(found[0].target == "inputs.x");
    CHECK(text.substr(found[0].begin, found[0].end - found[0].begin) == "${{inputs.x}}");
    CHECK(found[1].target == "parent.jobs.t.outputs.m");
    CHECK(found[1].end == text.size());
    CHECK(find_expressions("no expressions, ${ { } }").empty());
    CHECK_THROWS_WITH(find_expressions("x ${{inputs.a"), Contains("unterminated"));
    CHECK_THROWS_WITH(find_expressions("${{ inputs. a }}"), Contains("invalid expression"));
}

TEST_CASE("whole_expression accepts only a value that is exactly one expression") {
    CHECK(whole_expression("${{parent.inputs.x}}") == "parent.inputs.x");
    CHECK(whole_expression("  ${{ parent.inputs.x }} ") == "parent.inputs.x");
    CHECK_FALSE(whole_expression("${{parent.inputs.x}}-dev"));
    CHECK_FALSE(whole_expression("${{parent.inputs.x}}${{parent.inputs.y}}"));
    CHECK_FALSE(whole_expression("plain"));
}

TEST_CASE("parse_reference: the binding forms of Azure ML pipelines") {
    using s = reference::scope;
    struct row {
        const char* target;
        s kind;
        const char* job;
        const char* name;
    };
    const row table[] = {
        {"parent.inputs.raw_data", s::parent_input, "", "raw_data"},
        {"parent.outputs.model", s::parent_output, "", "model"},
        {"parent.jobs.train.outputs.model_output", s::job_output, "train", "model_output"},
        {"parent.jobs.train.inputs.max_depth", s::job_input, "train", "max_depth"},
        {"parent.jobs.fetch-champion.outputs.champion", s::job_output, "fetch-champion", "champion"},
        {"inputs.x", s::self_input, "", "x"},
        {"outputs.y", s::self_output, "", "y"},
    };
    for (const auto& r : table) {
        INFO(r.target);
        const auto ref = parse_reference(r.target);
        REQUIRE(ref);
        CHECK(ref->kind == r.kind);
        CHECK(ref->job == r.job);
        CHECK(ref->name == r.name);
    }
    for (const char* bad : {"name", "default_datastore", "parent.inputs", "parent.jobs.t.outputs", "parents.outputs.x",
                            "parent.jobs.t.metrics.m", "inputs.a.b", "search_space.lr", "parent.inputs.a b"}) {
        INFO(bad);
        CHECK_FALSE(parse_reference(bad));
    }
}

TEST_CASE("substitute replaces expressions and keeps the surrounding text") {
    const auto out = substitute("${{parent.inputs.base}}-${{parent.inputs.env}}!", [](const std::string& t) {
        return t == "parent.inputs.base" ? std::string("taxi") : std::string("dev");
    });
    CHECK(out == "taxi-dev!");
}

namespace {
std::string render(const std::string& command, const std::map<std::string, std::string>& inputs) {
    return render_command(
        command,
        [&](const std::string& n) -> std::optional<std::string> {
            auto it = inputs.find(n);
            if (it == inputs.end()) return std::nullopt;
            return it->second;
        },
        [](const std::string& n) { return "/out/" + n; });
}
}  // namespace

TEST_CASE("optional blocks are kept verbatim when their inputs have values and vanish otherwise") {
    const std::string cmd = "train --data ${{inputs.data}} $[[--lr ${{inputs.lr}}]] $[[--depth ${{inputs.depth}}]] -o ${{outputs.model}}";
    CHECK(render(cmd, {{"data", "/d"}, {"lr", "0.1"}, {"depth", "3"}}) == "train --data /d --lr 0.1 --depth 3 -o /out/model");
    CHECK(render(cmd, {{"data", "/d"}, {"lr", "0.1"}}) == "train --data /d --lr 0.1  -o /out/model");
    CHECK(render(cmd, {{"data", "/d"}}) == "train --data /d   -o /out/model");
    // Text inside a block is not re-spaced: Azure ML keeps it as written.
    CHECK(render("x $[[--flag=${{inputs.f}}]]", {{"f", "True"}}) == "x --flag=True");
    // A block with several inputs needs all of them.
    CHECK(render("x $[[--range ${{inputs.a}}:${{inputs.b}}]]", {{"a", "1"}}) == "x ");
    CHECK(render("x $[[--range ${{inputs.a}}:${{inputs.b}}]]", {{"a", "1"}, {"b", "2"}}) == "x --range 1:2");
    // A block without references is plain text.
    CHECK(render("x $[[--verbose]]", {}) == "x --verbose");
}

TEST_CASE("render_command rejects a missing value outside a block, unknown forms and malformed blocks") {
    CHECK_THROWS_WITH(render("x ${{inputs.a}}", {}), Contains("optional block"));
    CHECK_THROWS_WITH(render("x ${{parent.inputs.a}}", {}), Contains("invalid data binding expression"));
    CHECK_THROWS_WITH(render("x $[[--a ${{inputs.a}}", {{"a", "1"}}), Contains("unterminated optional block"));
    CHECK_THROWS_WITH(render("x $[[ $[[a]] ]]", {}), Contains("nested"));
}
