#include "amlops/azureml_jobs/workspace.hpp"

#include "amlops/azureml/datastore.hpp"

#include "amlops/auth/credential.hpp"
#include "amlops/auth/credentials.hpp"
#include "amlops/core/error.hpp"
#include "amlops/core/version.hpp"

#include <regex>
#include <thread>

namespace amlops::azureml_jobs {

workspace_ref workspace_ref::parse(const std::string& uri, const std::string& flag) {
    static const std::regex re("^azureml://subscriptions/([^/]+)/resourcegroups/([^/]+)/workspaces/([^/]+)$", std::regex::icase);
    std::smatch m;
    if (!std::regex_match(uri, m, re))
        throw error(error_kind::usage, "'" + uri + "' is not an Azure ML workspace URI (azureml://subscriptions/SUB/resourceGroups/RG/workspaces/NAME)")
            .on_field(flag);
    return {m[1].str(), m[2].str(), m[3].str()};
}

arm::resource_id workspace_ref::id() const { return arm::workspace_id(subscription, resource_group, workspace); }

std::string workspace_ref::uri() const {
    return "azureml://subscriptions/" + subscription + "/resourceGroups/" + resource_group + "/workspaces/" + workspace;
}

namespace {
std::string with_slash(std::string s) {
    if (s.empty() || s.back() != '/') s += '/';
    return s;
}
std::string str(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->as_string());
    return {};
}
}  // namespace

workspace_session::workspace_session(workspace_ref where, connection_options o) : where_(std::move(where)), options_(std::move(o)) {
    if (!options_.env) options_.env = system_env();
    if (!options_.transport) {
        http::transport_options to;
        to.ca_file = options_.ca_file;
        to.env = options_.env;
        options_.transport = http::make_transport(to);
    }
    const auto cloud = auth::cloud_endpoints::from_env(options_.env);
    credential_ = options_.credential;
    if (!credential_) {
        auth::credential_options co;
        co.env = options_.env;
        co.cloud = cloud;
        co.cloud_from_env = false;
        co.transport = options_.transport;
        co.retry = options_.retry;
        co.log = options_.log;
        credential_ = std::make_shared<auth::cached_credential>(auth::make_default_chain(co));
    }
    http::pipeline_options p;
    p.user_agent = std::string("amlops/") + std::string(amlops::version());
    p.retry = options_.retry;
    p.credential = credential_;
    p.scope = cloud.arm_scope();
    p.log = options_.log;
    arm::client_options ao;
    ao.endpoint = with_slash(cloud.resource_manager);
    ao.sleep = options_.sleep;
    arm_ = std::make_unique<arm::client>(http::make_pipeline(p, options_.transport), ao);
    data_plane_ = http::make_pipeline(p, options_.transport);
    auto s = p;
    s.scope = "https://storage.azure.com/.default";
    storage_ = http::make_pipeline(s, options_.transport);
    auto plain = p;
    plain.credential = nullptr;
    sas_ = http::make_pipeline(plain, options_.transport);
}

std::string workspace_session::ml_token() { return credential_->get_token("https://ml.azure.com/.default").token; }

void workspace_session::sleep(std::chrono::milliseconds d) const {
    if (options_.sleep) options_.sleep(d);
    else std::this_thread::sleep_for(d);
}

const azureml::datastore_location& workspace_session::datastore(const std::string& name) {
    if (auto it = datastores_.find(name); it != datastores_.end()) return it->second;
    return datastores_[name] = azureml::locate_datastore(*arm_, id(), name, options_.blob_endpoint);
}

std::string workspace_session::run_history_base() {
    if (!history_base_.empty()) return history_base_;
    // The data-plane host is not ARM: the workspace names its discovery document, whose `api`
    // entry is the base of run history (what the Python SDK's _get_workspace_url does).
    const auto ws = arm_->get(id());
    const auto* props = ws.as_object().if_contains("properties");
    const auto discovery = props && props->is_object() ? str(props->as_object(), "discoveryUrl") : std::string();
    if (discovery.empty()) throw error(error_kind::service, "workspace " + where_.uri() + " has no discoveryUrl");
    const auto doc = json::parse(get_text(*sas_, discovery, "the workspace discovery document"), "discovery document");
    const auto api = doc.is_object() ? str(doc.as_object(), "api") : std::string();
    if (api.empty()) throw error(error_kind::service, "the discovery document of " + where_.uri() + " has no 'api' URL");
    history_base_ = api;
    while (!history_base_.empty() && history_base_.back() == '/') history_base_.pop_back();
    return history_base_;
}

std::string get_text(http::transport& t, const std::string& url, const std::string& what) {
    http::request req;
    req.method = "GET";
    req.url = url;
    http::response res;
    try {
        res = t.send(req);
    } catch (const http::transport_error& e) {
        throw error(error_kind::network, "reading " + what + " failed: " + e.what());
    }
    if (!res.ok())
        throw error(res.status == 404 ? error_kind::not_found : error_kind::service,
                    "reading " + what + " failed with HTTP " + std::to_string(res.status))
            .with_http_status(res.status);
    return res.body;
}

}  // namespace amlops::azureml_jobs
