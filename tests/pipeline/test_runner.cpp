// Running pipelines: order, parallelism, failures, the run record, and step reuse. Steps are
// small shell commands, so these tests need none of the ML tools.
#include "pipeline_fixture.hpp"

#include "amlops/core/json.hpp"

#include <atomic>

using namespace amlops;
using namespace amlops::pipeline;
using namespace amlops::pipeline::testing;
using amlops::test::read_text;
using Catch::Matchers::Contains;

namespace {

constexpr const char* chain = R"yaml(type: pipeline
display_name: chain
inputs:
  raw:
    type: uri_folder
    path: ./data/raw
  second_text: two
outputs:
  result:
jobs:
  first:
    component: ./echo.yaml
    inputs:
      src: ${{parent.inputs.raw}}
      text: one
  second:
    component: ./echo.yaml
    inputs:
      src: ${{parent.jobs.first.outputs.out}}
      text: ${{parent.inputs.second_text}}
    outputs:
      out: ${{parent.outputs.result}}
  side:
    component: ./echo.yaml
    inputs:
      text: independent
  report:
    type: command
    command: >-
      echo "$AMLOPS_RUN_ID $AMLOPS_PIPELINE_NAME $AMLOPS_JOB_NAME $GREETING" > ${{outputs.env}}/env.txt &&
      echo '{"rmse": 1.5, "rows": 3}' > ${{outputs.env}}/metrics.json && echo to-stdout && echo to-stderr >&2
    environment: azureml:local:1
    environment_variables:
      GREETING: hello
    inputs:
      upstream: ${{parent.jobs.second.outputs.out}}
    outputs:
      env:
)yaml";

std::string out_text(const json::object& record, const std::string& job, const std::string& output = "out",
                     const std::string& file = "data.txt") {
    return read_text(fs::path(std::string(record.at("jobs").at(job).at("outputs").at(output).at("path").as_string())) / file);
}

std::vector<std::string> statuses(const json::object& record) {
    std::vector<std::string> s;
    for (const auto& [name, j] : record.at("jobs").as_object())
        s.push_back(std::string(name) + "=" + std::string(j.at("status").as_string()));
    return s;
}

}  // namespace

TEST_CASE("steps run in dependency order with their outputs, logs, metrics and environment recorded") {
    project p;
    p.write("p.yaml", chain);
    const auto rec = p.run("p.yaml");
    CHECK(rec.at("status").as_string() == "completed");
    CHECK(statuses(rec) == std::vector<std::string>{"first=completed", "second=completed", "side=completed", "report=completed"});
    CHECK(out_text(rec, "first") == "raw v1\none x1 fast\n");
    CHECK(out_text(rec, "second") == "raw v1\none x1 fast\ntwo x1 fast\n");
    CHECK(out_text(rec, "side") == "independent x1 fast\n");  // the unbound optional block vanished

    const auto id = std::string(rec.at("run_id").as_string());
    const auto run_dir = p.workspace() / "runs" / id;
    CHECK(out_text(rec, "report", "env", "env.txt") == id + " chain report hello\n");
    CHECK(fs::path(std::string(rec.at("jobs").at("second").at("outputs").at("out").at("path").as_string())) == run_dir / "second" / "out");
    const auto& report = rec.at("jobs").at("report").as_object();
    CHECK(read_text(std::string(report.at("stdout").as_string())) == "to-stdout\n");
    CHECK(read_text(std::string(report.at("stderr").as_string())) == "to-stderr\n");
    CHECK(report.at("exit_code").as_int64() == 0);
    CHECK(report.at("metrics").at("rmse").as_double() == 1.5);
    CHECK(report.at("depends_on").as_array().size() == 1);
    CHECK(rec.at("outputs").at("result").as_string() == (run_dir / "second" / "out").string());
    CHECK(rec.at("summary").at("completed").as_int64() == 4);

    // run.json holds the same record; list and show find it.
    const auto on_disk = json::read_file(run_dir / "run.json").as_object();
    CHECK(on_disk == rec);
    CHECK(load_run(p.workspace(), "latest") == rec);
    CHECK(load_run(p.workspace(), id) == rec);
    const auto runs = list_runs(p.workspace());
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].at("run_id").as_string() == id);
    CHECK(runs[0].at("status").as_string() == "completed");
    CHECK_THROWS_AS(load_run(p.workspace(), "nope"), error);
}

