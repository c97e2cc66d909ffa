#pragma once
// Entra workload identity federation for the emulator's token endpoint: a client assertion issued
// by an external identity provider (GitHub Actions OIDC) instead of signed by the app's own
// certificate. Internal to the emulator, tests only.

#include "emulator.hpp"

#include <chrono>
#include <string>

namespace amlops::emulator::detail {

struct federated_verdict {
    bool applies = false;  ///< the assertion names an issuer other than the client: federation
    std::string error;     ///< empty when accepted; else Entra's error description
};

/// Checks `assertion` against the app's federated credentials the way Entra does: signature by the
/// issuer's key, `exp`/`nbf` window, then one credential whose issuer, subject (exact match) and
/// audience all equal the token's.
federated_verdict check_federated_assertion(const std::string& assertion, const options& opt,
                                            std::chrono::system_clock::time_point now);

}  // namespace amlops::emulator::detail
