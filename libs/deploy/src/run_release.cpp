#include "amlops/deploy/run_release.hpp"

#include "amlops/cli/tool.hpp"
#include "amlops/cli/vocabulary.hpp"
#include "amlops/deploy/azureml_endpoint.hpp"
#include "amlops/deploy/model_ref.hpp"
#include "amlops/deploy/release.hpp"

namespace amlops::deploy {

json::value run_release(const release_settings& s, cli::context& ctx) {
    if (s.smoke_data.empty()) throw error(error_kind::usage, "the option '--test' is required but missing").on_field("--test");
    const auto ca_file = cli::ca_file(s.ca_file, ctx.env());
    const auto with = registry::with_ca_file(ca_file);
    endpoint_options eo;
    if (!s.key_file.empty()) eo.key = read_key_file(s.key_file);
    eo.ca_file = ca_file;
    eo.deployment.environment = s.environment;
    eo.deployment.instance_type = s.instance_type;
    eo.deployment.instance_count = s.instance_count;
    eo.deployment.request_timeout_ms = s.request_timeout_ms;
    const auto model = resolve_model(s.model, cli::workspace_root(s.workspace, ctx.env()), ctx.env(), ctx.log(), with);
    release_request req;
    // An Azure ML deployment names the model as Azure ML does; the local server takes our URI.
    req.model = is_azureml_endpoint(s.endpoint) ? model.service_uri : model.identity.uri;
    req.smoke = load_smoke_sample(s.smoke_data, s.smoke_rows);
    req.max_rmse = s.max_rmse;
    req.traffic_share = s.traffic;
    if (!s.slot.empty()) req.slot = s.slot;
    req.delete_on_rollback = !is_azureml_endpoint(s.endpoint) || s.delete_on_rollback;

    const auto ep = open_endpoint(s.endpoint, eo);
    const auto outcome = release(*ep, req, ctx.log());
    json::object result = state_json(outcome, ep->name(), model.identity);
    result["recorded"] = false;
    const auto write_state = [&] {
        for (const auto& file : {s.state_file, s.output.empty() ? std::string() : s.output + "/deployment_state.json"}) {
            if (file.empty()) continue;
            json::write_file(file, result);
            ctx.add_output(s.state_file == file ? "state" : "deployment_state", file);
        }
    };
    write_state();  // first, so the endpoint's state is on disk even if the registry fails below
    if (outcome.promoted && record_release(model, *ep, outcome, ctx.env(), ctx.log(), with)) {
        result["recorded"] = true;
        write_state();
    }
    if (outcome.rolled_back) ctx.reject();
    return result;
}

}  // namespace amlops::deploy
