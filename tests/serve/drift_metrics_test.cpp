// The scoring server's drift metrics (service_options::drift): PSI and KS per feature on /metrics
// over the rows since a deployment was loaded, "no profile" for older model folders, nothing
// at all with drift off.
#include "amlops/core/atomic_file.hpp"
#include "amlops/core/json.hpp"
#include "amlops/serve/model_source.hpp"
#include "amlops/serve/service.hpp"
#include "amlops/server/http_server.hpp"
#include "http_client.hpp"
#include "serve_fixture.hpp"

#include <regex>

using namespace amlops;
using namespace amlops::serve;
namespace fs = std::filesystem;

namespace {

struct endpoint {
    scoring_service service;
    server::http_server srv;

    explicit endpoint(bool drift)
        : service(options(drift), [](const std::string& source) { return load_model_folder(source, source); }),
          srv(server::server_config{}, service.handler()) {
        srv.start();
    }
    static service_options options(bool drift) {
        service_options o;
        o.drift = drift;
        return o;
    }
    std::string metrics() { return server::fetch("127.0.0.1", srv.port(), {"GET", "/metrics", ""}).body; }
    void score(const std::string& rows) {
        auto r = server::fetch("127.0.0.1", srv.port(), {"POST", "/score", R"({"data": )" + rows + "}"});
        REQUIRE(r.status == 200);
    }
};

// Synthetic rows (model column order) with every distance multiplied by `scale`.
std::string rows(std::size_t n, std::uint64_t seed, double scale) {
    auto t = test::synthetic_table(n, seed);
    std::string s = "[";
    for (std::size_t r = 0; r < t.rows; ++r) {
        s += r ? ",[" : "[";
        for (std::size_t c = 0; c < t.columns.size(); ++c) {
            double v = t.features[r * t.columns.size() + c];
            if (t.columns[c] == "distance") v *= scale;
            if (c) s += ',';
            s += std::to_string(v);
        }
        s += "]";
    }
    return s + "]";
}

// The value of one metric line, or NaN when absent.
double metric(const std::string& text, const std::string& name_and_labels) {
    const auto at = text.find(name_and_labels + " ");
    if (at == std::string::npos) return std::nan("");
    return std::stod(text.substr(at + name_and_labels.size() + 1));
}

}  // namespace

TEST_CASE("/metrics reports PSI and KS per feature since the deployment was loaded") {
    const auto& m = test::trained_models::get();
    endpoint ep(true);
    ep.service.deploy("blue", m.blue.string());
    ep.service.set_traffic({{"blue", 100}}, std::nullopt);
    auto text = ep.metrics();
    CHECK(metric(text, R"(amlops_drift_profile{deployment="blue"})") == 1);
    CHECK(metric(text, R"(amlops_drift_rows_total{deployment="blue"})") == 0);
    CHECK_THAT(text, Catch::Contains(R"(amlops_drift_psi{deployment="blue",feature="distance"} NaN)"));

    // Rows like the training rows, one request at a time and in a block.
    for (int i = 0; i < 20; ++i) ep.score(rows(1, 100 + static_cast<std::uint64_t>(i), 1.0));
    ep.score(rows(580, 5, 1.0));
    text = ep.metrics();
    CHECK(metric(text, R"(amlops_drift_rows_total{deployment="blue"})") == 600);
    const double calm = metric(text, R"(amlops_drift_psi{deployment="blue",feature="distance"})");
    CHECK(calm < 0.1);
    CHECK(metric(text, R"(amlops_drift_ks{deployment="blue",feature="distance"})") < 0.1);
    CHECK(std::regex_search(text, std::regex(R"(amlops_drift_psi\{deployment="blue",feature="pickup_hour"\} [0-9.e-]+)")));

    // Tripled distances move PSI and KS of distance only.
    ep.score(rows(600, 6, 3.0));
    text = ep.metrics();
    CHECK(metric(text, R"(amlops_drift_psi{deployment="blue",feature="distance"})") > 0.25);
    CHECK(metric(text, R"(amlops_drift_ks{deployment="blue",feature="distance"})") > 0.2);
    CHECK(metric(text, R"(amlops_drift_psi{deployment="blue",feature="vendor"})") < 0.1);

    // A new model starts counting afresh.
    ep.service.deploy("blue", m.blue.string());
    CHECK(metric(ep.metrics(), R"(amlops_drift_rows_total{deployment="blue"})") == 0);
}

TEST_CASE("/metrics says 'no profile' for an older model folder, and nothing with drift off") {
    const auto& m = test::trained_models::get();
    test::scratch_dir d("serve-drift-old");
    fs::copy(m.green, d / "old");
    fs::remove(d / "old/profile.json");
    auto manifest = json::read_file(d / "old/manifest.json").as_object();
    manifest["files"].as_object().erase("profile.json");
    json::write_file(d / "old/manifest.json", manifest);

    endpoint ep(true);
    ep.service.deploy("old", (d / "old").string());
    ep.service.set_traffic({{"old", 100}}, std::nullopt);
    ep.score(rows(10, 1, 1.0));
    const auto text = ep.metrics();
    CHECK(metric(text, R"(amlops_drift_profile{deployment="old"})") == 0);
    CHECK_THAT(text, !Catch::Contains("amlops_drift_psi{"));

    endpoint off(false);
    off.service.deploy("blue", m.blue.string());
    off.service.set_traffic({{"blue", 100}}, std::nullopt);
    off.score(rows(10, 1, 1.0));
    CHECK_THAT(off.metrics(), !Catch::Contains("amlops_drift"));
}
