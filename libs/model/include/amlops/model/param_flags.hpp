#pragma once
// The training parameters as command-line flags (aml-train). Kept apart from params.hpp so only
// the code that declares flags sees Boost.Program_options.

#include "amlops/model/params.hpp"

#include <boost/program_options/options_description.hpp>

namespace amlops::model {

/// Declares one `--<name-with-dashes> VALUE` flag per parameter; values land in `overrides`.
/// `defaults` supplies the values shown in --help.
void describe_param_flags(boost::program_options::options_description& options, param_overrides& overrides,
                          const train_params& defaults = {});

}  // namespace amlops::model
