#pragma once
// Internal: the pieces every credential shares (token endpoint requests, response parsing).

#include "amlops/auth/credential.hpp"

#include <utility>
#include <vector>

namespace amlops::auth::detail {

/// `{authority}/{tenant}/oauth2/v2.0/token`; throws error(config) on a malformed tenant id.
std::string token_url(const credential_options& o, const std::string& tenant);

/// The token-request pipeline: client request id, user agent, retry, logging, transport.
std::shared_ptr<http::transport> token_pipeline(const credential_options& o, std::shared_ptr<http::transport> inner = {});

/// POSTs a form to the Entra ID token endpoint and parses the answer. `source` names the
/// credential in errors.
access_token request_entra_token(const credential_options& o, const std::string& source, const std::string& tenant,
                                 const std::vector<std::pair<std::string, std::string>>& form);

/// Parses a token response: `access_token` + `expires_in` (seconds from now) or `expires_on`
/// (epoch seconds), numbers or strings. Non-2xx → error(auth) with the service's error code and
/// description (redacted), never the request.
access_token parse_token_response(const http::response& res, const std::string& source,
                                  std::chrono::system_clock::time_point now);

/// A required environment variable, or credential_unavailable listing `missing` variables.
std::optional<std::string> env_value(const credential_options& o, const std::string& name);

}  // namespace amlops::auth::detail
