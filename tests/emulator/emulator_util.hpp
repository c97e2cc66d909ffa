#pragma once
// Small helpers the emulator's route sets share: path splitting, case folding, JSON answers and
// the ARM error envelope.

#include "amlops/core/json.hpp"
#include "amlops/http/message.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace amlops::emulator::detail {

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

/// "/a/b/c" -> {"a", "b", "c"}.
inline std::vector<std::string> split(const std::string& path) {
    std::vector<std::string> parts;
    std::size_t pos = 1;
    while (pos <= path.size()) {
        auto slash = path.find('/', pos);
        if (slash == std::string::npos) slash = path.size();
        parts.push_back(path.substr(pos, slash - pos));
        pos = slash + 1;
    }
    return parts;
}

inline http::response json_reply(int status, const json::value& body, http::fields headers = {}) {
    headers.set("Content-Type", "application/json");
    return {status, "", std::move(headers), boost::json::serialize(body)};
}

/// The ARM error envelope `{"error": {code, message, target, details}}` with a request id.
inline http::response arm_error(int status, const std::string& code, const std::string& message, const std::string& target = "") {
    json::object err{{"code", code}, {"message", message}};
    if (!target.empty()) err["target"] = target;
    err["details"] = json::array{};
    return json_reply(status, json::object{{"error", err}}, {{"x-ms-request-id", "emu-" + code}});
}

}  // namespace amlops::emulator::detail
