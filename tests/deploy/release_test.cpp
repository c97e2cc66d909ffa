// The release flow against an in-memory endpoint: promotion, rollback to the exact previous
// traffic, replacing a slot that had traffic, and failures after the endpoint was changed.
#include "amlops/deploy/release.hpp"

#include "amlops/core/error.hpp"
#include "fake_endpoint.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace amlops;
using namespace amlops::deploy;

namespace {

smoke_sample sample() {
    smoke_sample s;
    s.columns = {"distance", "vendor"};
    for (int i = 0; i < 10; ++i) {
        s.rows.push_back({1.0 + i, 1});
        s.target.push_back(10.0 + i);
    }
    return s;
}

/// Models whose name contains "bad" answer 500; others predict the target exactly (+offset).
test::fake_endpoint::scorer scorer(double offset = 0) {
    return [offset](const std::string&, const std::string& model, const std::string&) {
        if (model.find("bad") != std::string::npos) return score_response{500, R"({"error":{"status":500,"message":"boom"}})", "", ""};
        std::string body = "[";
        for (int i = 0; i < 10; ++i) body += (i ? "," : "") + std::to_string(10.0 + i + offset);
        return score_response{200, body + "]", "", ""};
    };
}

logger quiet() { return logger("test", log_level::error); }

release_request request(const std::string& model) {
    release_request r;
    r.model = model;
    r.smoke = sample();
    return r;
}

bool called(const test::fake_endpoint& ep, const std::string& call) {
    return std::find(ep.calls.begin(), ep.calls.end(), call) != ep.calls.end();
}

}  // namespace

TEST_CASE("first release on an empty endpoint goes to blue at 100%") {
    test::fake_endpoint ep;
    ep.score_fn = scorer();
    auto log = quiet();
    const auto o = release(ep, request("m1"), log);
    CHECK(o.slot == "blue");
    CHECK(o.promoted);
    CHECK_FALSE(o.has_prior_deployment());
    CHECK(o.during.traffic == traffic_map{{"blue", 100}});
    CHECK(ep.state.traffic == traffic_map{{"blue", 100}});
    CHECK(called(ep, "score blue"));
}

TEST_CASE("second release goes to green at 0% then 30% after the smoke test") {
    test::fake_endpoint ep;
    ep.models = {{"blue", "m1"}};
    ep.state.traffic = {{"blue", 100}};
    ep.score_fn = scorer();
    auto log = quiet();
    const auto o = release(ep, request("m2"), log);
    CHECK(o.slot == "green");
    CHECK_FALSE(o.slot_existed);
    CHECK(o.during.traffic == traffic_map{{"blue", 100}, {"green", 0}});
    CHECK(o.promoted);
    CHECK(ep.state.traffic == traffic_map{{"blue", 70}, {"green", 30}});
    CHECK(o.smoke.rmse == Approx(0.0));
}

TEST_CASE("a failing smoke test rolls back to the exact previous traffic and unloads the slot") {
    test::fake_endpoint ep;
    ep.models = {{"blue", "m1"}, {"red", "m0"}};
    ep.state = {{{"blue", 83}, {"red", 17}}, {}};
    ep.score_fn = scorer();
    const auto before = ep.state;
    auto log = quiet();
    const auto o = release(ep, request("bad-model"), log);
    CHECK(o.slot == "green");
    CHECK(o.rolled_back);
    CHECK_FALSE(o.promoted);
    CHECK_THAT(o.smoke.reason, Catch::Contains("HTTP 500"));
    CHECK(ep.state == before);
    CHECK(o.current == before);
    CHECK(ep.models.count("green") == 0);
    CHECK(called(ep, "unload green"));
}

TEST_CASE("an RMSE over the bound also rolls back") {
    test::fake_endpoint ep;
    ep.models = {{"blue", "m1"}};
    ep.state.traffic = {{"blue", 100}};
    ep.score_fn = scorer(5.0);  // every prediction off by 5
    auto r = request("m2");
    r.max_rmse = 1.0;
    auto log = quiet();
    const auto o = release(ep, r, log);
    CHECK(o.rolled_back);
    CHECK(ep.state.traffic == traffic_map{{"blue", 100}});
    CHECK(o.smoke.rmse == Approx(5.0));
}