TEST_CASE("step reuse: unchanged steps are reused, a changed input reruns only what depends on it") {
    project p;
    p.write("p.yaml", chain);
    const auto first = p.run("p.yaml");
    const auto first_id = std::string(first.at("run_id").as_string());

    const auto again = p.run("p.yaml");
    CHECK(statuses(again) == std::vector<std::string>{"first=reused", "second=reused", "side=reused", "report=reused"});
    CHECK(again.at("status").as_string() == "completed");
    CHECK(again.at("jobs").at("second").at("reused").as_bool());
    CHECK(again.at("jobs").at("second").at("reused_from").at("run_id").as_string() == first_id);
    // Reused outputs, logs and metrics are materialized in the new run's own folders.
    CHECK(out_text(again, "second") == "raw v1\none x1 fast\ntwo x1 fast\n");
    CHECK(std::string(again.at("jobs").at("second").at("outputs").at("out").at("path").as_string()).find(first_id) == std::string::npos);
    CHECK(read_text(std::string(again.at("jobs").at("report").at("stdout").as_string())) == "to-stdout\n");
    CHECK(again.at("jobs").at("report").at("metrics").at("rows").as_int64() == 3);

    SECTION("new raw data reruns its consumers and everything downstream, not the independent step") {
        p.write("data/raw/data.txt", "raw v2\n");
        const auto rec = p.run("p.yaml");
        CHECK(statuses(rec) == std::vector<std::string>{"first=completed", "second=completed", "side=reused", "report=completed"});
        CHECK(out_text(rec, "second") == "raw v2\none x1 fast\ntwo x1 fast\n");
    }
    SECTION("a changed literal reruns that step and its dependents only") {
        const auto rec = p.run("p.yaml", {}, {"inputs.second_text=deux"});
        CHECK(statuses(rec) == std::vector<std::string>{"first=reused", "second=completed", "side=reused", "report=completed"});
        CHECK(out_text(rec, "second") == "raw v1\none x1 fast\ndeux x1 fast\n");
    }
    SECTION("content, not timestamps, decides: rewriting identical raw data reuses everything") {
        p.write("data/raw/data.txt", "raw v1\n");
        const auto rec = p.run("p.yaml");
        CHECK(rec.at("summary").at("reused").as_int64() == 4);
    }
    SECTION("--force-rerun and settings.force_rerun run every step") {
        run_options o;
        o.force_rerun = true;
        auto rec = p.run("p.yaml", o);
        CHECK(rec.at("summary").at("completed").as_int64() == 4);
        CHECK(rec.at("jobs").at("first").at("cache_key").is_null());
        rec = p.run("p.yaml", {}, {"settings.force_rerun=true"});
        CHECK(rec.at("summary").at("completed").as_int64() == 4);
        CHECK(rec.at("settings").at("force_rerun").as_bool());
        // Forced runs never become a reuse source; the earlier entries still serve.
        rec = p.run("p.yaml");
        CHECK(rec.at("summary").at("reused").as_int64() == 4);
        CHECK(rec.at("jobs").at("first").at("reused_from").at("run_id").as_string() == first_id);
    }
    SECTION("editing a cached output in place invalidates that entry instead of serving changed bytes") {
        const fs::path out(std::string(again.at("jobs").at("first").at("outputs").at("out").at("path").as_string()));
        test::write_text(out / "data.txt", "tampered\n");  // hard-linked with the cache entry
        const auto rec = p.run("p.yaml");
        CHECK(status_of(rec, "first") == "completed");
        CHECK(out_text(rec, "first") == "raw v1\none x1 fast\n");
        CHECK(status_of(rec, "second") == "reused");  // same content as before, so still a hit
    }
}

TEST_CASE("is_deterministic: false steps always run, and their unchanged output keeps downstream reused") {
    project p;
    p.write("clock.yaml", R"yaml(name: read_clock
environment: azureml:local:1
is_deterministic: false
outputs:
  out:
    type: uri_folder
command: echo same > ${{outputs.out}}/data.txt
)yaml");
    p.write("p.yaml", R"yaml(type: pipeline
jobs:
  clock:
    component: ./clock.yaml
  use:
    component: ./echo.yaml
    inputs:
      src: ${{parent.jobs.clock.outputs.out}}
)yaml");
    p.run("p.yaml");
    const auto rec = p.run("p.yaml");
    CHECK(status_of(rec, "clock") == "completed");
    CHECK(rec.at("jobs").at("clock").at("reuse_disabled").as_string() == "is_deterministic: false");
    CHECK(status_of(rec, "use") == "reused");
}

