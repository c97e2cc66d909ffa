// Loading and validating job YAML: what is accepted, how bindings resolve, and that every error
// names the file, the key path and (when known) the line, like `az ml job create` would refuse.
#include "pipeline_fixture.hpp"
#include "set_override.hpp"

using namespace amlops;
using namespace amlops::pipeline;
using namespace amlops::pipeline::testing;
using Catch::Matchers::Contains;

namespace {

constexpr const char* two_steps = R"yaml($schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
display_name: demo
inputs:
  raw:
    type: uri_folder
    path: ./data/raw
  greeting: hi
  base: taxi
  depth: 3
  flag: yes
  empty:
outputs:
  final:
jobs:
  first:
    component: ./echo.yaml
    inputs:
      src: ${{parent.inputs.raw}}
      text: ${{parent.inputs.greeting}}
      count: ${{parent.inputs.depth}}
  second:
    component: file:echo.yaml
    inputs:
      src: ${{parent.jobs.first.outputs.out}}
      text: '${{parent.inputs.base}}-dev'
      count: ${{parent.jobs.first.inputs.count}}
    outputs:
      out: ${{parent.outputs.final}}
)yaml";

std::string field(const error& e) { return e.context().field.value_or(""); }
std::string file_of(const error& e) { return e.context().file.value_or(""); }

}  // namespace

TEST_CASE("bindings resolve to literals, local data and upstream outputs, and defaults fill the rest") {
    project p;
    p.write("p.yaml", two_steps);
    const auto job = load_job(p.dir / "p.yaml");
    CHECK(job.name == "demo");
    CHECK(job.type == "pipeline");
    const auto plan = make_plan(job);
    REQUIRE(plan.jobs.size() == 2);
    const auto& first = plan.jobs[0];
    const auto& second = plan.jobs[1];
    CHECK(first.name == "first");
    CHECK(first.depends_on.empty());
    CHECK(second.depends_on == std::vector<std::string>{"first"});

    struct row {
        const planned_job* job;
        const char* input;
        bound_value::kind kind;
        std::string text;
    };
    const row table[] = {
        {&first, "src", bound_value::kind::data, ""},
        {&first, "text", bound_value::kind::literal, "hi"},           // ${{parent.inputs.greeting}}
        {&first, "count", bound_value::kind::literal, "3"},           // pipeline literal, checked as integer
        {&first, "mode", bound_value::kind::literal, "fast"},         // component default
        {&second, "src", bound_value::kind::job_output, ""},          // ${{parent.jobs.first.outputs.out}}
        {&second, "text", bound_value::kind::literal, "taxi-dev"},    // interpolation inside a string
        {&second, "count", bound_value::kind::literal, "3"},          // ${{parent.jobs.first.inputs.count}}
    };
    for (const auto& r : table) {
        INFO(r.job->name << "." << r.input);
        const auto* v = r.job->find_input(r.input);
        REQUIRE(v);
        CHECK(v->what == r.kind);
        if (r.kind == bound_value::kind::literal) CHECK(v->text == r.text);
    }
    CHECK(first.find_input("src")->path == (p.dir / "data/raw").lexically_normal());
    CHECK(second.find_input("src")->job == "first");
    CHECK(second.find_input("src")->output == "out");
    REQUIRE(plan.outputs.size() == 1);
    CHECK(plan.outputs[0].first == "final");
    CHECK(plan.outputs[0].second == std::make_pair(std::string("second"), std::string("out")));
    // Plain YAML booleans print the way Azure ML's Python client prints them.
    bool saw_flag = false;
    for (const auto& [name, v] : plan.inputs) {
        if (name != "flag") continue;
        saw_flag = true;
        CHECK(v.text == "True");
    }
    CHECK(saw_flag);
    CHECK(first.cwd == p.dir.path().lexically_normal());
}