TEST_CASE("replacing a slot with traffic drains it first and restores its model on rollback") {
    test::fake_endpoint ep;
    ep.models = {{"blue", "m1"}, {"green", "m2"}};
    ep.state = {{{"blue", 70}, {"green", 30}}, {}};
    ep.score_fn = scorer();
    const auto before = ep.state;
    auto log = quiet();
    const auto o = release(ep, request("bad-m3"), log);
    CHECK(o.slot == "green");
    CHECK(o.slot_existed);
    // Drained before the load: green never had live traffic while serving the new model.
    const auto drain_at = std::find(ep.calls.begin(), ep.calls.end(), "set_traffic blue=100,green=0");
    const auto load_at = std::find(ep.calls.begin(), ep.calls.end(), "load green bad-m3");
    REQUIRE(drain_at != ep.calls.end());
    CHECK(drain_at < load_at);
    CHECK(o.rolled_back);
    CHECK(ep.models.at("green") == "m2");  // the previous model is back
    CHECK(ep.state == before);

    // The same with a good model: promoted with the proportional rule.
    const auto good = release(ep, request("m3"), log);
    CHECK(good.promoted);
    CHECK(ep.state.traffic == traffic_map{{"blue", 70}, {"green", 30}});
    CHECK(ep.models.at("green") == "m3");
}

TEST_CASE("the new share is configurable and mirror traffic survives a rollback exactly") {
    test::fake_endpoint ep;
    ep.models = {{"blue", "m1"}, {"green", "m2"}};
    ep.state = {{{"blue", 100}, {"green", 0}}, {{"green", 10}}};
    ep.score_fn = scorer();
    const auto before = ep.state;
    auto log = quiet();
    auto bad = request("bad");
    const auto o = release(ep, bad, log);
    CHECK(o.rolled_back);
    CHECK(ep.state == before);

    auto r = request("m3");
    r.traffic_share = 50;
    const auto p = release(ep, r, log);
    CHECK(p.promoted);
    CHECK(ep.state.traffic == traffic_map{{"blue", 50}, {"green", 50}});
    CHECK(ep.state.mirror.empty());  // green now takes live traffic; its mirror entry is dropped
}

TEST_CASE("a load failure restores the endpoint and propagates the error") {
    test::fake_endpoint ep;
    ep.models = {{"blue", "m1"}, {"green", "m2"}};
    ep.state = {{{"blue", 40}, {"green", 60}}, {}};
    ep.fail_load_of = "missing";
    ep.score_fn = scorer();
    const auto before = ep.state;
    auto log = quiet();
    try {
        release(ep, request("missing"), log);
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::not_found);
    }
    CHECK(ep.state == before);
    CHECK(ep.models.at("blue") == "m1");
}

TEST_CASE("deployment_state.json has the original's keys") {
    test::fake_endpoint ep;
    ep.models = {{"blue", "m1"}};
    ep.state.traffic = {{"blue", 100}};
    ep.score_fn = scorer();
    auto log = quiet();
    const auto o = release(ep, request("m2"), log);
    const auto doc = state_json(o, "local://127.0.0.1:5001", {"taxi-fare", "2", "registry", "azureml://registries/dev/models/taxi-fare/versions/2"});
    for (const char* key : {"previous_traffic", "updated_traffic", "current_traffic", "new_deployment", "endpoint_name",
                            "has_prior_deployment", "model_name", "model_version", "model_source"}) {
        INFO(key);
        CHECK(doc.contains(key));
    }
    CHECK(doc.at("new_deployment").as_string() == "green");
    CHECK(doc.at("has_prior_deployment").as_bool());
    CHECK(doc.at("current_traffic").as_object().at("green").as_int64() == 30);
    CHECK(doc.at("status").as_string() == "promoted");
}
