// Issue 10, Azure ML contract items 4 and 5, against the emulator: the managed identity rules
// of azure-identity (IMDS 400 = unavailable, transient IMDS statuses retried, IDENTITY_* before
// MSI_*, the 2017 API's date-string expires_on) and MLflow (the azureml-mlflow v2.0 base, the
// token on any workspace tracking URI, runs amlops created ended FAILED, MLFLOW_TRACKING_TOKEN
// and MLFLOW_TRACKING_USERNAME/PASSWORD for plain servers). Each case failed on the code
// before the fix (see the commit message). IMDS is always the emulator's loopback address.
#include "emulator.hpp"
#include "emulator_clients.hpp"
#include "test_support.hpp"

#include "amlops/auth/credentials.hpp"
#include "amlops/http/pipeline.hpp"
#include "amlops/tracking/mlflow.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace amlops;
using Catch::Matchers::Contains;

namespace {

const std::string secret = "contract-Secret-Value-731";

/// Credential options seeing only `vars`, IMDS at the emulator (loopback), and an `az` that
/// answers a token (so "the chain moved on to the Azure CLI" is visible).
auth::credential_options with_imds(const emulator::emulator& emu, std::map<std::string, std::string> vars,
                                   std::vector<std::chrono::milliseconds>* sleeps = nullptr) {
    auto co = test::isolated(emu, std::move(vars));
    co.imds_endpoint = emu.base_url() + "/metadata/identity/oauth2/token";
    co.imds_transport = http::make_transport();
    co.retry.sleep = [sleeps](std::chrono::milliseconds d) {
        if (sleeps) sleeps->push_back(d);
    };
    co.run = [](const std::vector<std::string>&) {
        return auth::process_output{0, R"({"accessToken": "from-azure-cli", "expires_on": 4102444800})", ""};
    };
    return co;
}

emulator::options base_options() {
    emulator::options o;
    o.client_secret = secret;
    return o;
}

/// describe() of the amlops::error `f` throws.
std::string message_of(const std::function<void()>& f) { return test::error_of(f).describe(); }

std::string workspace_path() {
    return "/subscriptions/sub-1/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-ml";
}

/// The emulator with `ws-ml` provisioned (the Azure ML MLflow routes need the workspace).
void provision_workspace(const emulator::emulator& emu) {
    auto c = test::emulator_arm_client(emu, test::emulator_credential(emu, secret));
    c.put(arm::resource_group_id("sub-1", "rg-ml"), json::object{{"location", "westeurope"}});
    c.put(arm::workspace_id("sub-1", "rg-ml", "ws-ml"), json::object{{"location", "westeurope"}});
}

tracking::run_data small_run() {
    tracking::run_data d;
    d.metrics.push_back({"rmse", 2.5, 1, 0});
    d.params.push_back({"eta", "0.1"});
    return d;
}

}  // namespace

TEST_CASE("IMDS 400 (no identity assigned) is 'unavailable': the default chain moves on to the Azure CLI") {
    auto o = base_options();
    o.imds_identity = false;
    emulator::emulator emu(o);
    auto chain = auth::make_default_chain(with_imds(emu, {}));
    const auto token = chain->get_token("https://management.azure.com/.default");
    CHECK(token.token == "from-azure-cli");
    const auto log = emu.snapshot().log;
    CHECK(std::count(log.begin(), log.end(), "GET /metadata/identity/oauth2/token") == 1);  // 400 is not retried
}

