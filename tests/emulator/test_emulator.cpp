// The Azure ML backend against the loopback emulator: Entra ID tokens (secret and certificate
// assertion), ARM validation (api-version, names, required properties), registry versions
// through startPendingUpload + blob upload + long-running PUT, with faults on.
#include "emulator.hpp"

#include "amlops/arm/client.hpp"
#include "amlops/auth/credentials.hpp"
#include "amlops/azureml/azureml_registry.hpp"
#include "amlops/azureml/blob.hpp"
#include "amlops/http/pipeline.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <mutex>

using namespace amlops;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

const std::string secret = "s3cr3t-Emulator-Value";

auth::credential_options cred_options(const emulator::emulator& emu) {
    auth::credential_options o;
    o.env = [](const std::string&) { return std::optional<std::string>{}; };
    o.cloud.authority_host = emu.base_url() + "/";
    o.cloud.resource_manager = emu.base_url() + "/";
    o.cloud_from_env = false;
    o.imds_endpoint = std::nullopt;
    o.retry.sleep = [](std::chrono::milliseconds) {};
    return o;
}

http::retry_options instant_retry() {
    http::retry_options r;
    r.max_retries = 6;
    r.sleep = [](std::chrono::milliseconds) {};
    return r;
}

/// An emulator plus an ARM client signed in with the client secret, and captured logs.
struct fixture {
    emulator::emulator emu{[] {
        emulator::options o;
        o.client_secret = secret;
        return o;
    }()};
    std::mutex log_mutex;
    std::string logs;
    logger log{"test", log_level::debug, log_format::text, [this](std::string_view line) {
                   std::lock_guard lock(log_mutex);
                   logs.append(line).append("\n");
               }};
    std::shared_ptr<http::token_credential> credential = std::make_shared<auth::cached_credential>(
        std::make_shared<auth::client_secret_credential>("emulator-tenant", "emulator-client", secret, cred_options(emu)));

    std::shared_ptr<http::transport> pipeline() {
        http::pipeline_options p;
        p.retry = instant_retry();
        p.credential = credential;
        p.scope = emu.base_url() + "/.default";
        p.log = &log;
        return http::make_pipeline(p, http::make_transport());
    }
    arm::client client() {
        arm::client_options o;
        o.endpoint = emu.base_url();
        o.sleep = [](std::chrono::milliseconds) {};
        return arm::client(pipeline(), o);
    }
    std::unique_ptr<registry::registry> open(const std::string& name, const std::string& aml_registry) {
        azureml::target t;
        t.subscription = "sub-1";
        t.resource_group = "rg-ml";
        t.registry = aml_registry;
        t.arm_endpoint = emu.base_url();
        t.authority_host = emu.base_url();
        azureml::backend_options o;
        o.credential = credential;
        o.retry = instant_retry();
        o.log = &log;
        o.poll_sleep = [](std::chrono::milliseconds) {};
        o.block_size = 64 * 1024;  // small blocks so Put Block / Put Block List run on small files
        return azureml::open_azureml_registry(name, t, o);
    }
    void provision() {
        auto c = client();
        c.put(arm::resource_group_id("sub-1", "rg-ml"), json::object{{"location", "westeurope"}});
        c.put(arm::registry_id("sub-1", "rg-ml", "dev-reg"), json::object{{"location", "westeurope"}});
        c.put(arm::registry_id("sub-1", "rg-ml", "prod-reg"), json::object{{"location", "westeurope"}});
    }
};

std::string payload(std::size_t bytes, std::uint64_t seed) {
    std::string out(bytes, '\0');
    std::uint64_t x = seed | 1;
    for (auto& c : out) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        c = static_cast<char>(x & 0xff);
    }
    return out;
}