TEST_CASE("set overrides (--set) apply to the YAML before validation, creating keys as needed") {
    project p;
    p.write("p.yaml", two_steps);
    const auto plan = make_plan(load_job(p.dir / "p.yaml", {"inputs.greeting=hello there", "jobs.second.inputs.count=5",
                                                            "jobs.second.inputs.mode=slow", "inputs.raw.path=./data"}));
    CHECK(plan.jobs[0].find_input("text")->text == "hello there");
    CHECK(plan.jobs[1].find_input("count")->text == "5");
    CHECK(plan.jobs[1].find_input("mode")->text == "slow");
    CHECK(plan.jobs[0].find_input("src")->path == (p.dir / "data").lexically_normal());

    YAML::Node doc = YAML::Load("a: {b: x}\nc: 1\n");
    apply_set(doc, "d.e.f=2");
    CHECK(doc["d"]["e"]["f"].Scalar() == "2");
    apply_set(doc, "a.b=y");  // replacing a reference string as the final key is allowed
    CHECK(doc["a"]["b"].Scalar() == "y");
    CHECK_THROWS_WITH(apply_set(doc, "a.b.c=1"), Contains("Cannot use '--set' on properties defined by reference strings"));
    CHECK_THROWS_WITH(apply_set(doc, "novalue"), Contains("KEY.PATH=VALUE"));
    CHECK_THROWS_WITH(apply_set(doc, "a..b=1"), Contains("empty key"));
}

TEST_CASE("constraint violations name the file, the key path and the line") {
    project p;
    const auto file = p.write("p.yaml", two_steps);
    struct row {
        std::vector<std::string> sets;
        std::string field;
        std::string message;
    };
    const std::vector<row> table = {
        {{"jobs.second.inputs.count=9"}, "jobs.second.inputs.count", "above the maximum 5"},
        {{"jobs.second.inputs.count=0"}, "jobs.second.inputs.count", "below the minimum 1"},
        {{"jobs.second.inputs.count=2.5"}, "jobs.second.inputs.count", "expects an integer"},
        {{"jobs.second.inputs.mode=medium"}, "jobs.second.inputs.mode", "is not one of [fast, slow]"},
        {{"inputs.depth=7"}, "jobs.first.inputs.count", "above the maximum 5"},
        {{"jobs.second.inputs.colour=red"}, "jobs.second.inputs.colour", "'colour' is not an input of component 'echo_step'"},
        {{"jobs.second.inputs.src=${{parent.jobs.nope.outputs.out}}"}, "jobs.second.inputs.src", "unknown job 'nope'"},
        {{"jobs.second.inputs.src=${{parent.jobs.first.outputs.model}}"}, "jobs.second.inputs.src", "job 'first' has no output 'model'"},
        {{"jobs.second.inputs.text=${{parent.inputs.nope}}"}, "jobs.second.inputs.text", "unknown pipeline input 'nope'"},
        {{"jobs.second.inputs.text=x-${{parent.inputs.raw}}"}, "jobs.second.inputs.text", "data binding cannot be mixed"},
        {{"jobs.second.inputs.src=oops"}, "jobs.second.inputs.src", "expects uri_folder data"},
        {{"jobs.second.outputs.out=${{parent.outputs.nope}}"}, "jobs.second.outputs.out", "unknown pipeline output 'nope'"},
        {{"inputs.raw.path=./missing"}, "inputs.raw.path", "does not exist"},
        {{"jobs.second.comand=ls"}, "jobs.second.comand", "did you mean 'command'"},
        {{"settings.continue_on_step_failure=maybe"}, "settings.continue_on_step_failure", "expected true or false"},
        {{"jobs.second.type=sweep"}, "jobs.second.type", "not supported"},
        {{"jobs.second.type=if_else"}, "jobs.second.type", "unsupported control-flow node"},
        {{"jobs.second.component=azureml:echo_step:1"}, "jobs.second.component", "remote reference"},
        {{"jobs.second.component=./nope.yaml"}, "jobs.second.component", "does not exist"},
        {{"jobs.first.outputs.out.path=azureml://datastores/x/paths/y"}, "jobs.first.outputs.out.path", "not supported locally"},
    };
    for (const auto& r : table) {
        INFO(r.sets.front());
        const auto e = load_error(file, r.sets);
        CHECK(file_of(e) == file.string());
        CHECK(e.exit_code() == 2);
        CHECK(field(e) == r.field);
        CHECK_THAT(e.what(), Contains(r.message));
    }
    // Values written in the file carry their line.
    const auto e = load_error(file, {"jobs.second.inputs.src=${{parent.jobs.first.outputs.model}}"});
    CHECK_FALSE(e.context().line.has_value());  // a --set value has no line in the file
    p.write("bad.yaml", std::string(two_steps) + "  third:\n    component: ./echo.yaml\n    inputs:\n      count: 6\n");
    const auto e2 = load_error(p.dir / "bad.yaml");
    CHECK(field(e2) == "jobs.third.inputs.count");
    CHECK(e2.context().line == 33u);
    CHECK_THAT(e2.describe(), Contains("bad.yaml:33: field 'jobs.third.inputs.count'"));
}

