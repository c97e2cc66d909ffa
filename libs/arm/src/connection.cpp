#include "amlops/arm/connection.hpp"

#include "amlops/auth/credentials.hpp"
#include "amlops/core/version.hpp"

namespace amlops::arm {

connection::connection(connection_options o) {
    const env_lookup env = o.env ? o.env : system_env();
    transport_ = o.transport;
    if (!transport_) {
        http::transport_options to;
        to.ca_file = o.ca_file;
        to.env = env;
        transport_ = http::make_transport(to);
    }
    cloud_ = auth::cloud_endpoints::from_env(env).with_overrides(o.arm_endpoint, o.authority_host);

    credential_ = o.credential;
    if (!credential_) {
        auth::credential_options co;
        co.env = env;
        co.cloud = cloud_;
        co.cloud_from_env = false;  // the overrides above win over the environment
        co.transport = transport_;
        co.retry = o.retry;
        co.log = o.log;
        co.now = o.now;
        credential_ = std::make_shared<auth::cached_credential>(auth::make_default_chain(co));
    }

    pipeline_options_.user_agent = "amlops/" + std::string(version());
    if (!o.tool.empty()) pipeline_options_.user_agent += " (" + o.tool + ")";
    pipeline_options_.retry = o.retry;
    pipeline_options_.log = o.log;

    client_options ao = o.arm;
    ao.endpoint = cloud_.resource_manager;
    arm_ = std::make_shared<client>(pipeline(cloud_.arm_scope()), ao);
}

std::shared_ptr<http::pipeline> connection::pipeline(const std::string& scope) const {
    http::pipeline_options p = pipeline_options_;
    if (!scope.empty()) {
        p.credential = credential_;
        p.scope = scope;
    }
    return http::make_pipeline(p, transport_);
}

}  // namespace amlops::arm
