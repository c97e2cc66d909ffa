// The emulator's managed identity endpoints (through the real credential chain, then ARM),
// online endpoints/deployments state, and the MLflow tracking API with the amlops client.
#include "emulator.hpp"
#include "emulator_clients.hpp"

#include "amlops/arm/client.hpp"
#include "amlops/arm/resource_id.hpp"
#include "amlops/auth/credentials.hpp"
#include "amlops/http/pipeline.hpp"
#include "amlops/tracking/mlflow.hpp"

#include <catch2/catch.hpp>

#include <map>

using namespace amlops;
using Catch::Matchers::Contains;

namespace {

const std::string secret = "extra-Secret-Value-456";

using test::isolated;

arm::client arm_client(const emulator::emulator& emu, std::shared_ptr<http::token_credential> cred) {
    return test::emulator_arm_client(emu, std::move(cred));
}

std::shared_ptr<http::token_credential> secret_credential(const emulator::emulator& emu) {
    return std::make_shared<auth::client_secret_credential>("emulator-tenant", "emulator-client", secret, isolated(emu, {}));
}

emulator::options with_secret() {
    emulator::options o;
    o.client_secret = secret;
    return o;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const error& e) {
        return e.describe();
    }
    return "no error";
}

}  // namespace

TEST_CASE("the default chain gets a token from the Azure ML compute MSI endpoint and ARM accepts it") {
    emulator::emulator emu(with_secret());
    const auto co = isolated(emu, {{"MSI_ENDPOINT", emu.base_url() + "/msi/token"},
                                   {"MSI_SECRET", "emulator-msi-secret"},
                                   {"DEFAULT_IDENTITY_CLIENT_ID", "emulator-mi-client"}});
    auto chain = auth::make_default_chain(co);
    const auto token = chain->get_token(emu.base_url() + "/.default");
    CHECK(token.token.rfind("emu-mi-token-", 0) == 0);
    CHECK(token.expires_on > std::chrono::system_clock::now() + std::chrono::minutes(50));
    CHECK_THAT(chain->name(), Contains("managed identity"));

    auto c = arm_client(emu, chain);
    const auto rg = c.put(arm::resource_group_id("sub-1", "rg-mi"), json::object{{"location", "westeurope"}});
    CHECK(rg.at("name").as_string() == "rg-mi");
    const auto log = emu.snapshot().log;
    CHECK(std::count(log.begin(), log.end(), "GET /msi/token") >= 1);
}

TEST_CASE("the Azure ML compute MSI endpoint refuses a wrong secret or an identity that is not attached") {
    emulator::emulator emu(with_secret());
    SECTION("wrong client id (DEFAULT_IDENTITY_CLIENT_ID)") {
        auto cred = auth::managed_identity_credential(isolated(emu, {{"MSI_ENDPOINT", emu.base_url() + "/msi/token"},
                                                                     {"MSI_SECRET", "emulator-msi-secret"},
                                                                     {"DEFAULT_IDENTITY_CLIENT_ID", "someone-else"}}));
        CHECK_THAT(error_of([&] { cred.get_token("https://management.azure.com/.default"); }), Contains("Identity not found"));
    }
    SECTION("wrong secret; the secret never appears in the message") {
        auto cred = auth::managed_identity_credential(isolated(emu, {{"MSI_ENDPOINT", emu.base_url() + "/msi/token"},
                                                                     {"MSI_SECRET", "Wrong-Msi-Secret-789"}}));
        const auto msg = error_of([&] { cred.get_token("https://management.azure.com/.default"); });
        CHECK_THAT(msg, Contains("401"));
        CHECK_THAT(msg, !Contains("Wrong-Msi-Secret-789"));
    }
}

TEST_CASE("the App Service style identity endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER) serves the chain") {
    emulator::emulator emu(with_secret());
    auto chain = auth::make_default_chain(isolated(emu, {{"IDENTITY_ENDPOINT", emu.base_url() + "/identity/token"},
                                                         {"IDENTITY_HEADER", "emulator-identity-header"}}));
    auto c = arm_client(emu, chain);
    CHECK_NOTHROW(c.put(arm::resource_group_id("sub-1", "rg-app"), json::object{{"location", "westeurope"}}));
    const auto log = emu.snapshot().log;
    CHECK(std::count(log.begin(), log.end(), "GET /identity/token") >= 1);
}

