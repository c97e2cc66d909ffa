// run_release(), aml-deploy's job behind its flags: what it refuses before touching an endpoint.
// The full release (state file, registry record, exit 3 on rollback) runs against a real
// aml-predict serve in tests/tools/deploy_test.cpp.
#include "amlops/deploy/run_release.hpp"

#include "amlops/cli/tool.hpp"
#include "amlops/core/error.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace amlops;

namespace {
json::value release_with(const deploy::release_settings& s) {
    logger log("aml-deploy", log_level::quiet);
    cli::context ctx(log, [](const std::string&) { return std::optional<std::string>(); });
    return deploy::run_release(s, ctx);
}
}  // namespace

TEST_CASE("run_release: no smoke data is a usage error naming --test") {
    deploy::release_settings s;
    s.endpoint = "local://127.0.0.1:1";
    s.model = "/nonexistent/model";
    const auto e = test::error_of([&] { release_with(s); });
    CHECK(e.kind() == error_kind::usage);
    CHECK(e.context().field == "--test");
}

TEST_CASE("run_release: a missing model folder is not_found before the endpoint is contacted") {
    test::scratch_dir dir("run-release");
    deploy::release_settings s;
    s.endpoint = "local://127.0.0.1:1";  // nothing listens: reaching it would be a runtime error
    s.model = (dir / "no-model").string();
    s.smoke_data = (dir / "test.csv").string();
    s.workspace = (dir / "ws").string();
    const auto e = test::error_of([&] { release_with(s); });
    CHECK(e.kind() == error_kind::not_found);
}
