#pragma once
// Small helpers shared by the emulator's route files (tests only): ARM JSON replies and the ARM
// error envelope {"error": {code, message, target, details}}, case folding, path joining.

#include "amlops/core/json.hpp"
#include "amlops/http/message.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace amlops::emulator::detail {

inline http::response reply(int status, const json::value& body, http::fields headers = {}) {
    headers.set("Content-Type", "application/json");
    return {status, "", std::move(headers), boost::json::serialize(body)};
}

inline http::response arm_fail(int status, const std::string& code, const std::string& message, const std::string& target = "") {
    json::object err{{"code", code}, {"message", message}, {"details", json::array{}}};
    if (!target.empty()) err["target"] = target;
    return reply(status, json::object{{"error", err}}, {{"x-ms-request-id", "emu-" + code}});
}

inline std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

/// "/" + the first `n` parts joined by "/".
inline std::string join(const std::vector<std::string>& parts, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n && i < parts.size(); ++i) out += "/" + parts[i];
    return out;
}

}  // namespace amlops::emulator::detail