TEST_CASE("online endpoints and deployments: long-running PUT, validation from the spec, traffic, list, delete") {
    emulator::emulator emu(with_secret());
    auto c = arm_client(emu, secret_credential(emu));
    c.put(arm::resource_group_id("sub-1", "rg-ml"), json::object{{"location", "westeurope"}});
    const auto ws = arm::workspace_id("sub-1", "rg-ml", "ws-ml");
    c.put(ws, json::object{{"location", "westeurope"}});
    const auto ep = ws.child("onlineEndpoints", "taxi-fare");
    const auto dep = ep.child("deployments", "blue");

    const auto created = c.put(ep, json::object{{"location", "westeurope"}, {"properties", json::object{{"authMode", "Key"}}}});
    CHECK(created.at("properties").at("provisioningState").as_string() == "Succeeded");  // after the LRO polls
    CHECK(created.at("properties").at("scoringUri").is_string());

    CHECK_THAT(error_of([&] { c.put(ws.child("onlineEndpoints", "bad"), json::object{{"location", "w"}, {"properties", json::object{{"authMode", "Password"}}}}); }),
               Contains("authMode"));
    CHECK_THAT(error_of([&] { c.put(ws.child("onlineEndpoints", "-bad"), json::object{{"location", "w"}, {"properties", json::object{{"authMode", "Key"}}}}); }),
               Contains("must match"));
    CHECK_THAT(error_of([&] { c.put(ws.child("onlineEndpoints", "noloc"), json::object{{"properties", json::object{{"authMode", "Key"}}}}); }),
               Contains("location"));
    CHECK_THAT(error_of([&] { c.put(dep, json::object{{"location", "westeurope"}, {"properties", json::object{{"instanceType", "Standard_DS3_v2"}}}}); }),
               Contains("endpointComputeType"));
    // Traffic may only name deployments that exist.
    CHECK_THAT(error_of([&] { c.put(ep, json::object{{"location", "westeurope"}, {"properties", json::object{{"authMode", "Key"}, {"traffic", json::object{{"blue", 100}}}}}}); }),
               Contains("does not exist"));

    const auto d = c.put(dep, json::object{{"location", "westeurope"},
                                          {"properties", json::object{{"endpointComputeType", "Managed"}, {"instanceType", "Standard_DS3_v2"}}}});
    CHECK(d.at("properties").at("provisioningState").as_string() == "Succeeded");
    const auto routed = c.put(ep, json::object{{"location", "westeurope"}, {"properties", json::object{{"authMode", "Key"}, {"traffic", json::object{{"blue", 100}}}}}});
    CHECK(routed.at("properties").at("traffic").at("blue").to_number<int>() == 100);
    CHECK_THAT(error_of([&] { c.put(ep, json::object{{"location", "westeurope"}, {"properties", json::object{{"authMode", "Key"}, {"traffic", json::object{{"blue", 60}}}}}}); }),
               Contains("add up to 100"));

    CHECK(c.list(ws, "onlineEndpoints").size() == 1);
    CHECK(c.list(ep, "deployments").size() == 1);
    CHECK(c.remove(ep));
    CHECK_FALSE(c.find(dep).has_value());
    CHECK_FALSE(c.find(ep).has_value());
}

