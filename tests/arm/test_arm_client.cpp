#include "amlops/arm/client.hpp"

#include <catch2/catch.hpp>

#include <deque>

using namespace amlops;
using namespace std::chrono_literals;

namespace {

/// Records every request and answers from a script (the last answer repeats).
struct fake_transport : http::transport {
    std::deque<http::response> script;
    std::vector<http::request> seen;
    http::response send(const http::request& req) override {
        seen.push_back(req);
        if (script.empty()) return {500, "", {}, "script exhausted"};
        auto res = script.front();
        if (script.size() > 1) script.pop_front();
        return res;
    }
};

http::response reply(int status, std::string body = "", http::fields headers = {}) {
    return {status, "", std::move(headers), std::move(body)};
}

struct fixture {
    std::shared_ptr<fake_transport> transport = std::make_shared<fake_transport>();
    std::vector<std::chrono::milliseconds> sleeps;
    arm::client make() {
        arm::client_options o;
        o.endpoint = "https://arm.example/";
        o.poll_interval = 1500ms;
        o.sleep = [this](std::chrono::milliseconds d) { sleeps.push_back(d); };
        return arm::client(transport, o);
    }
};

const auto reg = arm::registry_id("sub1", "rg1", "dev-reg");

}  // namespace

TEST_CASE("resource ids parse, build and pick the api-version of their type") {
    const auto v = arm::model_version_id(reg, "taxi", "3");
    CHECK(v.str() == "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/registries/dev-reg/models/taxi/versions/3");
    CHECK(arm::parse_resource_id(v.str()) == v);
    CHECK(v.type() == "Microsoft.MachineLearningServices/registries/models/versions");
    CHECK(v.name() == "3");
    CHECK(v.parent().parent() == reg.child("models", "taxi").parent());
    CHECK(v.api_version() == "2025-09-01");
    const auto rg = arm::parse_resource_id("/SUBSCRIPTIONS/sub1/resourcegroups/rg1/");
    CHECK(rg == arm::resource_group_id("sub1", "rg1"));
    CHECK(rg.api_version() == "2025-04-01");
    CHECK(arm::workspace_id("s", "g", "w").parent() == arm::resource_group_id("s", "g"));
    CHECK_THROWS_WITH(arm::parse_resource_id("/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/registries"),
                      Catch::Contains("{type}/{name}"));
    CHECK_THROWS_WITH(arm::parse_resource_id("subscriptions/s"), Catch::Contains("invalid ARM resource id"));
    CHECK_THROWS_WITH(arm::parse_resource_id("/subscriptions//resourceGroups/g"), Catch::Contains("empty path segment"));
    CHECK_THROWS_AS(arm::parse_resource_id("/subscriptions/s/resourceGroups/g/providers/Other.Ns/things/x").api_version(), amlops::error);
}

TEST_CASE("GET adds api-version and maps the ARM error envelope to a typed error") {
    fixture f;
    auto c = f.make();
    f.transport->script = {reply(400,
                                 R"({"error":{"code":"InvalidApiVersionParameter","message":"The api-version '2020-01-01' is invalid.","target":"api-version","details":[{"code":"Hint","message":"use 2025-09-01"}]}})",
                                 {{"x-ms-request-id", "rid-42"}})};
    try {
        c.get(reg);
        FAIL("expected an error");
    } catch (const arm::arm_error& e) {
        CHECK(e.kind() == error_kind::service);
        CHECK(e.code() == "InvalidApiVersionParameter");
        CHECK(e.target() == "api-version");
        REQUIRE(e.details().size() == 1);
        CHECK(e.details()[0] == "Hint: use 2025-09-01");
        CHECK(e.context().http_status == 400);
        CHECK(e.context().request_id == "rid-42");
        CHECK_THAT(e.what(), Catch::Contains("The api-version '2020-01-01' is invalid."));
    }
    REQUIRE(f.transport->seen.size() == 1);
    CHECK(f.transport->seen[0].url == "https://arm.example" + reg.str() + "?api-version=2025-09-01");

    f.transport->script = {reply(404, R"({"error":{"code":"ResourceNotFound","message":"gone"}})")};
    CHECK_FALSE(c.find(reg).has_value());
    CHECK_THROWS_AS(c.get(reg), arm::arm_error);
    try { c.get(reg); } catch (const amlops::error& e) { CHECK(e.kind() == error_kind::not_found); }

    f.transport->script = {reply(502, "<html>bad gateway</html>")};
    CHECK_THROWS_WITH(c.get(reg), Catch::Contains("HTTP 502") && Catch::Contains("bad gateway"));
}

