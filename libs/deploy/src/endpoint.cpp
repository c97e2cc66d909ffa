#include "amlops/deploy/endpoint.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "amlops/deploy/azureml_endpoint.hpp"
#include "amlops/deploy/local_endpoint.hpp"

#include <fstream>
#include <sstream>

namespace amlops::deploy {

bool is_valid_deployment_name(std::string_view name) noexcept {
    if (name.size() < 3 || name.size() > 32) return false;
    const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (!letter(name.front())) return false;
    for (char c : name)
        if (!letter(c) && !(c >= '0' && c <= '9') && c != '-') return false;
    return true;
}

std::string read_key_file(const std::filesystem::path& path) {
    std::string key = read_file(path);
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ' || key.back() == '\t')) key.pop_back();
    if (key.empty()) throw error(error_kind::bad_input, "key file is empty").in_file(path.string());
    return key;
}

std::unique_ptr<endpoint> open_endpoint(const std::string& uri, const endpoint_options& options) {
    if (uri.rfind("local://", 0) == 0) return std::make_unique<local_endpoint>(uri, parse_local_uri(uri), options);
    if (is_azureml_endpoint(uri)) return std::make_unique<azureml_endpoint>(uri, options);
    throw error(error_kind::usage, "endpoint '" + uri + "': unsupported scheme (local://HOST:PORT or azureml://.../onlineEndpoints/NAME)")
        .on_field("endpoint");
}

}  // namespace amlops::deploy
