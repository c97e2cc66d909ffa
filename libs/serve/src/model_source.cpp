// Model folder / registry URI loading for the scoring service and aml-predict.
#include "amlops/serve/model_source.hpp"

#include "amlops/core/error.hpp"
#include "amlops/drift/profile.hpp"
#include "amlops/model/mlflow.hpp"
#include "amlops/model/model.hpp"
#include "amlops/model/signature.hpp"
#include "amlops/registry/registry.hpp"
#include "amlops/registry/uri.hpp"
#include "amlops/workspace/workspace.hpp"

#include <yaml-cpp/yaml.h>

namespace amlops::serve {

namespace fs = std::filesystem;

namespace {

// MLflow types of the signature inputs, or "double" for each column when MLmodel has no
// column-based signature (the types only feed swagger.json).
std::vector<std::string> signature_types(const fs::path& dir, const std::vector<std::string>& columns) {
    std::vector<std::string> types(columns.size(), "double");
    try {
        auto doc = YAML::LoadFile((dir / "MLmodel").string());
        auto inputs = doc["signature"]["inputs"];
        if (!inputs) return types;
        auto specs = model::columns_from_json(inputs.as<std::string>(), "MLmodel");
        for (std::size_t i = 0; i < columns.size(); ++i) {
            for (const auto& s : specs) {
                if (s.name == columns[i]) types[i] = s.type;
            }
        }
    } catch (const std::exception&) {  // the model itself loaded: types are documentation only
    }
    return types;
}

// A downloaded version holds the model folder either at its root or in one subfolder.
fs::path find_model_dir(const fs::path& root) {
    if (fs::exists(root / "MLmodel")) return root;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (e.is_regular_file() && e.path().filename() == "MLmodel") return e.path().parent_path();
    }
    throw error(error_kind::bad_input, "the registered version has no MLmodel file").in_file(root);
}

}  // namespace

bool is_registry_uri(const std::string& source) noexcept { return source.rfind("azureml://", 0) == 0; }

std::shared_ptr<const loaded_source> load_model_folder(const fs::path& dir, const std::string& source) {
    auto m = std::make_shared<model::loaded_model>(model::loaded_model::load(dir));
    auto out = std::make_shared<loaded_source>();
    out->source = source;
    out->model_name = fs::absolute(dir).lexically_normal().filename().string();
    if (out->model_name.empty()) out->model_name = fs::absolute(dir).lexically_normal().parent_path().filename().string();
    out->columns = column_set(m->input_columns());
    out->column_types = signature_types(dir, m->input_columns());
    if (auto p = drift::load_profile(dir)) out->profile = std::make_shared<const drift::profile>(std::move(*p));
    out->model = std::move(m);
    return out;
}

std::shared_ptr<const loaded_source> load_model_source(const std::string& source, const fs::path& workspace_root,
                                                       const env_lookup& env, logger& log,
                                                       const registry::backend_surroundings& with) {
    if (!is_registry_uri(source)) return load_model_folder(source, source);
    auto uri = registry::model_uri::parse(source);
    auto ws = registry::workspace::from_environment(workspace_root, env, log, with);
    auto reg = ws.open(uri.registry);
    auto version = reg->get(uri);
    auto tmp = ws.make_temp_dir("serve-" + version.name);
    struct cleanup {
        fs::path p;
        ~cleanup() {
            std::error_code ec;
            fs::remove_all(p, ec);
        }
    } guard{tmp};
    reg->download(version, tmp);
    auto loaded = load_model_folder(find_model_dir(tmp), source);
    auto out = std::make_shared<loaded_source>(*loaded);
    out->model_name = version.name;
    out->model_version = std::to_string(version.version);
    log.info("loaded " + source + " (" + version.name + " version " + out->model_version + ")");
    return out;
}

model_loader make_model_loader(fs::path workspace_root, env_lookup env, logger& log, registry::backend_surroundings with) {
    return [root = std::move(workspace_root), env = std::move(env), &log, with = std::move(with)](const std::string& source) {
        return load_model_source(source, root, env, log, with);
    };
}

}  // namespace amlops::serve