TEST_CASE("PUT polls Azure-AsyncOperation (preferred over Location) and finishes with a GET of the resource") {
    fixture f;
    auto c = f.make();
    const std::string op = "https://arm.example/ops/1?api-version=2025-09-01";
    f.transport->script = {
        reply(201, R"({"properties":{"provisioningState":"Creating"}})",
              {{"Azure-AsyncOperation", op}, {"Location", "https://arm.example/loc/1"}, {"Retry-After", "3"}}),
        reply(200, R"({"status":"InProgress"})", {{"Retry-After", "1"}}),
        reply(200, R"({"status":"InProgress"})"),
        reply(200, R"({"status":"Succeeded"})"),
        reply(200, R"({"name":"dev-reg","properties":{"provisioningState":"Succeeded"}})")};
    const auto out = c.put(reg, json::object{{"location", "westeurope"}});
    CHECK(out.at("properties").at("provisioningState") == "Succeeded");
    const auto& seen = f.transport->seen;
    REQUIRE(seen.size() == 5);
    CHECK(seen[0].method == "PUT");
    CHECK(seen[0].body == R"({"location":"westeurope"})");
    CHECK(seen[1].url == op);
    CHECK(seen[3].url == op);
    CHECK(seen[4].method == "GET");
    CHECK(seen[4].url == "https://arm.example" + reg.str() + "?api-version=2025-09-01");
    CHECK(f.sleeps == std::vector<std::chrono::milliseconds>{3000ms, 1000ms, 1500ms});
}

TEST_CASE("a 201 without polling headers but a non-terminal provisioningState is polled by GET of the resource") {
    fixture f;
    auto c = f.make();
    f.transport->script = {reply(201, R"({"properties":{"provisioningState":"Creating"}})"),
                           reply(200, R"({"properties":{"provisioningState":"Updating"}})", {{"Retry-After", "2"}}),
                           reply(200, R"({"name":"dev-reg","properties":{"provisioningState":"Succeeded"}})")};
    const auto out = c.put(reg, json::object{{"location", "westeurope"}});
    CHECK(out.at("name") == "dev-reg");
    const auto& seen = f.transport->seen;
    REQUIRE(seen.size() == 3);
    CHECK(seen[1].method == "GET");
    CHECK(seen[2].url == "https://arm.example" + reg.str() + "?api-version=2025-09-01");
    CHECK(f.sleeps.size() == 2);
    CHECK(f.sleeps[1] == 2000ms);

    f.transport->script = {reply(200, R"({"properties":{"provisioningState":"Creating"}})"),
                           reply(200, R"({"properties":{"provisioningState":"Failed"}})")};
    CHECK_THROWS_WITH(c.put(reg, json::object{}), Catch::Contains("provisioningState Failed"));
}

TEST_CASE("a failed long-running operation reports the operation's error") {
    fixture f;
    auto c = f.make();
    f.transport->script = {reply(201, "{}", {{"Azure-AsyncOperation", "https://arm.example/ops/2"}}),
                           reply(200, R"({"status":"Failed","error":{"code":"QuotaExceeded","message":"no quota left"}})")};
    try {
        c.put(reg, json::object{});
        FAIL("expected an error");
    } catch (const arm::arm_error& e) {
        CHECK(e.code() == "QuotaExceeded");
        CHECK_THAT(e.what(), Catch::Contains("Failed") && Catch::Contains("no quota left"));
    }
    f.transport->script = {reply(202, "", {{"Azure-AsyncOperation", "https://arm.example/ops/3"}}),
                           reply(200, R"({"status":"Canceled"})")};
    CHECK_THROWS_WITH(c.post(reg, "doIt", json::object{}), Catch::Contains("Canceled"));
}

TEST_CASE("Location polling: 202 means running, 200 carries the POST result") {
    fixture f;
    auto c = f.make();
    f.transport->script = {reply(202, "", {{"Location", "https://arm.example/loc/9"}}), reply(202, ""), reply(202, ""),
                           reply(200, R"({"ok":true})")};
    const auto out = c.post(arm::workspace_id("s", "g", "w"), "publish", json::object{{"registryName", "r"}});
    CHECK(out.at("ok") == true);
    REQUIRE(f.transport->seen.size() == 4);
    CHECK(f.transport->seen[0].url == "https://arm.example/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/publish?api-version=2025-09-01");
    CHECK(f.transport->seen[3].url == "https://arm.example/loc/9");
    CHECK(f.sleeps.size() == 3);

    // A synchronous PUT (200/201 without polling headers) returns its body directly.
    f.transport->seen.clear();
    f.transport->script = {reply(200, R"({"name":"w"})")};
    CHECK(c.put(arm::workspace_id("s", "g", "w"), json::object{}).at("name") == "w");
    CHECK(f.transport->seen.size() == 1);
}

TEST_CASE("list follows nextLink verbatim until it is absent") {
    fixture f;
    auto c = f.make();
    f.transport->script = {reply(200, R"({"value":[{"name":"a"},{"name":"b"}],"nextLink":"https://arm.example/next?token=x%2By&api-version=2025-09-01"})"),
                           reply(200, R"({"value":[{"name":"c"}]})")};
    const auto items = c.list(reg, "models");
    REQUIRE(items.size() == 3);
    CHECK(items[2].at("name") == "c");
    CHECK(f.transport->seen[1].url == "https://arm.example/next?token=x%2By&api-version=2025-09-01");

    f.transport->script = {reply(200, R"({"value":[],"nextLink":"https://arm.example/same"})")};
    CHECK_THROWS_WITH(c.list(reg, "models"), Catch::Contains("same page"));
}