TEST_CASE("IMDS 404, 429 and 503 are retried with growing backoff, then the IMDS token is used") {
    auto o = base_options();
    o.imds_statuses = {404, 429, 503};
    emulator::emulator emu(o);
    std::vector<std::chrono::milliseconds> sleeps;
    auto co = with_imds(emu, {}, &sleeps);
    co.retry.max_retries = 3;
    auth::managed_identity_credential cred(co);
    const auto token = cred.get_token(emu.base_url() + "/.default");
    CHECK(token.token.rfind("emu-imds-token-", 0) == 0);
    REQUIRE(sleeps.size() == 3);
    CHECK(sleeps[1] > sleeps[0]);
    CHECK(sleeps[2] > sleeps[1]);
    // The token is a valid ARM token of the emulator.
    auto c = test::emulator_arm_client(emu, std::make_shared<auth::managed_identity_credential>(co));
    CHECK(c.put(arm::resource_group_id("sub-1", "rg-imds"), json::object{{"location", "westeurope"}}).at("name").as_string() == "rg-imds");

    SECTION("retries run out: the last answer's error, not 'unavailable'") {
        auto o2 = base_options();
        o2.imds_statuses = {503, 503, 503};
        emulator::emulator emu2(o2);
        auto co2 = with_imds(emu2, {});
        co2.retry.max_retries = 1;
        auth::managed_identity_credential cred2(co2);
        CHECK_THAT(message_of([&] { cred2.get_token("https://management.azure.com/.default"); }), Contains("HTTP 503"));
    }
}

TEST_CASE("IDENTITY_ENDPOINT + IDENTITY_HEADER win over the legacy MSI_ENDPOINT pair App Service exports too") {
    emulator::emulator emu(base_options());
    // The legacy pair is deliberately wrong: reaching it would fail with 401.
    auth::managed_identity_credential cred(with_imds(emu, {{"IDENTITY_ENDPOINT", emu.base_url() + "/identity/token"},
                                                           {"IDENTITY_HEADER", "emulator-identity-header"},
                                                           {"MSI_ENDPOINT", emu.base_url() + "/msi/token"},
                                                           {"MSI_SECRET", "not-the-secret"}}));
    CHECK(cred.get_token("https://management.azure.com/.default").token.rfind("emu-mi-token-", 0) == 0);
    const auto log = emu.snapshot().log;
    CHECK(std::count(log.begin(), log.end(), "GET /identity/token") == 1);
    CHECK(std::count(log.begin(), log.end(), "GET /msi/token") == 0);
}

TEST_CASE("the 2017-09-01 managed identity API's expires_on date string is parsed") {
    auto o = base_options();
    o.msi_expires_on_date = true;
    emulator::emulator emu(o);
    auth::managed_identity_credential cred(with_imds(emu, {{"MSI_ENDPOINT", emu.base_url() + "/msi/token"}, {"MSI_SECRET", "emulator-msi-secret"}}));
    const auto token = cred.get_token("https://management.azure.com/.default");
    const auto now = std::chrono::system_clock::now();
    CHECK(token.expires_on > now + std::chrono::minutes(55));
    CHECK(token.expires_on < now + std::chrono::minutes(65));
}

TEST_CASE("MLflow: an azureml:// tracking URI maps to the v2.0 base; http(s) URIs are kept (v1.0 only when given)") {
    const std::string ws = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w";
    CHECK(tracking::rest_base_url("azureml://westeurope.api.azureml.ms/mlflow/v1.0" + ws) == "https://westeurope.api.azureml.ms/mlflow/v2.0" + ws);
    CHECK(tracking::rest_base_url("azureml://westeurope.api.azureml.ms/mlflow/v1.0" + ws + "?x=1") ==
          "https://westeurope.api.azureml.ms/mlflow/v2.0" + ws);
    CHECK(tracking::rest_base_url("https://pe.example/mlflow/v1.0" + ws + "/") == "https://pe.example/mlflow/v1.0" + ws);
    CHECK_THROWS_WITH(tracking::rest_base_url("azureml://host/experiments"), Contains("not an Azure ML workspace tracking URI"));
}

