#include "amlops/auth/credentials.hpp"

namespace amlops::auth {

chained_token_credential::chained_token_credential(std::vector<std::shared_ptr<token_credential>> sources)
    : sources_(std::move(sources)) {}

std::string chained_token_credential::name() const {
    std::string out = "credential chain (";
    for (std::size_t i = 0; i < sources_.size(); ++i) out += (i ? ", " : "") + sources_[i]->name();
    return out + ")";
}

access_token chained_token_credential::get_token(const std::string& scope) {
    std::shared_ptr<token_credential> chosen;
    {
        std::lock_guard lock(mutex_);
        chosen = chosen_;
    }
    if (chosen) return chosen->get_token(scope);
    std::string reasons;
    for (const auto& source : sources_) {
        try {
            access_token t = source->get_token(scope);
            std::lock_guard lock(mutex_);
            chosen_ = source;
            return t;
        } catch (const credential_unavailable& e) {
            reasons += "\n  - " + std::string(e.what());
        } catch (const amlops::error& e) {
            error out(e.kind() == error_kind::network ? error_kind::network : error_kind::auth,
                      "authentication failed: " + source->name() + " is configured but failed: " + e.what() +
                          (reasons.empty() ? std::string() : "\n  earlier sources were unavailable:" + reasons));
            if (e.context().http_status) out.with_http_status(*e.context().http_status);
            if (e.context().request_id) out.with_request_id(*e.context().request_id);
            throw out;
        }
    }
    throw error(error_kind::auth, "no credential could provide a token for '" + scope + "':" + reasons);
}

std::shared_ptr<chained_token_credential> make_default_chain(const credential_options& options) {
    const auto o = options.resolved();
    return std::make_shared<chained_token_credential>(std::vector<std::shared_ptr<token_credential>>{
        std::make_shared<environment_credential>(o), std::make_shared<workload_identity_credential>(o),
        std::make_shared<github_actions_credential>(o), std::make_shared<managed_identity_credential>(o),
        std::make_shared<azure_cli_credential>(o)});
}

cached_credential::cached_credential(std::shared_ptr<token_credential> inner, std::chrono::seconds refresh_margin,
                                     std::function<std::chrono::system_clock::time_point()> now)
    : inner_(std::move(inner)), margin_(refresh_margin),
      now_(now ? std::move(now) : std::function<std::chrono::system_clock::time_point()>(std::chrono::system_clock::now)) {
    if (!inner_) throw error(error_kind::internal, "cached_credential needs a credential");
}

access_token cached_credential::get_token(const std::string& scope) {
    // One lock around the refresh too: concurrent callers wait for one token request instead of
    // each sending their own.
    std::lock_guard lock(mutex_);
    const auto now = now_();
    auto it = cache_.find(scope);
    if (it != cache_.end() && now + margin_ < it->second.expires_on) return it->second;
    try {
        access_token fresh = inner_->get_token(scope);
        cache_[scope] = fresh;
        return fresh;
    } catch (const amlops::error&) {
        if (it != cache_.end() && now < it->second.expires_on) return it->second;
        throw;
    }
}

}  // namespace amlops::auth
