// aml-provision: plan / apply / verify / destroy / outputs of the private-only dev + prod Azure ML
// platform described by infra/platform.yaml, through ARM, with ARM itself as the state.
// The verbs and their flags are libs/provision's provision_verbs().
#include "amlops/cli/tool.hpp"
#include "amlops/provision/verbs.hpp"

int main(int argc, char** argv) {
    return amlops::cli::run_subcommands(argc, argv,
        {"aml-provision", "Plan, apply, verify and destroy the private-only dev + prod Azure ML platform through ARM (no state file).",
         "<plan|apply|verify|destroy|outputs> [options]",
         "Environment: AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET (or workload identity, managed identity,\n"
         "Azure CLI), AZURE_RESOURCE_MANAGER_ENDPOINT and AZURE_AUTHORITY_HOST for other clouds or the emulator.\n"
         "Readable plan / verify tables go to stderr; the JSON result to stdout."},
        amlops::provision::provision_verbs());
}
