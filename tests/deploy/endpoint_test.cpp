// Endpoint URIs, deployment names and key files.
#include "amlops/deploy/local_endpoint.hpp"

#include "amlops/core/error.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace amlops;
using namespace amlops::deploy;

TEST_CASE("local endpoint URIs must be loopback host:port") {
    CHECK(parse_local_uri("local://127.0.0.1:5001").port == 5001);
    CHECK(parse_local_uri("local://localhost:80/").host == "localhost");
    CHECK(parse_local_uri("local://[::1]:5001").host == "::1");
    for (const std::string bad : {"http://127.0.0.1:5001", "local://127.0.0.1", "local://10.0.0.4:5001", "local://127.0.0.1:0",
                                  "local://127.0.0.1:70000", "local://127.0.0.1:50x"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_local_uri(bad), error);
    }
    CHECK_THROWS_WITH(open_endpoint("azureml://endpoints/x"), Catch::Contains("onlineEndpoints/NAME"));  // a malformed Azure ML endpoint URI
    CHECK(open_endpoint("local://127.0.0.1:5001")->scoring_uri() == "http://127.0.0.1:5001/score");
}

TEST_CASE("a closed port is a network error and not a crash") {
    // Port 1 on loopback is essentially never listening.
    auto ep = open_endpoint("local://127.0.0.1:1");
    try {
        ep->get_traffic();
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::network);
        CHECK_THAT(e.what(), Catch::Contains("/admin/traffic"));
    }
}

TEST_CASE("deployment names follow Azure's rule and key files are trimmed") {
    CHECK(is_valid_deployment_name("blue"));
    CHECK(is_valid_deployment_name("Green-2"));
    CHECK_FALSE(is_valid_deployment_name("ab"));
    CHECK_FALSE(is_valid_deployment_name("2blue"));
    CHECK_FALSE(is_valid_deployment_name("blue/../x"));
    test::scratch_dir dir("deploy-key");
    test::write_text(dir / "key", "s3cret\n");
    CHECK(read_key_file(dir / "key") == "s3cret");
    test::write_text(dir / "empty", "\n");
    CHECK_THROWS_AS(read_key_file(dir / "empty"), error);
    CHECK_THROWS_AS(read_key_file(dir / "none"), error);
}