TEST_CASE("an unbound required input and a dependency cycle are reported with the step's key path") {
    project p;
    p.write("fail2.yaml", R"yaml(name: needs_input
environment: azureml:local:1
inputs:
  must:
    type: string
outputs:
  out:
    type: uri_folder
command: echo ${{inputs.must}}
)yaml");
    p.write("unbound.yaml", R"yaml(type: pipeline
jobs:
  lonely:
    component: ./fail2.yaml
)yaml");
    auto e = load_error(p.dir / "unbound.yaml");
    CHECK(field(e) == "jobs.lonely.inputs.must");
    CHECK_THAT(e.what(), Contains("required input 'must'"));

    p.write("cycle.yaml", R"yaml(type: pipeline
jobs:
  a:
    component: ./echo.yaml
    inputs:
      src: ${{parent.jobs.c.outputs.out}}
  b:
    component: ./echo.yaml
    inputs:
      src: ${{parent.jobs.a.outputs.out}}
  c:
    component: ./echo.yaml
    inputs:
      src: ${{parent.jobs.b.outputs.out}}
  free:
    component: ./echo.yaml
)yaml");
    e = load_error(p.dir / "cycle.yaml");
    CHECK_THAT(e.what(), Contains("dependency cycle: a -> c -> b -> a"));
    CHECK(file_of(e) == (p.dir / "cycle.yaml").string());
    CHECK(field(e) == "jobs.a");

    p.write("self.yaml", R"yaml(type: pipeline
jobs:
  a:
    component: ./echo.yaml
    inputs:
      src: ${{parent.jobs.a.outputs.out}}
)yaml");
    CHECK_THAT(load_error(p.dir / "self.yaml").what(), Contains("uses its own output"));
}

TEST_CASE("broken YAML names the file and the line of the syntax error") {
    project p;
    const auto file = p.write("broken.yaml", "type: pipeline\njobs:\n  a:\n    command: echo a: b\n    environment: x\n");
    const auto e = load_error(file);
    CHECK(e.kind() == error_kind::config);
    CHECK(file_of(e) == file.string());
    CHECK(e.context().line == 4u);
    CHECK_THAT(e.what(), Contains("invalid YAML"));
    const auto missing = load_error(p.dir / "nope.yaml");
    CHECK(missing.kind() == error_kind::not_found);
}

TEST_CASE("component errors documented by Azure ML are rejected in the component file") {
    project p;
    p.write("p.yaml", "type: pipeline\njobs:\n  a:\n    component: ./c.yaml\n");
    struct row {
        std::string component;
        std::string field;
        std::string message;
    };
    const std::string head = "name: c\nenvironment: azureml:e:1\noutputs:\n  out:\n    type: uri_folder\n";
    const std::vector<row> table = {
        {head + "inputs:\n  x:\n    type: string\n    optional: true\ncommand: echo ${{inputs.x}}\n", "command",
         "must be placed in an optional block"},
        {head + "inputs:\n  x:\n    type: string\ncommand: echo $[[${{inputs.x}}]]\n", "command", "only optional inputs"},
        {head + "command: echo ${{inputs.nope}}\n", "command", "not declared under inputs"},
        {head + "command: echo ${{outputs.nope}}\n", "command", "not declared under outputs"},
        {head + "command: echo ${{parent.inputs.x}}\n", "command", "invalid data binding expression"},
        {head + "command: |\n  echo a \\\n  b\n", "command", "line continuations"},
        {head + "inputs:\n  path:\n    type: string\ncommand: echo\n", "inputs.path", "reserved name"},
        {head + "inputs:\n  out:\n    type: string\ncommand: echo\n", "outputs.out", "both an input and an output"},
        {head + "inputs:\n  x:\n    type: string\n    min: 1\ncommand: echo\n", "inputs.x.min", "only to number and integer"},
        {head + "inputs:\n  x:\n    type: integer\n    enum: [1]\ncommand: echo\n", "inputs.x.enum", "only to string"},
        {head + "inputs:\n  x:\n    type: integer\n    default: 9\n    max: 3\ncommand: echo\n", "inputs.x.default", "above the maximum 3"},
        {head + "inputs:\n  x:\n    type: text\ncommand: echo\n", "inputs.x.type", "unknown input type"},
        {"name: Bad-Name\nenvironment: e\ncommand: echo\n", "name", "must start with a lowercase letter"},
        {"name: c\ncommand: echo\n", "", "needs an environment"},
        {"name: c\nenvironment: e\ncommand: echo\ntype: pipeline\n", "type", "not supported locally"},
    };
    for (const auto& r : table) {
        INFO(r.component);
        p.write("c.yaml", r.component);
        const auto e = load_error(p.dir / "p.yaml");
        CHECK(file_of(e) == (p.dir / "c.yaml").string());
        CHECK(field(e) == r.field);
        CHECK_THAT(e.what(), Contains(r.message));
    }
}

