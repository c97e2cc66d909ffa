// amlops-prism-requests: the requests amlops really sends to ARM / Azure ML, checked against the
// published REST specs with a Prism mock (driven by prism.sh).
//   record OUT.jsonl   runs aml-register and aml-promote (Azure ML registries, whose reads go
//                      through registry data references, and a workspace, whose key-based
//                      workspaceblobstore is reached through datastore listSecrets) against the
//                      emulator through a recording loopback proxy, plus the control-plane PUTs
//                      the tests use (resource group, registries, workspace, online endpoint and
//                      deployment), and writes every ARM request as one JSON line
//                      {spec, method, target, body}.
//   replay FILE SPEC BASE_URL
//                      sends the recorded requests of spec SPEC (registries | mfe | workspaceRP |
//                      resources) to the Prism mock at BASE_URL and prints each answer; exits 1
//                      when Prism refused any (422 validation errors, 404 no matching path, ...).
#include "emulator.hpp"
#include "emulator_clients.hpp"

#include "amlops/arm/client.hpp"
#include "amlops/arm/resource_id.hpp"
#include "amlops/auth/credentials.hpp"
#include "amlops/http/pipeline.hpp"
#include "loopback_server.hpp"
#include "test_support.hpp"

#include <array>
#include <fstream>
#include <iostream>
#include <mutex>
#include <regex>

using namespace amlops;
namespace fs = std::filesystem;