fs::path make_model(const fs::path& dir, std::uint64_t seed) {
    test::write_text(dir / "MLmodel", "artifact_path: model\n");
    test::write_text(dir / "model.json", payload(200'000, seed));  // > block size: Put Block List
    test::write_text(dir / "sub dir" / "notes.txt", "seed " + std::to_string(seed));
    return dir;
}

}  // namespace

TEST_CASE("token endpoint: client secret and certificate assertion accepted, wrong ones refused") {
    fixture f;
    CHECK(f.credential->get_token("x/.default").token.rfind("emu-token-", 0) == 0);

    auth::client_secret_credential wrong("emulator-tenant", "emulator-client", "not-the-secret", cred_options(f.emu));
    try {
        wrong.get_token("x/.default");
        FAIL("expected an error");
    } catch (const amlops::error& e) {
        CHECK(e.kind() == error_kind::auth);
        CHECK_THAT(e.what(), !Contains("not-the-secret"));
    }

    test::scratch_dir dir("emulator-cert");
    const auto pem = dir / "client.pem";
    const auto gen = test::run_process({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", (dir / "key.pem").string(),
                                        "-out", (dir / "cert.pem").string(), "-subj", "/CN=amlops-test", "-days", "1"});
    REQUIRE(gen.exit_code == 0);
    test::write_text(pem, test::read_text(dir / "cert.pem") + test::read_text(dir / "key.pem"));
    emulator::options o;
    o.certificate_pem = test::read_text(dir / "cert.pem");
    emulator::emulator emu(o);
    auto good = auth::make_client_certificate_credential("emulator-tenant", "emulator-client", pem, cred_options(emu));
    CHECK(good->get_token("x/.default").token.rfind("emu-token-", 0) == 0);

    // A certificate the emulator does not know (a fresh key) fails signature validation.
    const auto gen2 = test::run_process({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", (dir / "key2.pem").string(),
                                         "-out", (dir / "cert2.pem").string(), "-subj", "/CN=other", "-days", "1"});
    REQUIRE(gen2.exit_code == 0);
    test::write_text(dir / "other.pem", test::read_text(dir / "cert2.pem") + test::read_text(dir / "key2.pem"));
    auto bad = auth::make_client_certificate_credential("emulator-tenant", "emulator-client", dir / "other.pem", cred_options(emu));
    CHECK_THROWS_WITH(bad->get_token("x/.default"), Contains("signature"));
}

TEST_CASE("ARM validation: wrong or missing api-version, names, required properties, no token") {
    fixture f;
    f.provision();
    auto c = f.client();
    const auto path = arm::registry_id("sub-1", "rg-ml", "dev-reg").str();
    auto res = c.send("GET", f.emu.base_url() + path + "?api-version=2020-01-01");
    CHECK(res.status == 400);
    CHECK_THAT(arm::make_arm_error(res, "GET", path).what(),
               Contains("InvalidApiVersionParameter") && Contains("The api-version '2020-01-01' is invalid"));
    res = c.send("GET", f.emu.base_url() + path);
    CHECK(res.status == 400);
    CHECK(arm::make_arm_error(res, "GET", path).code() == "MissingApiVersionParameter");

    CHECK_THROWS_WITH(c.put(arm::registry_id("sub-1", "rg-ml", "x"), json::object{{"location", "westeurope"}}),
                      Contains("HTTP 400") && Contains("must match"));
    CHECK_THROWS_WITH(c.put(arm::workspace_id("sub-1", "rg-ml", "ws-1"), json::object{}), Contains("LocationRequired"));
    try {
        c.put(arm::workspace_id("sub-1", "rg-missing", "ws-1"), json::object{{"location", "westeurope"}});
        FAIL("expected an error");
    } catch (const arm::arm_error& e) {
        CHECK(e.kind() == error_kind::not_found);
        CHECK(e.code() == "ResourceGroupNotFound");
    }
    CHECK_THROWS_WITH(c.put(arm::model_version_id(arm::workspace_id("sub-1", "rg-ml", "nope"), "m", "1"), json::object{}),
                      Contains("HTTP 404"));
    c.put(arm::workspace_id("sub-1", "rg-ml", "ws-1"), json::object{{"location", "westeurope"}});
    CHECK_THROWS_WITH(c.put(arm::model_version_id(arm::workspace_id("sub-1", "rg-ml", "ws-1"), "m", "1"), json::object{{"properties", json::object{}}}),
                      Contains("properties.modelUri is required"));
    // Workspace model versions are synchronous and immutable.
    const auto v1 = arm::model_version_id(arm::workspace_id("sub-1", "rg-ml", "ws-1"), "m", "1");
    const json::object body{{"properties", json::object{{"modelUri", "azureml://x"}, {"modelType", "mlflow_model"}}}};
    CHECK(c.put(v1, body).at("properties").at("provisioningState") == "Succeeded");
    CHECK_THROWS_WITH(c.put(v1, json::object{{"properties", json::object{{"modelUri", "azureml://y"}}}}), Contains("HTTP 409"));

    http::request anonymous;
    anonymous.url = f.emu.base_url() + path + "?api-version=2025-09-01";
    CHECK(http::make_transport()->send(anonymous).status == 401);
}

TEST_CASE("register and promote through the azureml backend with every third request faulted") {
    fixture f;
    f.provision();
    emulator::fault_options faults;
    faults.every_nth = 3;
    faults.statuses = {429, 503};
    f.emu.set_faults(faults);

    test::scratch_dir dir("emulator-register");
    auto dev = f.open("dev", "dev-reg");
    auto prod = f.open("prod", "prod-reg");
    registry::new_version nv;
    nv.name = "taxi-fare";
    nv.artifacts_dir = make_model(dir / "m1", 1);
    nv.tags = {{"decision", "approve"}};
    nv.properties = json::object{{"rmse", 3.25}};
    nv.created_by = "tester";
    const auto first = dev->create_version(nv);
    CHECK(first.version.version == 1);
    nv.artifacts_dir = make_model(dir / "m2", 2);
    const auto second = dev->create_version(nv);
    CHECK(second.version.version == 2);

    const auto listed = dev->list({"taxi-fare", {}, false, 0});
    REQUIRE(listed.size() == 2);  // no duplicate version from retried requests
    CHECK(listed[0].version == 2);
    CHECK(listed[0].tags.at("decision") == "approve");
    CHECK(listed[0].properties.at("rmse").as_double() == 3.25);
    CHECK(listed[0].created_by == "tester");
    CHECK(dev->get(registry::model_uri::parse("azureml://registries/dev/models/taxi-fare/versions/1")).manifest_sha256 ==
          first.version.manifest_sha256);
    CHECK(dev->get(registry::model_uri::parse("azureml://registries/dev/models/taxi-fare/labels/latest")).version == 2);
    CHECK_FALSE(dev->find(registry::model_uri::parse("azureml://registries/dev/models/taxi-fare/versions/7")).has_value());

    // Every uploaded byte is in blob storage: read each blob back and compare.
    std::size_t model_blobs = 0;
    const auto expected = payload(200'000, 2);
    for (const auto& n : f.emu.blob_names())
        if (n.size() > 11 && n.substr(n.size() - 11) == "/model.json" && f.emu.blob(n) == expected) ++model_blobs;
    CHECK(model_blobs == 1);
    CHECK(dev->verify(second.version).empty());
    dev->download(second.version, dir / "dl");
    CHECK(test::read_text(dir / "dl" / "model.json") == expected);
    CHECK(test::read_text(dir / "dl" / "sub dir" / "notes.txt") == "seed 2");

    // Promotion: the default client-side verified copy, with lineage through tags.
    registry::new_version meta = nv;
    meta.artifacts_dir = dir / "stage";
    meta.promoted_from = registry::promotion_source{second.version.uri().to_string(), second.version.manifest_sha256};
    const auto promoted = prod->copy_version(*dev, second.version, meta);
    CHECK(promoted.version.version == 1);
    CHECK(promoted.version.manifest_sha256 == second.version.manifest_sha256);
    const auto from = prod->promoted_from(second.version.uri().to_string());
    REQUIRE(from.size() == 1);
    CHECK(from[0].version == 1);
    CHECK(prod->list({}).size() == 1);

    // Aliases live on the model container and resolve like the local backend's.
    CHECK_FALSE(prod->set_alias("taxi-fare", "champion", 1, "tester").has_value());
    const auto champion = prod->get(registry::model_uri::parse("azureml://registries/prod/models/taxi-fare@champion"));
    CHECK(champion.version == 1);
    CHECK(champion.aliases == std::vector<std::string>{"champion"});
    CHECK_THROWS_AS(prod->set_alias("taxi-fare", "champion", 9, "tester"), amlops::error);
    CHECK(prod->unset_alias("taxi-fare", "champion", "tester") == 1);
    CHECK_FALSE(prod->find(registry::model_uri::parse("azureml://registries/prod/models/taxi-fare@champion")).has_value());
    CHECK(prod->prune("taxi-fare", 1, true, "tester").removed.empty());  // one version: nothing to prune

    const auto st = f.emu.snapshot();
    CHECK(st.faults > 5);
    // Logs show the traffic but never the client secret, tokens or SAS signatures.
    CHECK_THAT(f.logs, Contains("startPendingUpload"));
    CHECK_THAT(f.logs, !Contains(secret) && !Contains("emu-token-") && !Contains("emusig"));
}

TEST_CASE("dropped connections and slow answers are retried to success") {
    fixture f;
    f.provision();
    // Faults set through the control endpoint, as a separate emulator process would be driven.
    http::request control;
    control.method = "POST";
    control.url = f.emu.base_url() + "/_emulator/faults";
    control.body = R"({"every_nth": 4, "drop_connection": true, "delay_ms": 5})";
    REQUIRE(http::make_transport()->send(control).status == 200);
    test::scratch_dir dir("emulator-drop");
    auto dev = f.open("dev", "dev-reg");
    registry::new_version nv;
    nv.name = "m";
    nv.artifacts_dir = make_model(dir / "m", 9);
    CHECK(dev->create_version(nv).version.version == 1);
    CHECK(dev->list({}).size() == 1);
    CHECK(f.emu.snapshot().faults > 2);
}

TEST_CASE("a Content-MD5 mismatch is refused by blob storage") {
    fixture f;
    f.provision();
    auto c = f.client();
    const auto ref = c.post(arm::model_version_id(arm::registry_id("sub-1", "rg-ml", "dev-reg"), "m", "1"), "startPendingUpload",
                            json::object{{"pendingUploadType", "TemporaryBlobReference"}});
    const std::string sas(ref.at("blobReferenceForConsumption").at("credential").at("sasUri").as_string());
    http::request req;
    req.method = "PUT";
    req.url = azureml::blob_url(sas, "a.bin");
    req.headers = {{"x-ms-blob-type", "BlockBlob"}, {"Content-MD5", azureml::content_md5("other")}};
    req.body = "data";
    const auto res = http::make_transport()->send(req);
    CHECK(res.status == 400);
    CHECK(res.headers.get("x-ms-error-code") == "Md5Mismatch");
    CHECK_THROWS_WITH(c.post(arm::model_version_id(arm::registry_id("sub-1", "rg-ml", "dev-reg"), "m", "1"), "startPendingUpload",
                             json::object{{"pendingUploadType", "Other"}}),
                      Contains("pendingUploadType"));
    CHECK_THROWS_WITH(c.post(arm::model_version_id(arm::registry_id("sub-1", "rg-ml", "dev-reg"), "bad.name", "1"), "startPendingUpload",
                             json::object{}),
                      Contains("HTTP 400") && Contains("Invalid model name 'bad.name'"));
}
