// aml-register: register an approved model in a registry (dev/prod/...) and manage its versions.
// The verbs and their flags are libs/workspace's register_verbs().
#include "amlops/cli/tool.hpp"
#include "amlops/workspace/register_verbs.hpp"

int main(int argc, char** argv) {
    return amlops::cli::run_subcommands(argc, argv,
        {"aml-register", "Register approved models and manage registry versions (dev, prod, ...).", "[COMMAND] [options]",
         "URIs: azureml://registries/<reg>/models/<name>/versions/<n> | .../models/<name>@<alias> | .../models/<name>/labels/latest\n"
         "Example: aml-register --model out/model --decision out/gate --registry dev --name taxi-fare --set-alias champion -o out/reg"},
        amlops::registry::register_verbs(), "register");
}
