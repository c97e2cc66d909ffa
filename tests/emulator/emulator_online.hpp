#pragma once
// Emulator routes that make online endpoints score for real (tests only):
//   - POST .../onlineEndpoints/{e}/listKeys (OnlineEndpoints_ListKeys): the endpoint's key pair;
//   - deployment PUT/DELETE are mirrored onto a real local `aml-predict serve`
//     (options.scoring_server) through its admin API, so a deployment serves its model;
//   - the endpoint's scoringUri (`/score/{endpoint}`) checks the key, routes by the
//     `azureml-model-deployment` header or the live traffic, and forwards to that server;
//     a non-200 from the model is answered 424 with ms-azureml-model-error-statuscode, as the
//     managed endpoint documents;
//   - the traffic rules the spec leaves to the service: mirror traffic at most 50 in sum, on a
//     deployment that takes no live traffic; a deployment with traffic cannot be deleted.
// The owning emulator calls these with its mutex held.

#include "emulator.hpp"

#include "amlops/http/message.hpp"
#include "amlops/http/transport.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace amlops::emulator::detail {

struct online_context {
    std::set<std::string>& tokens;
    std::map<std::string, json::object>& resources;
    const options& opt;
};

class online_routes {
public:
    explicit online_routes(online_context ctx);
    /// POST /score/{endpoint}; nullopt for other paths.
    std::optional<http::response> score(const http::request& req, const std::string& path);
    /// Runs before the state-only online endpoint routes: answers listKeys and refusals, mirrors
    /// deployment changes onto the scoring server; nullopt lets the state routes continue.
    std::optional<http::response> arm(const http::request& req, const std::vector<std::string>& parts);

private:
    http::response admin(const std::string& method, const std::string& target, const std::string& body);

    online_context ctx_;
    std::shared_ptr<http::transport> http_;
    std::map<std::string, std::pair<std::string, std::string>> keys_;  // endpoint key -> (primary, secondary)
    std::uint64_t counter_ = 0;
};

}  // namespace amlops::emulator::detail