TEST_CASE("an amlops tool named in a command is part of the reuse key: rebuilding it reruns the step") {
    project p;
    const auto bin = p.dir / "bin";
    p.write("bin/mytool", "#!/bin/sh\necho v1 > \"$1/data.txt\"\n");
    fs::permissions(bin / "mytool", fs::perms::owner_all);
    p.write("p.yaml", R"yaml(type: pipeline
jobs:
  t:
    command: mytool ${{outputs.out}}
    environment: azureml:local:1
    outputs:
      out:
)yaml");
    run_options o;
    o.bin_dir = bin;  // prepended to PATH, so `mytool` resolves here
    CHECK(out_text(p.run("p.yaml", o), "t") == "v1\n");
    CHECK(status_of(p.run("p.yaml", o), "t") == "reused");
    p.write("bin/mytool", "#!/bin/sh\necho v2 > \"$1/data.txt\"\n");
    const auto rec = p.run("p.yaml", o);
    CHECK(status_of(rec, "t") == "completed");
    CHECK(out_text(rec, "t") == "v2\n");
}

TEST_CASE("independent steps run in parallel up to --max-parallel") {
    project p;
    // Each step announces itself and waits (at most ~1 s) for the other: both can only succeed
    // when they run at the same time.
    p.write("meet.yaml", R"yaml(name: meet
environment: azureml:local:1
inputs:
  me: {type: string}
  other: {type: string}
  dir: {type: string}
outputs:
  out: {type: uri_folder}
command: >-
  touch ${{inputs.dir}}/${{inputs.me}};
  for i in $(seq 20); do test -e ${{inputs.dir}}/${{inputs.other}} && exit 0; sleep 0.05; done; exit 1
)yaml");
    const auto rendezvous = p.dir / "rendezvous";
    fs::create_directories(rendezvous);
    p.write("p.yaml", "type: pipeline\njobs:\n"
                      "  a:\n    component: ./meet.yaml\n    inputs: {me: a, other: b, dir: " + rendezvous.string() + "}\n"
                      "  b:\n    component: ./meet.yaml\n    inputs: {me: b, other: a, dir: " + rendezvous.string() + "}\n");
    run_options o;
    o.max_parallel = 2;
    o.force_rerun = true;
    CHECK(statuses(p.run("p.yaml", o)) == std::vector<std::string>{"a=completed", "b=completed"});
    fs::remove_all(rendezvous);
    fs::create_directories(rendezvous);
    o.max_parallel = 1;  // one at a time: the first gives up waiting, then the second finds it
    CHECK(statuses(p.run("p.yaml", o)) == std::vector<std::string>{"a=failed", "b=completed"});
}