TEST_CASE("MLflow API: experiment by name, run, log-batch split at MLflow's limits, stored values, validation") {
    emulator::emulator emu(with_secret());
    auto cred = secret_credential(emu);
    arm_client(emu, cred).put(arm::resource_group_id("sub-1", "rg-ml"), json::object{{"location", "westeurope"}});
    arm_client(emu, cred).put(arm::workspace_id("sub-1", "rg-ml", "ws-ml"), json::object{{"location", "westeurope"}});
    http::pipeline_options p;
    p.credential = cred;
    p.scope = emu.base_url() + "/.default";
    auto pipe = http::make_pipeline(p, http::make_transport());
    const std::string base =
        emu.base_url() + "/mlflow/v1.0/subscriptions/sub-1/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/ws-ml";
    tracking::client c(pipe, base);

    const auto exp = c.experiment_id("taxi");
    CHECK(c.experiment_id("taxi") == exp);  // found by name the second time
    const auto run = c.create_run(exp, 1000, "unit", {{"k", "v"}});

    tracking::run_data data;
    for (int i = 0; i < 1500; ++i) data.metrics.push_back({"m" + std::to_string(i), i * 0.5, 1234, 0});
    for (int i = 0; i < 150; ++i) data.params.push_back({"p" + std::to_string(i), std::to_string(i)});
    CHECK(c.log_batch(run, data) == 2);
    const auto logged = emu.snapshot().log;
    CHECK(std::count_if(logged.begin(), logged.end(), [](const std::string& l) { return l.ends_with("/runs/log-batch"); }) == 2);

    const auto got = c.get_run(run);
    const auto& stored = got.at("data").as_object();
    CHECK(stored.at("metrics").as_array().size() == 1500);
    CHECK(stored.at("params").as_array().size() == 150);
    for (const auto& m : stored.at("metrics").as_array())
        if (m.at("key").as_string() == "m777") CHECK(m.at("value").to_number<double>() == 388.5);

    SECTION("changing a param is refused with MLflow's error code") {
        tracking::run_data again;
        again.params.push_back({"p1", "other"});
        try {
            c.log_batch(run, again);
            FAIL("no error");
        } catch (const error& e) {
            CHECK(e.context().service_code == std::optional<std::string>("INVALID_PARAMETER_VALUE"));
            CHECK_THAT(e.describe(), Contains("HTTP 400"));
        }
    }
    SECTION("a batch over the limits is refused by the server") {
        tracking::run_data big;
        for (int i = 0; i < 101; ++i) big.params.push_back({"q" + std::to_string(i), "1"});
        CHECK_THAT(error_of([&] { c.log_batch(run, big, tracking::batch_limits{1000, 200, 100, 1000}); }), Contains("at most 100 params"));
    }
    SECTION("no token, unknown workspace") {
        tracking::client anonymous(http::make_transport(), base);
        CHECK_THAT(error_of([&] { anonymous.get_run(run); }), Contains("UNAUTHENTICATED"));
        tracking::client elsewhere(pipe, emu.base_url() + "/mlflow/v1.0/subscriptions/sub-1/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/workspaces/nope");
        CHECK_THAT(error_of([&] { elsewhere.get_run(run); }), Contains("HTTP 404"));
    }
    c.finish_run(run, 2000);
    CHECK(c.get_run(run).at("info").at("status").as_string() == "FINISHED");
}

TEST_CASE("log_run to a plain MLflow server (no Azure ML path) sends no token and needs no Azure credential") {
    emulator::emulator emu(with_secret());
    tracking::settings s;
    s.tracking_uri = emu.base_url() + "/";
    s.experiment_name = "local";
    tracking::run_data d;
    d.metrics.push_back({"rmse", 2.5, 1, 0});
    d.params.push_back({"eta", "0.1"});
    tracking::log_options o;
    o.env = [](const std::string&) { return std::optional<std::string>{}; };  // no Azure anything
    const auto run_id = tracking::log_run(s, d, "local-run", o);
    tracking::client c(http::make_transport(), emu.base_url());
    const auto run = c.get_run(run_id);
    CHECK(run.at("info").at("status").as_string() == "FINISHED");
    CHECK(run.at("data").at("metrics").as_array()[0].at("value").to_number<double>() == 2.5);
    CHECK(run.at("data").at("params").as_array()[0].at("value").as_string() == "0.1");
}

TEST_CASE("log_run rides out 429/503 faults on every other request, with nothing logged twice") {
    emulator::emulator emu(with_secret());
    emulator::fault_options f;
    f.every_nth = 2;
    f.statuses = {429, 503};
    f.retry_after_seconds = 0;
    emu.set_faults(f);
    tracking::settings s;
    s.tracking_uri = emu.base_url();
    tracking::run_data d;
    for (int i = 0; i < 2500; ++i) d.metrics.push_back({"m" + std::to_string(i), static_cast<double>(i), 1, 0});
    tracking::log_options o;
    o.env = [](const std::string&) { return std::optional<std::string>{}; };
    const auto run_id = tracking::log_run(s, d, "faulty", o);
    emu.set_faults({});
    tracking::client c(http::make_transport(), emu.base_url());
    const auto run = c.get_run(run_id);
    CHECK(run.at("data").at("metrics").as_array().size() == 2500);
    CHECK(run.at("info").at("status").as_string() == "FINISHED");
    const auto st = emu.snapshot();
    CHECK(st.faults >= 3);
    // Answered log-batch calls (faulted ones are marked "[fault]"): one per batch, none twice.
    CHECK(std::count_if(st.log.begin(), st.log.end(), [](const std::string& l) { return l.ends_with("/runs/log-batch"); }) == 3);
}