TEST_CASE("a command job file is a one-step pipeline, and unsupported keys are listed, not dropped") {
    project p;
    p.write("job.yaml", R"yaml($schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
type: command
inputs:
  raw:
    type: uri_folder
    path: ./data/raw
  n: 3
outputs:
  merged:
    type: uri_folder
command: cat ${{inputs.raw}}/data.txt > ${{outputs.merged}}/all.txt && echo ${{inputs.n}}
environment: azureml:local:1
compute: azureml:cpu-cluster
resources:
  instance_count: 2
environment_variables:
  GREETING: "hello"
)yaml");
    const auto job = load_job(p.dir / "job.yaml");
    CHECK(job.type == "command");
    CHECK(job.name == "job");
    REQUIRE(job.jobs.size() == 1);
    CHECK(job.jobs[0].name == "main");
    REQUIRE(job.ignored.size() == 2);
    CHECK(job.ignored[0].key_path == "compute");
    CHECK(job.ignored[0].value == "azureml:cpu-cluster");
    CHECK(job.ignored[1].key_path == "resources");
    const auto plan = make_plan(job);
    CHECK(plan.jobs[0].find_input("n")->text == "3");
    CHECK(plan.jobs[0].environment == std::vector<std::pair<std::string, std::string>>{{"GREETING", "hello"}});

    p.write("env.yaml", "command: echo\nenvironment: e\nenvironment_variables:\n  DEBUG: true\n");
    CHECK_THAT(load_error(p.dir / "env.yaml").what(), Contains("must be strings"));
    p.write("nocmd.yaml", "type: command\nenvironment: e\n");
    CHECK_THAT(load_error(p.dir / "nocmd.yaml").what(), Contains("needs a command"));
}

TEST_CASE("the shipped pipelines and every tools/*/component.yaml validate") {
    const fs::path source = AMLOPS_SOURCE_DIR;
    for (const auto& entry : fs::directory_iterator(source / "tools")) {
        const auto file = entry.path() / "component.yaml";
        if (!fs::exists(file)) continue;
        INFO(file.string());
        CHECK_NOTHROW(load_component(file));
    }
    project p;  // supplies an existing raw-data folder
    const auto raw = "inputs.raw_data.path=" + (p.dir / "data/raw").string();
    const auto train = make_plan(load_job(source / "pipelines/taxi-fare-train-pipeline.yaml", {raw}));
    std::vector<std::string> order;
    for (const auto& j : train.jobs) order.push_back(j.name);
    CHECK(order == std::vector<std::string>{"transform", "train", "fetch_champion", "compare", "register", "score"});
    CHECK(train.find_job("register")->depends_on == std::vector<std::string>{"compare", "train"});
    const auto merge = make_plan(load_job(source / "pipelines/single-step-merge-job.yaml", {raw}));
    CHECK(merge.jobs.size() == 1);
    const auto drift = make_plan(load_job(source / "pipelines/drift-check.yaml", {"inputs.batch.path=" + (p.dir / "data/raw").string()}));
    CHECK(drift.find_job("score")->depends_on == std::vector<std::string>{"fetch_model"});
}
