#pragma once
// The `local://HOST:PORT` endpoint: aml-predict serve's admin API (amlops/serve/admin_api.hpp)
// over HTTP/1.1 on loopback, through the shared transport of libs/http.

#include "amlops/deploy/endpoint.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace amlops::http {
class transport;
}

namespace amlops::deploy {

/// Host and port of a `local://HOST:PORT` URI.
struct local_address {
    std::string host;
    std::uint16_t port = 0;
};

/// Parses `local://HOST:PORT`; HOST must be `localhost` or a loopback IP (127.x.x.x, [::1]),
/// PORT 1..65535. Throws error(usage) naming the URI otherwise.
local_address parse_local_uri(const std::string& uri);

class local_endpoint final : public endpoint {
public:
    local_endpoint(std::string uri, local_address address, endpoint_options options);

    std::string name() const override { return uri_; }
    std::string scoring_uri() const override;
    /// Polls `GET /` while it answers 503 (the server is loading); 200 returns, a transport
    /// failure or another status throws at once.
    void wait_until_ready(std::chrono::milliseconds timeout) override;
    endpoint_traffic get_traffic() override;
    endpoint_traffic set_traffic(const endpoint_traffic& t) override;
    std::vector<deployment_info> deployments() override;
    deployment_info load_deployment(const std::string& name, const std::string& model) override;
    void unload_deployment(const std::string& name) override;
    score_response score(const std::string& deployment, const std::string& json_body) override;

private:
    std::string uri_;
    local_address address_;
    endpoint_options options_;
    std::shared_ptr<http::transport> transport_;
};

}  // namespace amlops::deploy
