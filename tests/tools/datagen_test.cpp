// Black-box tests of aml-datagen: exit codes, files, the JSON result document.
#include "amlops/core/json.hpp"
#include "amlops/core/sha256.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

namespace json = amlops::json;
using amlops::test::run_tool;
using amlops::test::scratch_dir;

namespace {
json::object result_doc(const amlops::test::run_result& r) {
    INFO(r.err);
    return json::parse(r.out, "aml-datagen stdout").as_object();
}
}  // namespace

TEST_CASE("aml-datagen writes both files and reports rows, dirt and checksums") {
    scratch_dir dir("tool-datagen");
    auto r = run_tool("aml-datagen", {"--output", dir.path().string(), "--rows", "2000", "--seed", "5"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto doc = result_doc(r);
    CHECK(doc.at("status").as_string() == "ok");
    const auto& outputs = doc.at("outputs").as_object();
    for (const char* name : {"green", "yellow"}) {
        const auto& out = outputs.at(name).as_object();
        const std::string path(out.at("path").as_string());
        CHECK(std::filesystem::exists(path));
        CHECK(out.at("sha256").as_string() == amlops::sha256_file(path));
    }
    CHECK(std::filesystem::exists(dir / "greenTaxiData.csv"));
    CHECK(std::filesystem::exists(dir / "yellowTaxiData.csv"));
    const auto& result = doc.at("result").as_object();
    CHECK(result.at("rows").to_number<std::int64_t>() == 2000);
    CHECK(result.at("files").at("green").at("rows").to_number<std::int64_t>() == 1000);
    CHECK(result.at("files").at("yellow").at("rows").to_number<std::int64_t>() == 1000);
    CHECK(result.at("dirty").as_object().size() == 9);
    CHECK(result.at("kept").to_number<std::int64_t>() <= 2000);
}

TEST_CASE("aml-datagen is deterministic for the same arguments") {
    scratch_dir a("tool-datagen-a"), b("tool-datagen-b"), c("tool-datagen-c");
    auto sha = [](const scratch_dir& d, const std::string& seed) {
        auto r = run_tool("aml-datagen", {"-o", d.path().string(), "-n", "3000", "--seed", seed, "--date-format", "us"});
        REQUIRE(r.exit_code == 0);
        const auto doc = json::parse(r.out, "stdout").as_object();
        return std::string(doc.at("outputs").at("green").at("sha256").as_string()) +
               std::string(doc.at("outputs").at("yellow").at("sha256").as_string());
    };
    const std::string first = sha(a, "9");
    CHECK(sha(b, "9") == first);
    CHECK(sha(c, "10") != first);
}

TEST_CASE("aml-datagen rejects bad arguments with exit code 2") {
    scratch_dir dir("tool-datagen-bad");
    const std::string out = dir.path().string();
    struct bad_case {
        std::vector<std::string> args;
        std::string mentions;
    };
    const std::vector<bad_case> cases{
        {{"--output", out, "--rows", "0"}, "--rows"},
        {{"--output", out, "--rows=-5"}, "--rows"},
        {{"--output", out, "--rows", "many"}, "rows"},
        {{"--output", out, "--rows", "10", "--dirty-ratio", "1.5"}, "--dirty-ratio"},
        {{"--output", out, "--rows", "10", "--dirty-ratio=-0.1"}, "--dirty-ratio"},
        {{"--output", out, "--rows", "10", "--green-share", "2"}, "--green-share"},
        {{"--output", out, "--rows", "10", "--date-format", "eu"}, "--date-format"},
        {{"--rows", "10"}, "output"},
    };
    for (const auto& c : cases) {
        auto r = run_tool("aml-datagen", c.args);
        INFO(r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find(c.mentions) != std::string::npos);
        CHECK(result_doc(r).at("status").as_string() == "error");
    }
    CHECK_FALSE(std::filesystem::exists(dir / "greenTaxiData.csv"));
}

TEST_CASE("aml-datagen --help lists its flags") {
    auto r = run_tool("aml-datagen", {"--help"});
    CHECK(r.exit_code == 0);
    for (const char* flag : {"--output", "--rows", "--seed", "--dirty-ratio", "--green-share", "--date-format"})
        CHECK(r.out.find(flag) != std::string::npos);
}
