// Workload identity federation (Entra ID): a federated identity credential on an app registration
// is {issuer, subject, audiences}; Entra accepts a `client_assertion` JWT (grant_type
// client_credentials, client_assertion_type jwt-bearer) that the issuer signed, whose `iss`, `sub`
// and `aud` match one credential exactly (subjects are compared as exact strings, so
// `repo:o/r:environment:production` never matches `repo:o/r:ref:refs/heads/main`), and that is
// within its validity window (Microsoft identity platform documentation, "Workload identity
// federation" and "Configure an app to trust an external identity provider"). A subject that
// matches nothing is AADSTS70021 "No matching federated identity record found for presented
// assertion" (the documented troubleshooting error, which names issuer, subject and audience).
#include "emulator_federated.hpp"

#include "amlops/auth/jwt.hpp"

namespace amlops::emulator::detail {

namespace {

std::string claim_text(const json::object& claims, const char* key) {
    const auto* v = claims.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

bool audience_contains(const json::object& claims, const std::string& want) {
    const auto* v = claims.if_contains("aud");
    if (!v) return false;
    if (v->is_string()) return v->as_string() == want;
    if (v->is_array())
        for (const auto& a : v->as_array())
            if (a.is_string() && a.as_string() == want) return true;
    return false;
}

/// The claims without verifying the signature: only to decide whether federation applies.
json::object unverified_claims(const std::string& jwt) {
    const auto d1 = jwt.find('.');
    const auto d2 = d1 == std::string::npos ? d1 : jwt.find('.', d1 + 1);
    if (d2 == std::string::npos) return {};
    try {
        auto c = json::parse(auth::base64url_decode(std::string_view(jwt).substr(d1 + 1, d2 - d1 - 1)), "JWT claims");
        return c.is_object() ? c.as_object() : json::object{};
    } catch (const std::exception&) {
        return {};
    }
}

}  // namespace

federated_verdict check_federated_assertion(const std::string& assertion, const options& opt,
                                            std::chrono::system_clock::time_point now) {
    federated_verdict v;
    const auto peek = unverified_claims(assertion);
    const auto iss = claim_text(peek, "iss");
    if (iss.empty() || iss == opt.client_id || opt.federated_credentials.empty()) return v;
    v.applies = true;
    json::object claims;
    try {
        claims = auth::verify_rs256(assertion, opt.federated_issuer_certificate_pem).claims;
    } catch (const std::exception& e) {
        v.error = std::string("AADSTS700027: Client assertion failed signature validation: ") + e.what();
        return v;
    }
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const auto* exp = claims.if_contains("exp");
    const auto* nbf = claims.if_contains("nbf");
    if (!exp || !exp->is_number() || exp->to_number<double>() < static_cast<double>(seconds) ||
        (nbf && nbf->is_number() && nbf->to_number<double>() > static_cast<double>(seconds) + 300)) {
        v.error = "AADSTS700024: Client assertion is not within its valid time range.";
        return v;
    }
    const auto sub = claim_text(claims, "sub");
    for (const auto& fc : opt.federated_credentials)
        if (fc.issuer == iss && fc.subject == sub && audience_contains(claims, fc.audience)) return v;
    std::string aud;
    if (const auto* a = claims.if_contains("aud"); a && a->is_string()) aud = a->as_string();
    v.error = "AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: '" + iss +
              "'. Assertion Subject: '" + sub + "'. Assertion Audience: '" + aud + "'.";
    return v;
}

}  // namespace amlops::emulator::detail
