// amlops-ci-fixture: the Azure and GitHub sides of the CI rehearsal (tests/ci/rehearsal.sh), as
// one loopback process that serves until stdin closes:
//   - the Azure emulator (Entra ID + ARM + Azure ML registries) with an app registration that
//     trusts GitHub's OIDC issuer through federated credentials (one per subject given), and a
//     client secret for the stand-in endpoints' own identity; resource group `rg-ml` with the
//     registries `dev-reg` and `prod-reg` provisioned in subscription `sub-1`;
//   - a fake of GitHub's ID token service: GET <url>&audience=A with `Authorization: bearer
//     <request token>` answers {"value": JWT} signed with the issuer key, claims iss =
//     https://token.actions.githubusercontent.com, aud = A, sub = the subject registered for that
//     request token (as GitHub derives it from the job: environment, pull_request or ref), exp =
//     now + 5 min (GitHub's documented OIDC token form, docs/CI.md).
// Writes KEY=VALUE lines to --env-file: EMULATOR_URL, OIDC_REQUEST_URL, EMULATOR_BLOB_ENDPOINT (the dev
// workspace's datastore account, resource group rg-ws-dev, workspace mlw-dev).
// Usage: amlops-ci-fixture --env-file F --issuer-cert PEM --issuer-key PEM --client-secret S
//        --job REQUEST_TOKEN=SUBJECT... [--trust SUBJECT...]
#include "emulator.hpp"
#include "emulator_clients.hpp"
#include "loopback_server.hpp"

#include "amlops/arm/resource_id.hpp"
#include "amlops/auth/jwt.hpp"
#include "amlops/core/atomic_file.hpp"
#include "amlops/http/message.hpp"

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace amlops;

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

http::response json_response(int status, const json::object& body) {
    http::response r;
    r.status = status;
    r.headers.set("Content-Type", "application/json");
    r.body = boost::json::serialize(body);
    return r;
}

/// GitHub's ID token endpoint for the jobs in `subjects` (request token -> subject).
class github_oidc {
public:
    github_oidc(const std::string& cert, const std::string& key, std::map<std::string, std::string> subjects)
        : cert_(cert, key), subjects_(std::move(subjects)) {}

    http::response handle(const http::request& req) {
        const auto q = req.url.find('?');
        if (req.method != "GET" || req.url.substr(0, q) != "/_apis/pipelines/idtoken")
            return json_response(404, {{"message", "not found"}});
        const auto auth = req.headers.get("Authorization");
        const std::string prefix = "bearer ";
        const auto it = auth && auth->rfind(prefix, 0) == 0 ? subjects_.find(auth->substr(prefix.size())) : subjects_.end();
        if (it == subjects_.end()) return json_response(401, {{"message", "Bad credentials"}});
        std::string audience;
        if (q != std::string::npos)
            for (auto& [k, v] : http::form_decode(std::string_view(req.url).substr(q + 1)))
                if (k == "audience") audience = v;
        if (audience.empty()) return json_response(400, {{"message", "audience required"}});
        const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        const json::object header{{"alg", "RS256"}, {"typ", "JWT"}, {"x5t", cert_.x5t()}, {"kid", cert_.x5t()}};
        const json::object claims{{"iss", "https://token.actions.githubusercontent.com"}, {"sub", it->second},
                                  {"aud", audience}, {"iat", now}, {"nbf", now}, {"exp", now + 300},
                                  {"jti", "rehearsal-" + std::to_string(++issued_)}};
        const std::string input = auth::base64url_encode(boost::json::serialize(header)) + "." + auth::base64url_encode(boost::json::serialize(claims));
        return json_response(200, {{"count", 1}, {"value", input + "." + auth::base64url_encode(cert_.sign_rs256(input))}});
    }

private:
    auth::client_certificate cert_;
    std::map<std::string, std::string> subjects_;
    int issued_ = 0;
};

}  // namespace

int main(int argc, char** argv) try {
    std::string env_file, issuer_cert, issuer_key;
    std::map<std::string, std::string> jobs;
    emulator::options o;
    std::vector<std::string> trusted;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i], value = argv[i + 1];
        if (key == "--env-file") env_file = value;
        else if (key == "--issuer-cert") issuer_cert = value;
        else if (key == "--issuer-key") issuer_key = value;
        else if (key == "--client-secret") o.client_secret = value;
        else if (key == "--trust") trusted.push_back(value);
        else if (key == "--job") {
            const auto eq = value.find('=');
            if (eq == std::string::npos) throw std::runtime_error("--job needs REQUEST_TOKEN=SUBJECT");
            jobs[value.substr(0, eq)] = value.substr(eq + 1);
        } else {
            throw std::runtime_error("unknown argument " + key);
        }
    }
    if (env_file.empty() || issuer_cert.empty() || issuer_key.empty() || o.client_secret.empty())
        throw std::runtime_error("usage: amlops-ci-fixture --env-file F --issuer-cert PEM --issuer-key PEM --client-secret S --job T=SUBJECT... --trust SUBJECT...");
    o.federated_issuer_certificate_pem = read_all(issuer_cert);
    for (const auto& subject : trusted) o.federated_credentials.push_back({.subject = subject});

    emulator::emulator emu(o);
    auto arm = test::emulator_arm_client(emu, test::emulator_credential(emu, o.client_secret));
    test::provision_registries(arm);
    // The dev workspace the integration workflow submits to in AML_PIPELINE_MODE=azureml: its
    // compute cluster and the environment the components name.
    const auto ws = arm::workspace_id("sub-1", "rg-ws-dev", "mlw-dev");
    arm.put(arm::resource_group_id("sub-1", "rg-ws-dev"), json::object{{"location", "westeurope"}});
    arm.put(ws, json::object{{"location", "westeurope"}});
    arm.put(ws.child("computes", "cpu-cluster"), json::object{{"location", "westeurope"}, {"properties", json::object{{"computeType", "AmlCompute"}}}});
    arm.put(ws.child("environments", "amlops-cpp").child("versions", "1"),
            json::object{{"properties", json::object{{"image", "amlops.azurecr.io/amlops-cpp:1"}}}});

    github_oidc issuer(issuer_cert, issuer_key, jobs);
    test::loopback_server oidc([&issuer](const http::request& r) { return issuer.handle(r); });

    // GitHub's request URL carries its own query; clients append &audience=.
    write_file_atomic(env_file, "EMULATOR_URL=" + emu.base_url() + "\nOIDC_REQUEST_URL=" + oidc.base_url() +
                                    "/_apis/pipelines/idtoken?api-version=2.0\nEMULATOR_BLOB_ENDPOINT=" +
                                    emu.workspace_blob_endpoint() + "\n");
    std::string line;
    while (std::getline(std::cin, line)) {}
    return 0;
} catch (const std::exception& e) {
    std::cerr << "amlops-ci-fixture: " << e.what() << "\n";
    return 1;
}
