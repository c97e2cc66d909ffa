#include "amlops/azureml_jobs/workspace.hpp"

#include "amlops/azureml/datastore.hpp"

#include "amlops/arm/connection.hpp"
#include "amlops/core/error.hpp"

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
std::string str(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->as_string());
    return {};
}
}  // namespace

workspace_session::workspace_session(workspace_ref where, connection_options o) : where_(std::move(where)), options_(std::move(o)) {
    arm::connection_options co;
    co.env = options_.env;
    co.ca_file = options_.ca_file;
    co.transport = options_.transport;
    co.credential = options_.credential;
    co.retry = options_.retry;
    co.log = options_.log;
    co.arm.sleep = options_.sleep;
    arm::connection connection(co);
    credential_ = connection.credential();
    arm_ = connection.shared_arm();
    data_plane_ = connection.pipeline(connection.cloud().arm_scope());
    storage_ = connection.pipeline(arm::storage_scope);
    sas_ = connection.pipeline("");
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
