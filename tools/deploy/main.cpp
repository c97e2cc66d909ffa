// aml-deploy: blue/green release of a registered model to an endpoint — choose the slot, deploy at
// 0% (100% on an empty endpoint), smoke-test the slot directly, then shift traffic (default 30%)
// or roll back and exit 3. The deployment is recorded in the registry so lineage shows it.
#include "amlops/cli/tool.hpp"
#include "amlops/cli/vocabulary.hpp"
#include "amlops/deploy/azureml_endpoint.hpp"
#include "amlops/deploy/release.hpp"
#include "amlops/deploy/model_ref.hpp"

namespace {

namespace po = amlops::cli::po;
namespace dep = amlops::deploy;
namespace json = amlops::json;

struct options {
    std::string endpoint, model, workspace, smoke_data, key_file, state_file, output, slot;
    std::string ca_file, environment, instance_type = "Standard_DS3_v2";
    int instance_count = 1, request_timeout_ms = 5000;
    bool delete_on_rollback = false;
    std::optional<double> max_rmse;
    int traffic = 30;
    std::size_t smoke_rows = 10;
};

void describe(amlops::cli::option_spec& s, options& o) {
    s.options.add_options()
        ("endpoint", po::value(&o.endpoint)->required()->value_name("URI"), "endpoint: local://127.0.0.1:5001 (aml-predict serve) or azureml://subscriptions/S/resourceGroups/RG/workspaces/W/onlineEndpoints/NAME")
        ("model", po::value(&o.model)->required()->value_name("URI|DIR"), "registry URI (version, @alias or /labels/latest) or MLflow model folder")
        ("test", po::value(&o.smoke_data)->value_name("FILE|DIR"), "test table (test.csv or its folder): its first rows, cost removed, are the smoke test")
        ("max-rmse", po::value<double>()->notifier([&o](double v) { o.max_rmse = v; })->value_name("X"), "fail the smoke test when its RMSE against cost exceeds X")
        ("slot", po::value(&o.slot)->value_name("NAME"), "deploy into this slot instead of choosing blue/green by the traffic rules")
        ("key-file", po::value(&o.key_file)->value_name("FILE"), "endpoint key (sent as Authorization: Bearer)")
        ("state-file", po::value(&o.state_file)->value_name("FILE"), "write deployment_state.json here")
        ("output,o", po::value(&o.output)->value_name("DIR"), "write deployment_state.json into this folder");
    amlops::cli::add_bounded(s, "smoke-rows", o.smoke_rows, 1, 100'000, "N", "rows sent by the smoke test (default 10)");
    amlops::cli::add_bounded(s, "traffic", o.traffic, 1, 100, "PERCENT", "percent of live traffic for the new slot after a passing smoke test (default 30)");
    amlops::cli::add_workspace(s, o.workspace, {"registry-workspace"});
    amlops::cli::add_alias(s, "smoke-data", "test", o.smoke_data);
    amlops::cli::add_ca_file(s, o.ca_file);
    s.options.add_options()
        ("environment", po::value(&o.environment)->value_name("URI"), "azureml:// endpoints: the serving environment (azureml:NAME:VERSION)")
        ("instance-type", po::value(&o.instance_type)->default_value("Standard_DS3_v2")->value_name("SKU"), "azureml:// endpoints: VM size")
        ("delete-on-rollback", po::bool_switch(&o.delete_on_rollback),
         "azureml:// endpoints: delete a new deployment that failed its smoke test (default: keep it at 0% for its logs; local endpoints always unload it)");
    amlops::cli::add_bounded(s, "instance-count", o.instance_count, 1, 1000, "N", "azureml:// endpoints: instances per deployment (default 1)");
    amlops::cli::add_bounded(s, "request-timeout-ms", o.request_timeout_ms, 1, 180'000, "MS", "azureml:// endpoints: scoring timeout (default 5000)");
}

json::value run(const options& o, amlops::cli::context& ctx) {
    if (o.smoke_data.empty()) throw amlops::error(amlops::error_kind::usage, "the option '--test' is required but missing").on_field("--test");
    const auto with = amlops::registry::with_ca_file(amlops::cli::ca_file(o.ca_file, ctx.env()));
    dep::endpoint_options eo;
    if (!o.key_file.empty()) eo.key = dep::read_key_file(o.key_file);
    eo.ca_file = amlops::cli::ca_file(o.ca_file, ctx.env());
    eo.deployment.environment = o.environment;
    eo.deployment.instance_type = o.instance_type;
    eo.deployment.instance_count = o.instance_count;
    eo.deployment.request_timeout_ms = o.request_timeout_ms;
    const auto model = dep::resolve_model(o.model, amlops::cli::workspace_root(o.workspace, ctx.env()), ctx.env(), ctx.log(), with);
    dep::release_request req;
    // An Azure ML deployment names the model as Azure ML does; the local server takes our URI.
    req.model = dep::is_azureml_endpoint(o.endpoint) ? model.service_uri : model.identity.uri;
    req.smoke = dep::load_smoke_sample(o.smoke_data, o.smoke_rows);
    req.max_rmse = o.max_rmse;
    req.traffic_share = o.traffic;
    if (!o.slot.empty()) req.slot = o.slot;
    req.delete_on_rollback = !dep::is_azureml_endpoint(o.endpoint) || o.delete_on_rollback;

    const auto ep = dep::open_endpoint(o.endpoint, eo);
    const auto outcome = dep::release(*ep, req, ctx.log());
    json::object result = dep::state_json(outcome, ep->name(), model.identity);
    result["recorded"] = false;
    const auto write_state = [&] {
        for (const auto& file : {o.state_file, o.output.empty() ? std::string() : o.output + "/deployment_state.json"}) {
            if (file.empty()) continue;
            json::write_file(file, result);
            ctx.add_output(o.state_file == file ? "state" : "deployment_state", file);
        }
    };
    write_state();  // first, so the endpoint's state is on disk even if the registry fails below
    if (outcome.promoted && dep::record_release(model, *ep, outcome, ctx.env(), ctx.log(), with)) {
        result["recorded"] = true;
        write_state();
    }
    if (outcome.rolled_back) ctx.reject();
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    return amlops::cli::run_tool<options>(argc, argv,
        {"aml-deploy", "Blue/green release to an endpoint: new slot, smoke test, traffic shift or rollback (exit 3).",
         "--endpoint URI --model URI --test FILE [options]",
         "Example: aml-deploy --endpoint local://127.0.0.1:5001 --model azureml://registries/prod/models/taxi-fare@champion \\\n"
         "           --test out/data/test.csv --max-rmse 8 --output out/deploy\n"
         "Outcome: exit 0 promoted; 3 the smoke test failed and the endpoint was rolled back; 1 an endpoint or registry\n"
         "failure (the endpoint is restored first)."},
        describe, run);
}