TEST_CASE("a failed step stops its dependents, continue_on_step_failure decides about the others") {
    project p;
    p.write("needs.yaml", R"yaml(name: needs
environment: azureml:local:1
inputs:
  src: {type: uri_folder}
outputs:
  out: {type: uri_folder}
command: cat ${{inputs.src}}/data.txt > ${{outputs.out}}/data.txt
)yaml");
    p.write("p.yaml", R"yaml(type: pipeline
jobs:
  broken:
    component: ./fail.yaml
  after:
    component: ./needs.yaml
    inputs:
      src: ${{parent.jobs.broken.outputs.out}}
  optional_consumer:
    component: ./echo.yaml
    inputs:
      src: ${{parent.jobs.broken.outputs.out}}
  independent:
    component: ./echo.yaml
    inputs:
      text: alone
)yaml");
    run_options o;
    o.max_parallel = 1;
    auto rec = p.run("p.yaml", o);
    CHECK(rec.at("status").as_string() == "failed");
    CHECK(statuses(rec) ==
          std::vector<std::string>{"broken=failed", "after=skipped", "optional_consumer=completed", "independent=completed"});
    const auto& broken = rec.at("jobs").at("broken").as_object();
    CHECK(broken.at("exit_code").as_int64() == 1);
    CHECK_THAT(std::string(broken.at("error").as_string()), Contains("exit code 1"));
    CHECK(read_text(std::string(broken.at("stderr").as_string())) == "failing on purpose\n");
    CHECK_THAT(std::string(rec.at("jobs").at("after").at("reason").as_string()), Contains("upstream job 'broken' failed"));
    // Azure ML: a consumer of an optional output of a failed step still runs, without it.
    CHECK(out_text(rec, "optional_consumer") == "hello x1 fast\n");
    try {
        require_success(rec);
        FAIL("require_success accepted a failed run");
    } catch (const error& e) {
        CHECK(e.exit_code() == 1);
        CHECK_THAT(e.what(), Contains("broken (failed, exit code 1)"));
        CHECK(e.context().file == std::string(broken.at("stderr").as_string()));
    }
    // Failures are never cached: the step runs (and fails) again.
    rec = p.run("p.yaml", o);
    CHECK(status_of(rec, "broken") == "failed");
    CHECK(status_of(rec, "independent") == "reused");

    // continue_on_step_failure: false stops the run at the first failure.
    rec = p.run("p.yaml", o, {"settings.continue_on_step_failure=false", "settings.force_rerun=true"});
    CHECK(statuses(rec) == std::vector<std::string>{"broken=failed", "after=skipped", "optional_consumer=skipped", "independent=skipped"});

    // A step that exits 3 (a check said no) makes the whole run "rejected" (exit 3).
    rec = p.run("p.yaml", o, {"jobs.broken.inputs.code=3", "settings.continue_on_step_failure=false"});
    CHECK_THROWS_MATCHES(require_success(rec), error, Catch::Predicate<error>([](const error& e) { return e.exit_code() == 3; }));
}

TEST_CASE("limits.timeout fails a step that runs too long") {
    project p;
    p.write("p.yaml", R"yaml(type: pipeline
jobs:
  slow:
    command: sleep 20
    environment: azureml:local:1
    limits:
      timeout: 0.2
)yaml");
    const auto rec = p.run("p.yaml");
    CHECK(status_of(rec, "slow") == "failed");
    CHECK_THAT(std::string(rec.at("jobs").at("slow").at("error").as_string()), Contains("timed out"));
}

TEST_CASE("a canceled run stops running steps and starts no new ones") {
    project p;
    p.write("p.yaml", chain);
    std::atomic<bool> cancel{true};
    run_options o;
    o.cancel = &cancel;
    const auto rec = p.run("p.yaml", o);
    CHECK(rec.at("status").as_string() == "canceled");
    CHECK(rec.at("summary").at("canceled").as_int64() == 4);
}

TEST_CASE("a dry run (--dry-run) renders every command and writes nothing") {
    project p;
    p.write("p.yaml", chain);
    run_options o;
    o.dry_run = true;
    o.run_id = "dry";
    const auto rec = p.run("p.yaml", o);
    CHECK(rec.at("status").as_string() == "dry_run");
    const auto run_dir = p.workspace() / "runs" / "dry";
    const auto first = std::string(rec.at("jobs").at("first").at("command").as_string());
    const auto second = std::string(rec.at("jobs").at("second").at("command").as_string());
    CHECK(first == "{ cat " + (p.dir / "data/raw").lexically_normal().string() + "/data.txt; echo \"one x1 fast\"; } > " +
                       (run_dir / "first/out").string() + "/data.txt");
    CHECK_THAT(second, Contains("cat " + (run_dir / "first/out").string() + "/data.txt"));
    CHECK_FALSE(fs::exists(p.workspace()));
}

TEST_CASE("a command job file runs as a single step named main") {
    project p;
    p.write("job.yaml", R"yaml(type: command
inputs:
  raw:
    type: uri_folder
    path: ./data/raw
outputs:
  merged:
command: cat ${{inputs.raw}}/data.txt ${{inputs.raw}}/data.txt > ${{outputs.merged}}/all.txt
environment: azureml:local:1
)yaml");
    const auto rec = p.run("job.yaml");
    CHECK(rec.at("type").as_string() == "command");
    CHECK(out_text(rec, "main", "merged", "all.txt") == "raw v1\nraw v1\n");
}
