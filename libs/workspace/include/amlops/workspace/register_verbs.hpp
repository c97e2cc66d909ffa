#pragma once
// The verbs of aml-register with their flags (the shared vocabulary of libs/cli plus their own),
// for cli::run_subcommands: register (the default), list, show, download, alias, archive, prune,
// audit, lineage, verify. Each opens the workspace of --workspace with the trust of --ca-file.

#include "amlops/cli/tool.hpp"

#include <vector>

namespace amlops::registry {

/// A fresh verb table; each verb keeps its own options for as long as the table lives.
std::vector<cli::subcommand> register_verbs();

}  // namespace amlops::registry