TEST_CASE("MLflow: a v2.0 workspace tracking URI gets the Entra token by its path; the emulator serves v1.0 and v2.0") {
    emulator::emulator emu(base_options());
    provision_workspace(emu);
    const std::map<std::string, std::string> vars{{"AZURE_TENANT_ID", "emulator-tenant"}, {"AZURE_CLIENT_ID", "emulator-client"},
                                                  {"AZURE_CLIENT_SECRET", secret}, {"AZURE_AUTHORITY_HOST", emu.base_url() + "/"},
                                                  {"AZURE_RESOURCE_MANAGER_ENDPOINT", emu.base_url() + "/"}};
    tracking::log_options lo;
    lo.env = [vars](const std::string& n) -> std::optional<std::string> {
        auto it = vars.find(n);
        return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    for (const std::string version : {"v2.0", "v1.0"}) {
        tracking::settings s;
        s.tracking_uri = emu.base_url() + "/mlflow/" + version + workspace_path();
        s.experiment_name = "contract-" + version;
        const auto run_id = tracking::log_run(s, small_run(), "run", lo);
        auto c = test::emulator_pipeline(emu, test::emulator_credential(emu, secret));
        tracking::client client(c, emu.base_url() + "/mlflow/" + version + workspace_path());
        CHECK(client.get_run(run_id).at("info").at("status").as_string() == "FINISHED");
    }
}

TEST_CASE("MLflow: a run amlops created ends FAILED when logging into it fails") {
    emulator::emulator emu(base_options());
    tracking::settings s;
    s.tracking_uri = emu.base_url();
    s.experiment_name = "failing";
    auto d = small_run();
    d.params.push_back({"too-long", std::string(7000, 'x')});  // MLflow refuses param values over 6000 characters
    tracking::log_options lo;
    lo.env = [](const std::string&) { return std::optional<std::string>{}; };
    const auto msg = message_of([&] { tracking::log_run(s, d, "run", lo); });
    CHECK_THAT(msg, Contains("INVALID_PARAMETER_VALUE") && Contains("FAILED"));
    tracking::client c(http::make_transport(), emu.base_url());
    http::request req;
    req.method = "POST";
    req.url = emu.base_url() + "/api/2.0/mlflow/runs/search";
    req.headers.set("Content-Type", "application/json");
    req.body = boost::json::serialize(json::object{{"experiment_ids", json::array{c.experiment_id("failing")}}});
    const auto res = http::make_transport()->send(req);
    REQUIRE(res.status == 200);
    const auto runs = json::parse(res.body, "runs/search").at("runs").as_array();
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].at("info").at("status").as_string() == "FAILED");
    CHECK(runs[0].at("info").as_object().contains("end_time"));
}

TEST_CASE("MLflow: MLFLOW_TRACKING_USERNAME/PASSWORD (HTTP Basic) and MLFLOW_TRACKING_TOKEN reach a plain MLflow server") {
    SECTION("basic auth") {
        auto o = base_options();
        o.mlflow_basic_user = "alice";
        o.mlflow_basic_password = "Basic-Pass-123";
        emulator::emulator emu(o);
        std::map<std::string, std::string> vars{{"MLFLOW_TRACKING_URI", emu.base_url()},
                                                {"MLFLOW_TRACKING_USERNAME", "alice"},
                                                {"MLFLOW_TRACKING_PASSWORD", "Basic-Pass-123"}};
        const env_lookup env = [vars](const std::string& n) -> std::optional<std::string> {
            auto it = vars.find(n);
            return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
        const auto s = tracking::settings::from_env(env);
        REQUIRE(s);
        tracking::log_options lo;
        lo.env = env;
        CHECK_FALSE(tracking::log_run(*s, small_run(), "run", lo).empty());
        vars["MLFLOW_TRACKING_PASSWORD"] = "wrong";
        const env_lookup bad = [vars](const std::string& n) -> std::optional<std::string> {
            auto it = vars.find(n);
            return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
        lo.env = bad;
        const auto msg = message_of([&] { tracking::log_run(*tracking::settings::from_env(bad), small_run(), "run", lo); });
        CHECK_THAT(msg, Contains("UNAUTHENTICATED"));
        CHECK_THAT(msg, !Contains("wrong") && !Contains("Basic-Pass-123"));
    }
    SECTION("bearer token") {
        auto o = base_options();
        o.mlflow_bearer_token = "Plain-Server-Token-9";
        emulator::emulator emu(o);
        const env_lookup env = [&](const std::string& n) -> std::optional<std::string> {
            if (n == "MLFLOW_TRACKING_URI") return emu.base_url();
            if (n == "MLFLOW_TRACKING_TOKEN") return std::string("Plain-Server-Token-9");
            return std::nullopt;
        };
        tracking::log_options lo;
        lo.env = env;
        CHECK_FALSE(tracking::log_run(*tracking::settings::from_env(env), small_run(), "run", lo).empty());
    }
}
