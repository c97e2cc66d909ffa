// --ca-file on every tool that talks to Azure: register, promote, predict, deploy and pipeline
// reach the emulator through a TLS front whose certificate comes from a CA generated for this
// test. Without --ca-file the certificate is not trusted (exit 1); with it the request gets
// through. The trust is an option handed down to the HTTP transport: nothing sets
// SSL_CERT_FILE (libs/workspace, docs/ARCHITECTURE.md).
#include "backend_fixture.hpp"
#include "loopback_server.hpp"
#include "test_support.hpp"

#include "amlops/core/json.hpp"

#include <catch2/catch.hpp>

#include <atomic>

using namespace amlops;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

/// TLS on 127.0.0.1 in front of the plain-http emulator: every request is forwarded unchanged.
struct tls_front {
    test::test_pki pki;
    test::tls_files files;
    std::shared_ptr<http::transport> upstream = http::make_transport();
    std::atomic<int> forwarded{0};
    test::loopback_server server;

    tls_front(const fs::path& dir, const std::string& emulator_url)
        : pki(test::make_test_pki(dir)),
          files{pki.server_chain, pki.server_key},
          server(
              [this, emulator_url](const http::request& in) {
                  http::request out = in;
                  out.url = emulator_url + in.url;
                  out.headers.erase("Host");
                  ++forwarded;
                  return upstream->send(out);
              },
              &files) {}

    std::string url() const { return server.base_url("127.0.0.1"); }
};

/// config.yaml: `dev` and `prod` on the emulator's registries, reached through the TLS front.
std::string config_through(const tls_front& front) {
    const std::string common = "subscription: sub-1, resource_group: rg-ml, arm_endpoint: '" + front.url() +
                               "', authority_host: '" + front.url() + "'";
    return "registries:\n  dev: {backend: azureml, registry: dev-reg, " + common + "}\n  prod: {backend: azureml, registry: prod-reg, " +
           common + "}\n";
}

bool untrusted(const test::run_result& r) { return r.exit_code == 1 && (r.err + r.out).find("certificate") != std::string::npos; }

struct tls_setup {
    test::backend_fixture f{{}};
    test::scratch_dir dir{"ca-file-tools"};
    tls_front front{dir.path(), f.emu.base_url()};
    fs::path home = dir / "home";
    std::vector<std::string> env;
    std::string ca;

    tls_setup() {
        test::write_text(home / "config.yaml", config_through(front));
        env = f.tool_env(home);
        ca = front.pki.ca_cert.string();
        // A registered version to promote, predict and deploy.
        test::write_text(dir / "model" / "MLmodel", "artifact_path: model\n");
        test::write_text(dir / "model" / "model.json", "{}");
        test::write_text(dir / "gate" / "decision.json", "{\"decision\": \"approve\", \"reasons\": []}");
    }
};

}  // namespace

TEST_CASE("aml-register and aml-promote trust the CA of --ca-file for Azure, and only then") {
    tls_setup s;
    const auto refused = test::run_tool("aml-register", {"list", "--registry", "dev"}, s.env);
    INFO(refused.out << refused.err);
    CHECK(untrusted(refused));

    const auto registered = test::run_tool("aml-register", {"--model", (s.dir / "model").string(), "--decision", (s.dir / "gate").string(),
                                                            "--registry", "dev", "--name", "taxi-fare", "--ca-file", s.ca}, s.env);
    INFO(registered.out << registered.err);
    REQUIRE(registered.exit_code == 0);
    CHECK(s.front.forwarded > 0);

    CHECK(untrusted(test::run_tool("aml-promote", {"--model", "taxi-fare", "--model-version", "1"}, s.env)));
    const auto promoted = test::run_tool("aml-promote", {"--model", "taxi-fare", "--model-version", "1", "--ca-file", s.ca}, s.env);
    INFO(promoted.out << promoted.err);
    CHECK(promoted.exit_code == 0);
    CHECK_THAT(promoted.out, Contains("azureml://registries/prod/models/taxi-fare/versions/1"));
}

TEST_CASE("aml-predict and aml-deploy resolve registry URIs through the CA of --ca-file") {
    tls_setup s;
    REQUIRE(test::run_tool("aml-register", {"--model", (s.dir / "model").string(), "--decision", (s.dir / "gate").string(), "--registry",
                                            "dev", "--name", "taxi-fare", "--ca-file", s.ca}, s.env).exit_code == 0);
    const std::string uri = "azureml://registries/dev/models/taxi-fare/versions/1";
    test::write_text(s.dir / "rows.json", "{\"input_data\": {\"columns\": [\"a\"], \"data\": [[1]]}}");

    // predict: untrusted without the CA; with it the version is downloaded and the (placeholder)
    // model itself is what gets refused, as bad input.
    CHECK(untrusted(test::run_tool("aml-predict", {"--model", uri, "--input", (s.dir / "rows.json").string()}, s.env)));
    const auto predicted = test::run_tool("aml-predict", {"--model", uri, "--input", (s.dir / "rows.json").string(), "--ca-file", s.ca}, s.env);
    INFO(predicted.out << predicted.err);
    CHECK(predicted.exit_code == 2);
    CHECK_THAT(predicted.err, !Contains("certificate"));

    // deploy resolves the URI before it reads the test table: with the CA it gets as far as the
    // (missing) table.
    const std::vector<std::string> deploy{"--endpoint", "local://127.0.0.1:9", "--model", uri, "--test", (s.dir / "missing.csv").string()};
    CHECK(untrusted(test::run_tool("aml-deploy", deploy, s.env)));
    auto with_ca = deploy;
    with_ca.insert(with_ca.end(), {"--ca-file", s.ca});
    const auto deployed = test::run_tool("aml-deploy", with_ca, s.env);
    INFO(deployed.out << deployed.err);
    CHECK(deployed.exit_code == 2);
    CHECK_THAT(deployed.out + deployed.err, Contains("missing.csv"));
}

TEST_CASE("aml-pipeline hands the CA of its --ca-file to the steps it runs") {
    tls_setup s;
    test::write_text(s.dir / "job.yaml", "type: command\ncommand: aml-register list --registry dev\nenvironment: azureml:local:1\n");
    const auto refused = test::run_tool("aml-pipeline", {(s.dir / "job.yaml").string(), "--workspace", s.home.string()}, s.env);
    INFO(refused.out << refused.err);
    CHECK(refused.exit_code == 1);
    const auto ran = test::run_tool("aml-pipeline", {(s.dir / "job.yaml").string(), "--workspace", s.home.string(), "--ca-file", s.ca}, s.env);
    INFO(ran.out << ran.err);
    CHECK(ran.exit_code == 0);
    CHECK(s.front.forwarded > 0);
    // A missing CA file is bad input, named, before anything runs.
    const auto missing = test::run_tool("aml-pipeline", {(s.dir / "job.yaml").string(), "--workspace", s.home.string(), "--ca-file",
                                                         (s.dir / "nope.pem").string()}, s.env);
    CHECK(missing.exit_code == 2);
    CHECK_THAT(missing.out + missing.err, Contains("nope.pem"));
}
