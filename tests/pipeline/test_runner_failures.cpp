// Failures of the runner itself, not of a step's command: an exception thrown on a worker thread
// (here by the injected clock, which the runner calls around every step) becomes a failed step
// that carries the message; the process neither terminates nor hangs.
#include "pipeline_fixture.hpp"

#include "amlops/core/json.hpp"

#include <stdexcept>
#include <thread>

using namespace amlops;
using namespace amlops::pipeline;
using namespace amlops::pipeline::testing;
using Catch::Matchers::Contains;

TEST_CASE("an exception on a runner worker thread becomes a failed step with the message") {
    project p;
    p.write("one.yaml", "type: pipeline\njobs:\n  only:\n    component: ./echo.yaml\n    inputs:\n      text: hi\n");
    run_options o;
    const auto main_thread = std::this_thread::get_id();
    o.now = [main_thread] {
        if (std::this_thread::get_id() != main_thread) throw std::runtime_error("clock unavailable on this thread");
        return std::chrono::system_clock::now();
    };
    const auto record = p.run("one.yaml", o);
    CHECK(std::string(record.at("status").as_string()) == "failed");
    CHECK(status_of(record, "only") == "failed");
    CHECK_THAT(std::string(record.at("jobs").at("only").at("error").as_string()), Contains("clock unavailable on this thread"));
}
