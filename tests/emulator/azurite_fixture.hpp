#pragma once
// For tests that need Azurite (the CTest fixture "azurite", see CMakeLists.txt and azurite.sh):
// where it listens, and reading back what the emulator's pending uploads put there.

#include "amlops/azureml/blob.hpp"
#include "amlops/http/transport.hpp"
#include "test_support.hpp"

#include <cstdlib>
#include <iostream>
#include <map>
#include <regex>
#include <string>

namespace amlops::test {

/// The Azurite blob endpoint ("http://127.0.0.1:<port>/devstoreaccount1") the fixture wrote to
/// $AMLOPS_AZURITE_ENDPOINT_FILE. Without Azurite the test is skipped: the reason goes to stderr
/// and the process exits 77 (the SKIP_RETURN_CODE of these tests).
inline std::string azurite_endpoint() {
    const char* file = std::getenv("AMLOPS_AZURITE_ENDPOINT_FILE");
    std::string reason;
    if (!file) {
        reason = "AMLOPS_AZURITE_ENDPOINT_FILE is not set (run these tests through ctest, which starts Azurite)";
    } else if (std::filesystem::exists(file)) {
        std::string endpoint = read_text(file);
        while (!endpoint.empty() && (endpoint.back() == '\n' || endpoint.back() == '\r')) endpoint.pop_back();
        return endpoint;
    } else {
        const auto unavailable = std::filesystem::path(file).parent_path() / "unavailable";
        reason = std::filesystem::exists(unavailable) ? read_text(unavailable)
                                                      : std::string("no Azurite endpoint in ") + file + " (did the fixture run?)";
    }
    std::cerr << "SKIPPED: Azurite is not available: " << reason << std::endl;
    std::exit(77);
}

/// Every blob (name -> bytes) in the container a SAS URI points at, via List Blobs + Get Blob.
inline std::map<std::string, std::string> read_container(http::transport& t, const std::string& container_sas) {
    const auto q = container_sas.find('?');
    http::request list;
    list.url = container_sas.substr(0, q) + "?restype=container&comp=list&" + container_sas.substr(q + 1);
    list.headers.set("x-ms-version", "2023-11-03");
    const auto res = t.send(list);
    REQUIRE(res.status == 200);
    std::map<std::string, std::string> out;
    static const std::regex name_re("<Name>([^<]*)</Name>");
    for (auto it = std::sregex_iterator(res.body.begin(), res.body.end(), name_re); it != std::sregex_iterator(); ++it) {
        const std::string name = (*it)[1].str();
        out[name] = azureml::download_blob(t, azureml::blob_url(container_sas, name));
    }
    return out;
}

}  // namespace amlops::test
