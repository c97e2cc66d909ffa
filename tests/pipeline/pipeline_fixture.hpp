#pragma once
// Shared by the pipeline tests: a scratch folder with a tiny shell-only component library, so the
// runner is tested without the ML tools.

#include "amlops/core/error.hpp"
#include "amlops/pipeline/loader.hpp"
#include "amlops/pipeline/plan.hpp"
#include "amlops/pipeline/runner.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace amlops::pipeline::testing {

namespace fs = std::filesystem;

/// `echo_step`: writes `text` (and the content of the optional `src` folder's data.txt before it)
/// into out/data.txt. `fail_step`: exits with `code`.
inline constexpr const char* echo_component = R"yaml($schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
type: command
name: echo_step
version: 1
environment: azureml:local:1
inputs:
  src:
    type: uri_folder
    optional: true
  text:
    type: string
    default: hello
  count:
    type: integer
    default: 1
    min: 1
    max: 5
  mode:
    type: string
    default: fast
    enum: [fast, slow]
outputs:
  out:
    type: uri_folder
command: >-
  { $[[cat ${{inputs.src}}/data.txt;]] echo "${{inputs.text}} x${{inputs.count}} ${{inputs.mode}}"; } > ${{outputs.out}}/data.txt
)yaml";

inline constexpr const char* fail_component = R"yaml(name: fail_step
environment: azureml:local:1
inputs:
  code:
    type: integer
    default: 1
outputs:
  out:
    type: uri_folder
command: echo "failing on purpose" >&2; exit ${{inputs.code}}
)yaml";

/// A scratch project: YAML files, input data, a workspace.
struct project {
    test::scratch_dir dir{"pipeline"};

    project() {
        write("echo.yaml", echo_component);
        write("fail.yaml", fail_component);
        write("data/raw/data.txt", "raw v1\n");
    }
    fs::path write(const std::string& rel, const std::string& text) const {
        test::write_text(dir / rel, text);
        return dir / rel;
    }
    fs::path workspace() const { return dir / "ws"; }

    /// Loads, plans and runs `file`.
    json::object run(const std::string& file, run_options o = {}, const std::vector<std::string>& sets = {}) const {
        const auto job = load_job(dir / file, sets);
        const auto p = make_plan(job);
        if (o.workspace.empty()) o.workspace = workspace();
        if (const char* bin = std::getenv("AMLOPS_BIN_DIR"); bin && o.bin_dir.empty()) o.bin_dir = bin;
        return run_plan(job, p, o);
    }
};

/// Status of step `job` in a run record.
inline std::string status_of(const json::object& record, const std::string& job) {
    return std::string(record.at("jobs").at(job).at("status").as_string());
}

/// The error thrown by loading and planning `file`, or a failed test when none is thrown.
inline error load_error(const fs::path& file, const std::vector<std::string>& sets = {}) {
    try {
        const auto job = load_job(file, sets);
        make_plan(job);
    } catch (const error& e) {
        return e;
    }
    FAIL("expected an error from " << file);
    return error(error_kind::internal, "unreachable");
}

}  // namespace amlops::pipeline::testing
