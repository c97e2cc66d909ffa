#pragma once
// The verbs of aml-provision with their flags, for cli::run_subcommands: plan, apply, verify,
// destroy, outputs. Each opens ARM with the caller's environment and the trust of --ca-file
// (passed down to the transport, never through SSL_CERT_FILE).

#include "amlops/cli/tool.hpp"

#include <vector>

namespace amlops::provision {

/// A fresh verb table; each verb keeps its own options for as long as the table lives.
std::vector<cli::subcommand> provision_verbs();

}  // namespace amlops::provision
