// The ARM requests of aml-dnscheck's Azure discovery, validated against the published specs with a
// Prism mock (driven by prism_dns.sh):
//   record OUT.jsonl         runs discover_azure against the fake ARM (azure_platform.hpp) and
//                            writes every request as {spec, method, target}
//   replay FILE SPEC BASE    sends the requests of spec SPEC (privateEndpoint | privatedns |
//                            virtualNetwork) to a Prism mock at BASE; exit 1 if Prism refuses one,
//                            or if a control request the spec forbids (no api-version) passes.
#include "azure_platform.hpp"

#include "amlops/dnscheck/azure_discovery.hpp"
#include "amlops/http/pipeline.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <iostream>

using namespace amlops;
namespace ap = amlops::test::azure_platform;

namespace {

struct fixed_token : http::token_credential {
    http::access_token get_token(const std::string&) override {
        return {"fake-arm-token", std::chrono::system_clock::now() + std::chrono::hours(1)};
    }
    std::string name() const override { return "fixed"; }
};

// The spec file that describes a request path.
std::string spec_of(const std::string& target) {
    if (target.find("/privateDnsZones/") != std::string::npos) return "privatedns";
    if (target.find("/virtualNetworks/") != std::string::npos) return "virtualNetwork";
    return "privateEndpoint";
}

int record(const std::string& out_file) {
    test::fake_arm fake;
    ap::populate(fake);
    http::pipeline_options p;
    p.credential = std::make_shared<fixed_token>();
    p.scope = "https://management.azure.com/.default";
    arm::client_options o;
    o.endpoint = fake.endpoint();
    arm::client client(http::make_pipeline(p, http::make_transport()), o);
    dnscheck::discover_azure(client, {ap::subscription, {ap::endpoint_rg_name}});
    std::ofstream out(out_file);
    for (const auto& r : fake.requests()) {
        const auto space = r.find(' ');
        const std::string target = r.substr(space + 1);
        out << boost::json::serialize(json::object{{"spec", spec_of(target)}, {"method", r.substr(0, space)}, {"target", target}}) << "\n";
    }
    return 0;
}

int replay(const std::string& file, const std::string& spec, const std::string& base) {
    auto transport = http::make_transport();
    auto get = [&](const std::string& target) {
        http::request req;
        req.url = base + target;
        req.headers.set("Authorization", "Bearer prism-check");
        req.headers.set("Accept", "application/json");
        return transport->send(req);
    };
    std::ifstream in(file);
    std::string line, any_target;
    int sent = 0, refused = 0;
    while (std::getline(in, line)) {
        const auto r = json::parse(line, file).as_object();
        if (r.at("spec").as_string() != spec) continue;
        const std::string target(r.at("target").as_string());
        any_target = target;
        const auto res = get(target);
        ++sent;
        // Prism validates the request before it builds a response; the Subnet / NetworkInterface
        // schemas are mutually recursive, so for privateEndpoints and virtualNetworks it cannot
        // generate the body (500 SCHEMA_TOO_COMPLEX) after having accepted the request. An invalid
        // request gets 422 (see the control below).
        const bool accepted_too_complex = res.status == 500 && res.body.find("SCHEMA_TOO_COMPLEX") != std::string::npos;
        const bool ok = res.status < 400 || accepted_too_complex;
        if (!ok) ++refused;
        std::cout << (ok ? "ok      " : "REFUSED ") << res.status << (accepted_too_complex ? " (request valid, no response body)" : "")
                  << " GET " << target << "\n";
        if (!ok) std::cout << "  prism: " << res.body << "\n";
    }
    if (sent == 0) {
        std::cout << "no recorded request for spec " << spec << "\n";
        return 1;
    }
    // Control: without the required api-version Prism must refuse, or the "ok"s above mean nothing.
    const auto control = get(any_target.substr(0, any_target.find('?')));
    const bool control_refused = control.status == 422 || control.status == 400;
    std::cout << (control_refused ? "ok      control request without api-version refused with "
                                  : "FAILED  control request without api-version was accepted: ")
              << control.status << "\n";
    std::cout << spec << ": " << sent << " requests, " << refused << " refused\n";
    return refused == 0 && control_refused ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::vector<std::string> args(argv + 1, argv + argc);
        if (args.size() == 2 && args[0] == "record") return record(args[1]);
        if (args.size() == 4 && args[0] == "replay") return replay(args[1], args[2], args[3]);
        std::cerr << "usage: amlops-prism-dns record OUT.jsonl | replay FILE SPEC BASE_URL\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "amlops-prism-dns: " << e.what() << "\n";
        return 1;
    }
}
