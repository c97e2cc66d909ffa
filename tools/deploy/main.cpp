// aml-deploy: blue/green release of a registered model to an endpoint — choose the slot, deploy at
// 0% (100% on an empty endpoint), smoke-test the slot directly, then shift traffic (default 30%)
// or roll back and exit 3. The deployment is recorded in the registry so lineage shows it.
#include "amlops/cli/tool.hpp"
#include "amlops/cli/vocabulary.hpp"
#include "amlops/deploy/run_release.hpp"

namespace {

namespace po = amlops::cli::po;
namespace dep = amlops::deploy;

void describe(amlops::cli::option_spec& s, dep::release_settings& o) {
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

}  // namespace

int main(int argc, char** argv) {
    return amlops::cli::run_tool<dep::release_settings>(argc, argv,
        {"aml-deploy", "Blue/green release to an endpoint: new slot, smoke test, traffic shift or rollback (exit 3).",
         "--endpoint URI --model URI --test FILE [options]",
         "Example: aml-deploy --endpoint local://127.0.0.1:5001 --model azureml://registries/prod/models/taxi-fare@champion \\\n"
         "           --test out/data/test.csv --max-rmse 8 --output out/deploy\n"
         "Outcome: exit 0 promoted; 3 the smoke test failed and the endpoint was rolled back; 1 an endpoint or registry\n"
         "failure (the endpoint is restored first)."},
        describe, dep::run_release);
}
