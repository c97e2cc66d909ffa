#include "amlops/registry/uri.hpp"

#include "amlops/core/error.hpp"

#include <catch2/catch.hpp>

using amlops::registry::model_uri;
using amlops::registry::selector;
using Catch::Matchers::Contains;

TEST_CASE("model URIs parse in all three forms and print canonically") {
    struct row {
        const char* text;
        const char* registry;
        const char* name;
        selector by;
        std::int64_t version;
        const char* alias;
    };
    const row rows[] = {
        {"azureml://registries/dev/models/taxi-fare/versions/3", "dev", "taxi-fare", selector::version, 3, ""},
        {"azureml://registries/prod/models/taxi-fare/versions/12345", "prod", "taxi-fare", selector::version, 12345, ""},
        {"azureml://registries/dev/models/taxi-fare@champion", "dev", "taxi-fare", selector::alias, 0, "champion"},
        {"azureml://registries/dev/models/taxi.fare_2@chal-lenger_1", "dev", "taxi.fare_2", selector::alias, 0, "chal-lenger_1"},
        {"azureml://registries/my-reg_1/models/m/labels/latest", "my-reg_1", "m", selector::latest, 0, ""},
    };
    for (const auto& r : rows) {
        INFO(r.text);
        const auto u = model_uri::parse(r.text);
        CHECK(u.registry == r.registry);
        CHECK(u.name == r.name);
        CHECK(u.by == r.by);
        CHECK(u.version == r.version);
        CHECK(u.alias == r.alias);
        CHECK(u.to_string() == r.text);
        CHECK(model_uri::parse(u.to_string()) == u);
    }
}

TEST_CASE("invalid model URIs are bad input naming the URI and the problem") {
    struct row {
        const char* text;
        const char* why;
    };
    const row rows[] = {
        {"", "must start with"},
        {"azureml:taxi-fare:3", "must start with"},
        {"https://registries/dev/models/m/versions/1", "must start with"},
        {"azureml://registries/dev", "no '/models/<name>'"},
        {"azureml://registries//models/m/versions/1", "invalid registry name"},
        {"azureml://registries/dev/model/m/versions/1", "expected '/models/'"},
        {"azureml://registries/dev/models/m", "no version, alias or label"},
        {"azureml://registries/dev/models/m/versions/0", "not a positive integer"},
        {"azureml://registries/dev/models/m/versions/-1", "not a positive integer"},
        {"azureml://registries/dev/models/m/versions/01", "not a positive integer"},
        {"azureml://registries/dev/models/m/versions/3a", "not a positive integer"},
        {"azureml://registries/dev/models/m/versions/", "not a positive integer"},
        {"azureml://registries/dev/models/m/versions/99999999999999999999", "not a positive integer"},
        {"azureml://registries/dev/models/m/labels/best", "unknown label 'best'"},
        {"azureml://registries/dev/models/m@", "invalid alias"},
        {"azureml://registries/dev/models/m@Champion", "invalid alias"},
        {"azureml://registries/dev/models/-m/versions/1", "invalid model name"},
        {"azureml://registries/dev/models/m/stages/prod", "expected 'versions/<n>'"},
    };
    for (const auto& r : rows) {
        INFO(r.text);
        try {
            (void)model_uri::parse(r.text);
            FAIL("parsed");
        } catch (const amlops::error& e) {
            CHECK(e.kind() == amlops::error_kind::bad_input);
            CHECK(e.exit_code() == 2);
            CHECK_THAT(e.what(), Contains(std::string("'") + r.text + "'"));
            CHECK_THAT(e.what(), Contains(r.why));
        }
    }
}
