#include "amlops/core/log.hpp"

#include <catch2/catch.hpp>

using namespace amlops;

TEST_CASE("redact masks bearer tokens, SAS signatures, secrets and JWTs") {
    CHECK(redact("Authorization: Bearer abc.def.ghi") == "Authorization: ***");
    CHECK(redact("GET https://a.blob/c?sv=2021&sig=AbC%2Bd&se=2026") == "GET https://a.blob/c?sv=2021&sig=***&se=***");
    CHECK(redact("client_secret=hunter2&scope=x") == "client_secret=***&scope=x");
    CHECK(redact("token eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl") .find("eyJhbGciOi") == std::string::npos);
    CHECK(redact("rows=100 rmse=3.1") == "rows=100 rmse=3.1");
}

TEST_CASE("logger formats text and json lines and honours the level") {
    std::vector<std::string> lines;
    logger log("aml-test", log_level::info, log_format::text, [&](std::string_view l) { lines.emplace_back(l); });
    log.debug("hidden");
    log.info("hello");
    log.set_format(log_format::json);
    log.warn("key=SECRET1");
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "aml-test: info: hello\n");
    CHECK(lines[1].find("\"level\":\"warning\"") != std::string::npos);
    CHECK(lines[1].find("SECRET1") == std::string::npos);
}