namespace {

const std::string secret = "prism-Secret-Value-654";

/// Which published spec describes an ARM path (lower-cased), or "" for none (token endpoint,
/// blob storage, operation status polls).
std::string spec_of(std::string path) {
    std::transform(path.begin(), path.end(), path.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static const std::regex rg("^/subscriptions/[^/]+/resourcegroups/[^/]+$");
    static const std::regex top("^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\\.machinelearningservices/(registries|workspaces)/[^/]+$");
    static const std::regex child("^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\\.machinelearningservices/"
                                  "(registries|workspaces)/[^/]+/(models|onlineendpoints|datareferences|codes|components|environments|data|datastores|jobs)(/.*)?$");
    static const std::regex computes("^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\\.machinelearningservices/"
                                     "workspaces/[^/]+/computes(/.*)?$");
    std::smatch m;
    if (std::regex_match(path, rg)) return "resources";
    if (std::regex_match(path, m, top)) return m[1] == "registries" ? "registries" : "workspaceRP";
    if (std::regex_match(path, child)) return "mfe";
    if (std::regex_match(path, computes)) return "computes";
    // The platform aml-provision manages: the spec file of each resource type.
    static const std::pair<const char*, const char*> platform_specs[] = {
        {"/providers/microsoft.authorization/roleassignments/", "authorization"},
        {"/providers/microsoft.machinelearningservices/workspaces/[^/]+/outboundrules/", "workspaceRP"},
        {"/providers/microsoft.machinelearningservices/workspaces/[^/]+/computes/", "computes"},
        {"/providers/microsoft.network/privatednszones/", "privatedns"},
        {"/providers/microsoft.network/virtualnetworks/", "virtualNetwork"},
        {"/providers/microsoft.network/networksecuritygroups/", "networkSecurityGroup"},
        {"/providers/microsoft.network/privateendpoints/", "privateEndpoint"},
        {"/providers/microsoft.network/publicipaddresses/", "publicIpAddress"},
        {"/providers/microsoft.network/bastionhosts/", "bastionHost"},
        {"/providers/microsoft.storage/storageaccounts/", "storage"},
        {"/providers/microsoft.keyvault/vaults/", "keyvault"},
        {"/providers/microsoft.containerregistry/registries/", "containerregistry"},
        {"/providers/microsoft.operationalinsights/workspaces/", "operationalinsights"},
        {"/providers/microsoft.insights/components/", "appinsights"},
        {"/providers/microsoft.managedidentity/userassignedidentities/", "msi"},
    };
    for (const auto& [pattern, spec] : platform_specs)
        if (std::regex_search(path, std::regex(pattern))) return spec;
    return "";
}

/// A proxy in front of `emu` that records every ARM request with a spec into `recorded`.
std::unique_ptr<test::loopback_server> recording_proxy(const emulator::emulator& emu, std::shared_ptr<http::transport> upstream,
                                                       std::mutex& mutex, json::array& recorded) {
    return std::make_unique<test::loopback_server>([&emu, upstream, &mutex, &recorded](const http::request& req) {
        http::request f = req;
        f.url = emu.base_url() + req.url;
        for (const char* h : {"Host", "Content-Length", "Connection"}) f.headers.erase(h);
        const auto path = req.url.substr(0, req.url.find('?'));
        if (auto spec = spec_of(path); !spec.empty()) {
            std::lock_guard lock(mutex);
            recorded.push_back(json::object{{"spec", spec}, {"method", req.method}, {"target", req.url}, {"body", req.body}});
        }
        auto res = upstream->send(f);
        for (const char* h : {"Content-Length", "Connection", "Transfer-Encoding"}) res.headers.erase(h);
        return res;
    });
}

int write_recording(const fs::path& out_file, std::mutex& mutex, const json::array& recorded) {
    std::ofstream out(out_file);
    std::lock_guard lock(mutex);
    for (const auto& r : recorded) out << boost::json::serialize(r) << "\n";
    std::cout << "recorded " << recorded.size() << " ARM requests into " << out_file.string() << "\n";
    return out ? 0 : 1;
}

/// Every request aml-provision sends for plan, apply, verify and destroy of the example platform
/// (infra/platform.yaml with Bastion on, so its resources are covered too).
int record_provision(const fs::path& out_file, const fs::path& platform_file) {
    emulator::options eo;
    eo.client_secret = secret;
    eo.provision.enabled = true;
    emulator::emulator emu(eo);
    std::mutex mutex;
    json::array recorded;
    auto proxy = recording_proxy(emu, http::make_transport(), mutex, recorded);
    test::scratch_dir dir("prism-provision");
    std::string text = test::read_text(platform_file);
    text = std::regex_replace(text, std::regex("bastion: false"), "bastion: true");
    test::write_text(dir / "platform.yaml", text);
    const std::vector<std::string> env{"AZURE_TENANT_ID=emulator-tenant", "AZURE_CLIENT_ID=emulator-client", "AZURE_CLIENT_SECRET=" + secret,
                                       "AZURE_AUTHORITY_HOST=" + emu.base_url() + "/", "AZURE_RESOURCE_MANAGER_ENDPOINT=" + proxy->base_url() + "/"};
    const std::string platform = (dir / "platform.yaml").string();
    for (const std::vector<std::string>& args : {std::vector<std::string>{"plan"}, {"apply"}, {"verify"}, {"destroy", "--yes", "--include-shared"}}) {
        auto all = args;
        all.insert(all.end(), {"--platform", platform, "--quiet"});
        const auto r = test::run_tool("aml-provision", all, env);
        if (r.exit_code != 0) throw std::runtime_error("aml-provision " + args[0] + " failed: " + r.out + r.err);
    }
    return write_recording(out_file, mutex, recorded);
}

int record(const fs::path& out_file) {
    emulator::options eo;
    eo.client_secret = secret;
    emulator::emulator emu(eo);
    std::mutex mutex;
    json::array recorded;
    // Every request of the tools goes through this proxy, so what is recorded is what they send.
    auto proxy = recording_proxy(emu, http::make_transport(), mutex, recorded);
    auto c = test::emulator_arm_client(emu, test::emulator_credential(emu, secret), proxy->base_url());
    const json::object loc{{"location", "westeurope"}};
    c.put(arm::resource_group_id("sub-1", "rg-ml"), loc);
    // RegistryTrackedResource requires `properties`; an empty object is a valid Registry.
    const json::object registry_body{{"location", "westeurope"}, {"properties", json::object{}}};
    c.put(arm::registry_id("sub-1", "rg-ml", "dev-reg"), registry_body);
    c.put(arm::registry_id("sub-1", "rg-ml", "prod-reg"), registry_body);
    const auto ws = arm::workspace_id("sub-1", "rg-ml", "ws-ml");
    c.put(ws, loc);

    test::scratch_dir dir("prism-record");
    const auto home = dir / "home";
    const std::string common = "subscription: sub-1, resource_group: rg-ml, arm_endpoint: '" + proxy->base_url() +
                               "', authority_host: '" + emu.base_url() + "'";
    test::write_text(home / "config.yaml", "registries:\n  dev: {backend: azureml, registry: dev-reg, " + common +
                                               "}\n  prod: {backend: azureml, registry: prod-reg, " + common +
                                               "}\n  ws: {backend: azureml, workspace: ws-ml, blob_endpoint: '" + emu.workspace_blob_endpoint() +
                                               "', " + common + "}\n");
    const std::vector<std::string> env{"AMLOPS_HOME=" + home.string(), "AZURE_TENANT_ID=emulator-tenant",
                                       "AZURE_CLIENT_ID=emulator-client", "AZURE_CLIENT_SECRET=" + secret};
    test::write_text(dir / "model" / "MLmodel", "artifact_path: model\n");
    test::write_text(dir / "model" / "model.json", "{\"learner\": {}}");
    test::write_text(dir / "gate" / "decision.json", "{\"decision\": \"approve\", \"reasons\": [\"ok\"], \"metrics\": {\"candidate\": {\"rmse\": 3.0}}}");
    auto run = [&](const std::string& tool, const std::vector<std::string>& args) {
        const auto r = test::run_tool(tool, args, env);
        if (r.exit_code != 0) throw std::runtime_error(tool + " failed: " + r.out + r.err);
    };
    const std::string model = (dir / "model").string(), gate = (dir / "gate").string();
    run("aml-register", {"--model", model, "--decision", gate, "--registry", "dev", "--name", "taxi-fare", "--set-alias", "champion"});
    run("aml-promote", {"--from", "dev", "--to", "prod", "--model", "taxi-fare", "--alias", "champion", "--set-alias", "champion"});
    // A workspace registration (datastore GET + listSecrets), and its promotion to a registry.
    run("aml-register", {"--model", model, "--decision", gate, "--registry", "ws", "--name", "taxi-fare-ws"});
    run("aml-promote", {"--from", "ws", "--to", "prod", "--model", "taxi-fare-ws", "--version", "1"});

    // Online endpoint + deployment, with the properties the spec requires.
    const auto ep = ws.child("onlineEndpoints", "taxi-fare");
    c.put(ep, json::object{{"location", "westeurope"}, {"properties", json::object{{"authMode", "Key"}}}});
    c.put(ep.child("deployments", "blue"),
          json::object{{"location", "westeurope"}, {"sku", json::object{{"name", "Default"}, {"capacity", 1}}},
                       {"properties", json::object{{"endpointComputeType", "Managed"}, {"instanceType", "Standard_DS3_v2"},
                                                   {"model", "azureml://registries/prod-reg/models/taxi-fare/versions/1"}}}});

    // aml-pipeline submit (code version, data upload, anonymous components, pipeline job) and
    // aml-deploy to an azureml:// endpoint (endpoint and deployment PUTs, listKeys, traffic PUTs,
    // rollback; the emulator has no scoring server here, so the smoke test fails and rolls back).
    c.put(ws.child("computes", "cpu-cluster"), json::object{{"location", "westeurope"}, {"properties", json::object{{"computeType", "AmlCompute"}}}});
    c.put(ws.child("environments", "amlops-cpp").child("versions", "1"),
          json::object{{"properties", json::object{{"image", "amlops.azurecr.io/amlops-cpp:1"}}}});
    test::write_text(dir / "pipe/src/run.sh", "cat ${1}/data.txt > ${2}/copy.txt\n");
    test::write_text(dir / "pipe/data/data.txt", "prism\n");
    test::write_text(dir / "pipe/p.yaml", R"(type: pipeline
display_name: prism
settings: {default_compute: azureml:cpu-cluster}
inputs:
  raw: {type: uri_folder, path: ./data}
jobs:
  copy:
    component:
      name: copy_step
      environment: azureml:amlops-cpp:1
      code: ./src
      inputs: {raw: {type: uri_folder}}
      outputs: {out: {type: uri_folder}}
      command: bash run.sh ${{inputs.raw}} ${{outputs.out}}
    inputs:
      raw: ${{parent.inputs.raw}}
)");
    auto azure_env = env;
    azure_env.push_back("AZURE_RESOURCE_MANAGER_ENDPOINT=" + proxy->base_url() + "/");
    azure_env.push_back("AZURE_AUTHORITY_HOST=" + emu.base_url() + "/");
    const auto submit = test::run_tool("aml-pipeline", {"submit", (dir / "pipe/p.yaml").string(), "--aml-workspace",
                                                        "azureml://subscriptions/sub-1/resourceGroups/rg-ml/workspaces/ws-ml",
                                                        "--blob-endpoint", emu.workspace_blob_endpoint()}, azure_env);
    if (submit.exit_code != 0) throw std::runtime_error("aml-pipeline submit failed: " + submit.out + submit.err);
    test::write_text(dir / "smoke.csv", "trip_distance,cost\n1.5,7\n");
    const auto deployed = test::run_tool("aml-deploy", {"--endpoint", "azureml://subscriptions/sub-1/resourceGroups/rg-ml/workspaces/ws-ml/onlineEndpoints/taxi-ep",
                                                        "--model", "azureml://registries/dev/models/taxi-fare/versions/1", "--smoke-data",
                                                        (dir / "smoke.csv").string(), "--environment", "azureml:amlops-cpp:1"}, azure_env);
    if (deployed.exit_code != 3) throw std::runtime_error("aml-deploy was expected to roll back (exit 3): " + deployed.out + deployed.err);
    // amlops registry `dev` is Azure ML registry `dev-reg` (config.yaml): the deployment names the latter.
    const auto blue = c.get(ws.child("onlineEndpoints", "taxi-ep").child("deployments", "blue"));
    if (blue.at("properties").at("model") != "azureml://registries/dev-reg/models/taxi-fare/versions/1")
        throw std::runtime_error("the deployment's model is not the Azure ML registry URI: " + boost::json::serialize(blue));

    return write_recording(out_file, mutex, recorded);
}

int replay(const fs::path& file, const std::string& spec, const std::string& base) {
    auto transport = http::make_transport();
    std::ifstream in(file);
    std::string line;
    int sent = 0, refused = 0;
    while (std::getline(in, line)) {
        const auto r = json::parse(line, file.string()).as_object();
        if (r.at("spec").as_string() != spec) continue;
        http::request req;
        req.method = std::string(r.at("method").as_string());
        std::string target(r.at("target").as_string());
        // ARM paths are case-insensitive; resources.json spells the segment "resourcegroups" and
        // Prism matches paths case-sensitively.
        if (spec == "resources" || spec == "operationalinsights")
            target = std::regex_replace(target, std::regex("/resourceGroups/"), "/resourcegroups/");
        // Role assignments live at `{scope}` (x-ms-skip-url-encoding): Prism matches it only when
        // the scope is sent URL-encoded.
        if (spec == "authorization") {
            const auto at = target.find("/providers/Microsoft.Authorization/");
            std::string scope = target.substr(1, at - 1);
            target = "/" + std::regex_replace(scope, std::regex("/"), "%2F") + target.substr(at);
        }
        req.url = base + target;
        req.body = std::string(r.at("body").as_string());
        // Prism validates a discriminated body against its base type only (JobBase has
        // additionalProperties false), so PipelineJob's own fields would be refused as unknown:
        // they are sent without them here and asserted against the documented shapes in
        // tests/emulator/test_pipeline_submit.cpp instead.
        if (req.method == "PUT" && std::regex_search(target, std::regex("/jobs/[^/?]+\\?"))) {
            auto doc = json::parse(req.body, "job body").as_object();
            for (const char* k : {"inputs", "outputs", "jobs", "settings"}) doc["properties"].as_object().erase(k);
            req.body = boost::json::serialize(doc);
        }
        req.headers.set("Authorization", "Bearer prism-check");  // specs with `security` demand one
        req.headers.set("Accept", "application/json");
        if (!req.body.empty()) req.headers.set("Content-Type", "application/json");
        auto res = transport->send(req);
        ++sent;
        // Known conflict: registries.json marks managedResourceGroupSettings.assignedIdentities[].
        // principalId readOnly, yet pre-authorising the deployment principal on the registry's
        // managed group is done by sending it (the original platform does). Such a request must be
        // refused for exactly that: the same body without it has to pass.
        if (spec == "registries" && res.status == 422 && req.body.find("\"assignedIdentities\"") != std::string::npos) {
            auto body = json::parse(req.body, "registry body");
            body.as_object()["properties"].as_object().erase("managedResourceGroupSettings");
            http::request stripped = req;
            stripped.body = boost::json::serialize(body);
            res = transport->send(stripped);
            std::cout << "note    registries.json marks assignedIdentities[].principalId readOnly; the rest of the body: " << res.status << "\n";
        }
        // The Network specs' Subnet/NIC/PublicIP schemas are mutually recursive: Prism validates
        // the request, then cannot generate an answer (500 SCHEMA_TOO_COMPLEX). Validation passed.
        const bool ok = res.status < 400 || (res.status == 500 && res.body.find("SCHEMA_TOO_COMPLEX") != std::string::npos);
        if (!ok) ++refused;
        std::cout << (ok ? "ok      " : "REFUSED ") << res.status << " " << req.method << " " << std::string(r.at("target").as_string()) << "\n";
        if (!ok) std::cout << "  request: " << req.body << "\n  prism:   " << res.body << "\n";
    }
    if (spec == "mfe") {
        // Controls: requests the spec forbids must be refused, or Prism is not validating and
        // every "ok" above would mean nothing — one per kind of check the new operations rely
        // on (required property, additionalProperties: false of the data-reference body, the
        // listViewType enum).
        const std::string registry = "/subscriptions/sub-1/resourceGroups/rg-ml/providers/Microsoft.MachineLearningServices/registries/dev-reg";
        const std::vector<std::array<std::string, 3>> controls{
            {"PUT", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws-ml/onlineEndpoints/control",
             R"({"location":"westeurope","properties":{"description":"no authMode"}})"},
            {"POST", registry + "/datareferences/taxi-fare/versions/1", R"({"assetId":"a","blobUri":"https://x.example/c","extra":1})"},
            {"GET", registry + "/models/taxi-fare/versions", ""}};
        for (const auto& [method, path, body] : controls) {
            http::request bad;
            bad.method = method;
            bad.url = base + path + "?api-version=2025-09-01" + (method == "GET" ? "&listViewType=Everything" : "");
            bad.headers.set("Authorization", "Bearer prism-check");
            if (!body.empty()) bad.headers.set("Content-Type", "application/json");
            bad.body = body;
            const auto res = transport->send(bad);
            const bool ok = res.status == 422;
            std::cout << (ok ? "ok      control " : "FAILED  control ") << method << " " << path << (ok ? " refused with 422\n" : " was not refused: ")
                      << (ok ? "" : std::to_string(res.status) + " " + res.body + "\n");
            if (!ok) ++refused;
        }
    }
    std::cout << spec << ": " << sent << " requests, " << refused << " refused\n";
    if (sent == 0) {
        std::cout << "no recorded request for spec " << spec << "\n";
        return 1;
    }
    return refused == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::vector<std::string> args(argv + 1, argv + argc);
        if (args.size() == 2 && args[0] == "record") return record(args[1]);
        if (args.size() == 3 && args[0] == "record-provision") return record_provision(args[1], args[2]);
        if (args.size() == 4 && args[0] == "replay") return replay(args[1], args[2], args[3]);
        std::cerr << "usage: amlops-prism-requests record OUT.jsonl | record-provision OUT.jsonl PLATFORM.yaml | replay FILE SPEC BASE_URL\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "amlops-prism-requests: " << e.what() << "\n";
        return 1;
    }
}
