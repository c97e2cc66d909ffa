#pragma once
// An in-memory endpoint with the local server's admin semantics (traffic rules, 409 on deleting a
// deployment with traffic), a scripted scoring function and a log of every call, for testing the
// release flow without sockets.

#include "amlops/core/error.hpp"
#include "amlops/deploy/endpoint.hpp"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace amlops::test {

class fake_endpoint final : public deploy::endpoint {
public:
    /// Scoring: (deployment, model, body) -> response.
    using scorer = std::function<deploy::score_response(const std::string&, const std::string&, const std::string&)>;

    std::map<std::string, std::string> models;  ///< deployment -> model
    deploy::endpoint_traffic state;
    scorer score_fn;
    std::vector<std::string> calls;  ///< "get_traffic", "set_traffic blue=70,green=30", "load green m", ...
    std::string fail_load_of;        ///< a model whose load throws not_found

    std::string name() const override { return "fake://endpoint"; }
    std::string scoring_uri() const override { return "http://fake/score"; }

    deploy::endpoint_traffic get_traffic() override {
        calls.push_back("get_traffic");
        return state;
    }
    deploy::endpoint_traffic set_traffic(const deploy::endpoint_traffic& t) override {
        calls.push_back("set_traffic " + deploy::to_string(t.traffic));
        deploy::validate(t);
        deploy::endpoint_traffic next;
        for (const auto& [n, m] : models) next.traffic[n] = 0;
        for (const auto& [n, w] : t.traffic) {
            if (!models.count(n)) throw error(error_kind::not_found, "unknown deployment " + n);
            next.traffic[n] = w;
        }
        for (const auto& [n, w] : t.mirror)
            if (w > 0) next.mirror[n] = w;
        state = next;
        return state;
    }
    std::vector<deploy::deployment_info> deployments() override {
        std::vector<deploy::deployment_info> out;
        for (const auto& [n, m] : models) out.push_back({n, m, m, "1"});
        return out;
    }
    deploy::deployment_info load_deployment(const std::string& n, const std::string& model) override {
        calls.push_back("load " + n + " " + model);
        if (model == fail_load_of) throw error(error_kind::not_found, "model " + model + " not found");
        models[n] = model;
        state.traffic.emplace(n, 0);
        return {n, model, model, "1"};
    }
    void unload_deployment(const std::string& n) override {
        calls.push_back("unload " + n);
        if (!models.count(n)) throw error(error_kind::not_found, "unknown deployment " + n);
        if (state.traffic[n] != 0 || state.mirror.count(n)) throw error(error_kind::bad_input, n + " still has traffic");
        models.erase(n);
        state.traffic.erase(n);
    }
    deploy::score_response score(const std::string& d, const std::string& body) override {
        calls.push_back("score " + d);
        return score_fn(d, models.at(d), body);
    }
};

}  // namespace amlops::test
