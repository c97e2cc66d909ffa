#include "amlops/model/model_integrity.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "amlops/core/sha256.hpp"
#include "amlops/model/mlflow.hpp"
#include "amlops/yaml/load.hpp"
#include "xgboost_json.hpp"

#include <yaml-cpp/yaml.h>

namespace amlops::model {
namespace fs = std::filesystem;

namespace {

[[noreturn]] void bad_manifest(const fs::path& manifest, const std::string& why, const std::string& field) {
    throw error(error_kind::bad_input, "invalid model manifest: " + why).in_file(manifest.string()).on_field(field);
}

// A manifest names files inside the folder only (it is read from the folder it guards).
bool plain_name(const std::string& name) {
    const fs::path p(name);
    return !name.empty() && p.is_relative() && !p.lexically_normal().string().starts_with("..") &&
           name.find('\\') == std::string::npos;
}

void check_one(const fs::path& dir, const std::string& name, const std::string& expected,
               const std::map<std::string, std::string_view>& already_read) {
    const fs::path file = dir / name;
    std::string actual;
    if (auto it = already_read.find(name); it != already_read.end()) {
        actual = sha256_hex(it->second);
    } else {
        std::error_code ec;
        if (!fs::is_regular_file(file, ec))
            throw error(error_kind::bad_input, "model file listed in manifest.json is missing").in_file(file.string());
        actual = sha256_file(file);
    }
    if (actual != expected)
        throw error(error_kind::bad_input, "model file does not match manifest.json (sha256 " + actual +
                                               ", manifest says " + expected +
                                               "): changed or corrupted since aml-train wrote it")
            .in_file(file.string());
}

}  // namespace

std::size_t verify_model_folder(const fs::path& dir, const std::map<std::string, std::string_view>& already_read,
                                json::object* manifest_out) {
    const fs::path manifest = dir / manifest_file;
    std::error_code ec;
    if (!fs::exists(manifest, ec)) return 0;
    const std::string text = read_file(manifest);
    json::value doc;
    try {
        doc = json::parse(text, manifest.string());
    } catch (const error& e) {
        throw error(error_kind::bad_input, std::string("invalid model manifest: ") + e.what()).in_file(manifest.string());
    }
    if (!doc.is_object()) bad_manifest(manifest, "not a JSON object", "");
    const auto& o = doc.get_object();
    std::map<std::string, std::string> expected;
    if (const auto* files = o.if_contains("files")) {
        if (!files->is_object()) bad_manifest(manifest, "\"files\" must be an object of name: sha256", "files");
        for (const auto& [k, v] : files->get_object()) {
            const std::string name(k);
            if (!plain_name(name)) bad_manifest(manifest, "file name '" + name + "' is not inside the folder", "files");
            if (!v.is_string() || v.get_string().size() != 64)
                bad_manifest(manifest, "sha256 of '" + name + "' must be 64 hex digits", "files." + name);
            expected[name] = std::string(v.get_string());
        }
    }
    if (const auto* m = o.if_contains("model_sha256")) {
        if (!m->is_string() || m->get_string().size() != 64)
            bad_manifest(manifest, "model_sha256 must be 64 hex digits", "model_sha256");
        auto [it, inserted] = expected.emplace(model_data_file, std::string(m->get_string()));
        if (!inserted && it->second != m->get_string())
            bad_manifest(manifest, "model_sha256 and files.model.json differ", "model_sha256");
    }
    // A manifest without hashes (not written by aml-train) guards nothing, like no manifest.
    for (const auto& [name, sha] : expected) check_one(dir, name, sha, already_read);
    if (manifest_out != nullptr && !expected.empty()) *manifest_out = o;
    return expected.size();
}

json::object file_hashes(const std::map<std::string, std::string>& contents) {
    json::object out;
    for (const auto& [name, bytes] : contents) out[name] = sha256_hex(bytes);
    return out;
}

void require_xgboost_json(std::string_view bytes, const std::string& origin) { (void)read_xgboost_json(bytes, origin); }

YAML::Node parse_mlmodel(std::string_view text, const std::string& origin) {
    const YAML::Node doc = yaml::parse(std::string(text), origin, error_kind::bad_input, "MLmodel YAML");
    if (!doc.IsMap()) throw error(error_kind::bad_input, "MLmodel must be a YAML mapping").in_file(origin);
    if (!doc["flavors"] || !doc["flavors"].IsMap())
        throw error(error_kind::bad_input, "MLmodel has no flavors").in_file(origin).on_field("flavors");
    return doc;
}

fs::path mlmodel_data_path(const YAML::Node& doc, const fs::path& dir, const std::string& origin) {
    const YAML::Node flavors = doc["flavors"];
    YAML::Node data;
    for (const char* flavor : {"xgboost", "python_function"}) {
        if (flavors[flavor] && flavors[flavor].IsMap() && flavors[flavor]["data"] && flavors[flavor]["data"].IsScalar()) {
            data = flavors[flavor]["data"];
            break;
        }
    }
    if (!data) throw error(error_kind::bad_input, "MLmodel has no flavors.xgboost.data (not an xgboost MLflow model)").in_file(origin);
    fs::path rel = data.Scalar();
    if (rel.empty() || rel.is_absolute() || rel.lexically_normal().string().starts_with(".."))
        throw error(error_kind::bad_input, "model data path '" + rel.string() + "' must be relative and inside the folder")
            .in_file(origin)
            .on_field("flavors.xgboost.data");
    return dir / rel;
}

}  // namespace amlops::model
