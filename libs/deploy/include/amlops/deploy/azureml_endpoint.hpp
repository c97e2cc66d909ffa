#pragma once
// The `azureml://subscriptions/{s}/resourceGroups/{rg}/workspaces/{w}/onlineEndpoints/{name}`
// endpoint: an Azure ML managed online endpoint behind the same interface, rules and
// deployment_state.json as the local one.
//   - wait_until_ready creates the endpoint when it is absent (PUT, authMode Key) and waits for it;
//   - traffic and mirror traffic are set by a PUT of the whole endpoint (PATCH cannot change
//     traffic) with zero entries dropped, as the Azure ML SDK does, after checking the sums;
//   - a deployment is a PUT of Managed compute: model by registry URI, environment, instance
//     type/count, request settings, liveness/readiness probes (long-running; polled);
//   - scoring goes to the endpoint's scoringUri with a key from listKeys (never logged) and the
//     `azureml-model-deployment` header.

#include "amlops/deploy/endpoint.hpp"

#include <memory>
#include <string>

namespace amlops::azureml_jobs {
class workspace_session;
}

namespace amlops::deploy {

/// Is `uri` an azureml:// online endpoint URI (the scheme only; parse_azureml_endpoint checks it)?
bool is_azureml_endpoint(const std::string& uri) noexcept;

class azureml_endpoint final : public endpoint {
public:
    /// Throws error(usage) for a malformed URI.
    azureml_endpoint(std::string uri, endpoint_options options);
    ~azureml_endpoint() override;

    std::string name() const override { return uri_; }
    std::string scoring_uri() const override;
    void wait_until_ready(std::chrono::milliseconds timeout) override;
    endpoint_traffic get_traffic() override;
    endpoint_traffic set_traffic(const endpoint_traffic& t) override;
    std::vector<deployment_info> deployments() override;
    deployment_info load_deployment(const std::string& name, const std::string& model) override;
    void unload_deployment(const std::string& name) override;
    score_response score(const std::string& deployment, const std::string& json_body) override;

private:
    struct impl;
    std::string uri_;
    std::unique_ptr<impl> impl_;
};

}  // namespace amlops::deploy
