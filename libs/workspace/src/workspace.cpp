#include "amlops/workspace/workspace.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "amlops/yaml/load.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <thread>

#include <unistd.h>

namespace amlops::registry {
namespace fs = std::filesystem;

namespace {

constexpr const char* config_header =
    "# amlops workspace configuration: which backend serves each registry name.\n"
    "# Commands and pipeline YAML use the same names (azureml://registries/<name>/...) everywhere;\n"
    "# only this mapping differs between a laptop (backend: local) and Azure.\n";

}  // namespace

workspace::workspace(fs::path root, local_options options, backend_surroundings with, backend_catalog backends)
    : root_(std::move(root)), options_(std::move(options)), with_(std::move(with)), backends_(std::move(backends)) {
    // A CA file given on the command line is checked now, whatever the backends: a typo must not
    // wait for the first Azure registry to surface. Its transport is then shared by all of them.
    if (!with_.ca_file.empty() && !with_.transport) with_.transport = transport_for(with_);
    std::error_code ec;
    fs::create_directories(root_, ec);
    if (ec) throw error(error_kind::io, "cannot create workspace folder: " + ec.message()).in_file(root_.string());
    load_config();
}

fs::path workspace::default_root(const env_lookup& env) {
    if (auto home = env("AMLOPS_HOME")) return *home;
    return ".amlops";
}

workspace workspace::from_environment(const fs::path& root, const env_lookup& env, logger& log, backend_surroundings with) {
    if (!with.env) with.env = env;
    local_options options;
    if (auto pause = env("AMLOPS_TEST_PAUSE_BEFORE_COMMIT_MS")) {
        long ms = 0;
        const auto r = std::from_chars(pause->data(), pause->data() + pause->size(), ms);
        if (r.ec != std::errc{} || r.ptr != pause->data() + pause->size() || ms < 0)
            throw error(error_kind::usage, "expected milliseconds, got '" + *pause + "'").on_field("AMLOPS_TEST_PAUSE_BEFORE_COMMIT_MS");
        options.before_commit = [&log, ms] {
            log.warn("test hook: pausing " + std::to_string(ms) + " ms before commit (pid " + std::to_string(::getpid()) + ")");
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        };
    }
    return workspace(root.empty() ? default_root(env) : root, std::move(options), std::move(with));
}

void workspace::load_config() {
    const fs::path file = root_ / "config.yaml";
    std::error_code ec;
    if (!fs::exists(file, ec)) {
        registries_ = {{"dev", {}}, {"prod", {}}};
        save_config();  // concurrent first users write identical content; the rename is atomic
        return;
    }
    const YAML::Node doc = yaml::load_file(file);
    const YAML::Node regs = doc["registries"];
    if (!regs || !regs.IsMap())
        throw error(error_kind::config, "expected a 'registries' mapping of name -> {backend: ...}").in_file(file.string()).on_field("registries");
    registries_.clear();
    for (const auto& kv : regs) {
        const std::string name = kv.first.as<std::string>();
        if (!is_valid_name(name))
            throw error(error_kind::config, "invalid registry name '" + name + "'").in_file(file.string()).on_field("registries");
        registry_config cfg;
        if (!kv.second.IsMap())
            throw error(error_kind::config, "expected a mapping with 'backend'").in_file(file.string()).on_field("registries." + name);
        for (const auto& setting : kv.second) {
            const std::string key = setting.first.as<std::string>();
            if (!setting.second.IsScalar())
                throw error(error_kind::config, "expected a scalar value").in_file(file.string()).on_field("registries." + name + "." + key);
            if (key == "backend") cfg.backend = setting.second.as<std::string>();
            else cfg.settings[key] = setting.second.as<std::string>();
        }
        registries_[name] = std::move(cfg);
    }
}

void workspace::save_config() const {
    YAML::Emitter out;
    out << YAML::BeginMap << YAML::Key << "registries" << YAML::Value << YAML::BeginMap;
    for (const auto& [name, cfg] : registries_) {
        out << YAML::Key << name << YAML::Value << YAML::BeginMap << YAML::Key << "backend" << YAML::Value << cfg.backend;
        for (const auto& [k, v] : cfg.settings) out << YAML::Key << k << YAML::Value << v;
        out << YAML::EndMap;
    }
    out << YAML::EndMap << YAML::EndMap;
    write_file_atomic(root_ / "config.yaml", std::string(config_header) + out.c_str() + "\n");
}

std::vector<std::string> workspace::registry_names() const {
    std::vector<std::string> out;
    for (const auto& [name, cfg] : registries_) out.push_back(name);
    return out;
}

const registry_config* workspace::config_of(const std::string& name) const {
    const auto it = registries_.find(name);
    return it == registries_.end() ? nullptr : &it->second;
}

std::unique_ptr<registry> workspace::open(const std::string& name) const {
    const auto it = registries_.find(name);
    if (it == registries_.end()) {
        std::string known;
        for (const auto& n : registry_names()) known += (known.empty() ? "" : ", ") + n;
        throw error(error_kind::not_found, "registry '" + name + "' is not configured (configured: " + known + ")")
            .in_file((root_ / "config.yaml").string());
    }
    const fs::path config_file = root_ / "config.yaml";
    const backend_factory* factory = backends_.find(it->second.backend);
    if (!factory) {
        std::string available;
        for (const auto& n : backends_.names()) available += (available.empty() ? "" : ", ") + n;
        throw error(error_kind::config, "registry '" + name + "' uses backend '" + it->second.backend +
                                            "', which this build does not provide (available: " + available + ")")
            .in_file(config_file.string()).on_field("registries." + name + ".backend");
    }
    return (*factory)(backend_request{name, it->second, root_, config_file, options_, with_});
}

void workspace::add_registry(const std::string& name, const registry_config& cfg) {
    require_valid_name(name, "registry name");
    if (auto it = registries_.find(name); it != registries_.end()) {
        if (it->second.backend == cfg.backend) return;
        throw error(error_kind::config, "registry '" + name + "' already exists with backend '" + it->second.backend + "'");
    }
    registries_[name] = cfg;
    save_config();
}

fs::path workspace::make_temp_dir(const std::string& label) const {
    fs::path dir = root_ / "tmp" / (label + "-" + random_uuid());
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw error(error_kind::io, "cannot create folder: " + ec.message()).in_file(dir.string());
    return dir;
}

std::string detect_actor(const env_lookup& env) {
    if (auto a = env("AMLOPS_ACTOR")) return *a;
    if (auto a = env("GITHUB_ACTOR")) return *a;
    if (auto user = env("USER")) {
        char host[256] = {};
        if (::gethostname(host, sizeof host - 1) == 0 && host[0]) return *user + "@" + host;
        return *user;
    }
    return "unknown";
}

}  // namespace amlops::registry
