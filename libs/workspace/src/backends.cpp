#include "amlops/workspace/backends.hpp"

#include "amlops/azureml/azureml_registry.hpp"
#include "amlops/core/error.hpp"

namespace amlops::registry {

void backend_catalog::add(const std::string& backend, backend_factory factory) { factories_[backend] = std::move(factory); }

const backend_factory* backend_catalog::find(const std::string& backend) const {
    const auto it = factories_.find(backend);
    return it == factories_.end() ? nullptr : &it->second;
}

std::vector<std::string> backend_catalog::names() const {
    std::vector<std::string> out;
    for (const auto& [name, factory] : factories_) out.push_back(name);
    return out;
}

backend_surroundings with_ca_file(std::filesystem::path ca_file) {
    backend_surroundings with;
    with.ca_file = std::move(ca_file);
    return with;
}

std::shared_ptr<http::transport> transport_for(const backend_surroundings& with) {
    if (with.transport) return with.transport;
    http::transport_options t;
    t.env = with.env ? with.env : system_env();
    if (!with.ca_file.empty()) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(with.ca_file, ec))
            throw error(error_kind::config, "CA file does not exist").in_file(with.ca_file.string()).on_field("--ca-file");
        t.ca_file = with.ca_file;
    }
    return http::make_transport(t);  // loads the CA bundle now: a bad file fails here, naming it
}

namespace {

std::unique_ptr<registry> open_local(const backend_request& r) {
    return open_local_registry(r.name, r.root / "registries" / r.name, r.root / "artifacts", r.local);
}

std::unique_ptr<registry> open_azureml(const backend_request& r) {
    azureml::target where;
    try {
        where = azureml::target::from_settings(r.name, r.config.settings);
    } catch (error& e) {
        e.in_file(r.config_file.string());
        throw;
    }
    azureml::backend_options o;
    o.env = r.with.env;
    o.transport = transport_for(r.with);
    o.credential = r.with.credential;
    o.now = r.with.now;
    o.log = r.with.log;
    if (r.with.sleep) {
        o.poll_sleep = r.with.sleep;
        o.retry.sleep = r.with.sleep;
    }
    return azureml::open_azureml_registry(r.name, where, std::move(o));
}

}  // namespace

backend_catalog standard_backends() {
    backend_catalog c;
    c.add("local", open_local);
    c.add("azureml", open_azureml);
    return c;
}

}  // namespace amlops::registry
