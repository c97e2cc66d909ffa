#include "amlops/deploy/model_ref.hpp"

#include "amlops/core/error.hpp"
#include "amlops/workspace/workspace.hpp"

namespace amlops::deploy {

namespace {
bool is_registry_uri(const std::string& s) { return s.rfind("azureml://", 0) == 0; }
}  // namespace

resolved_model resolve_model(const std::string& source, const std::filesystem::path& workspace_root, const env_lookup& env,
                             logger& log, const registry::backend_surroundings& with) {
    resolved_model m;
    if (!is_registry_uri(source)) {
        std::error_code ec;
        const auto dir = std::filesystem::absolute(source, ec);
        if (ec || !std::filesystem::is_directory(dir))
            throw error(error_kind::not_found, "model folder does not exist (or pass a registry URI azureml://...)").in_file(source);
        m.identity = {dir.filename().string(), "", "folder", dir.string()};
        m.service_uri = m.identity.uri;
        return m;
    }
    const auto uri = registry::model_uri::parse(source);
    auto ws = registry::workspace::from_environment(workspace_root, env, log, with);
    const auto v = ws.open(uri.registry)->get(uri);
    m.identity = {v.name, std::to_string(v.version), "registry", v.uri().to_string()};
    m.registry = v.registry;
    m.version = v.version;
    m.workspace_root = ws.root();
    m.service_uri = m.identity.uri;
    // An amlops registry name is not the Azure ML registry's: config.yaml maps one to the other.
    if (const auto* cfg = ws.config_of(v.registry); cfg && cfg->backend == "azureml") {
        const auto get = [&](const char* k) {
            const auto it = cfg->settings.find(k);
            return it == cfg->settings.end() ? std::string() : it->second;
        };
        const std::string version = std::to_string(v.version);
        if (!get("registry").empty())
            m.service_uri = "azureml://registries/" + get("registry") + "/models/" + v.name + "/versions/" + version;
        else if (!get("workspace").empty())
            m.service_uri = "/subscriptions/" + get("subscription") + "/resourceGroups/" + get("resource_group") +
                            "/providers/Microsoft.MachineLearningServices/workspaces/" + get("workspace") + "/models/" + v.name +
                            "/versions/" + version;
    }
    if (m.identity.uri != source) log.info(source + " resolves to " + m.identity.uri);
    return m;
}

bool record_release(const resolved_model& m, const endpoint& ep, const release_outcome& o, const env_lookup& env, logger& log,
                    const registry::backend_surroundings& with) {
    if (!m.registry) return false;
    auto ws = registry::workspace::from_environment(m.workspace_root, env, log, with);
    registry::deployment_record rec;
    rec.endpoint = ep.name();
    rec.deployment = o.slot;
    rec.recorded_by = registry::detect_actor(env);
    const auto share = find_slot(o.current.traffic, o.slot);
    rec.details = json::object{{"traffic", share == o.current.traffic.end() ? 0 : share->second},
                               {"endpoint_traffic", to_json(o.current.traffic)},
                               {"previous_traffic", to_json(o.previous.traffic)},
                               {"scoring_uri", ep.scoring_uri()},
                               {"smoke_rmse", o.smoke.rmse ? json::value(*o.smoke.rmse) : json::value(nullptr)}};
    ws.open(*m.registry)->record_deployment(m.identity.name, m.version, rec);
    log.info("recorded deployment '" + o.slot + "' on " + ep.name() + " for " + m.identity.uri);
    return true;
}

}  // namespace amlops::deploy
