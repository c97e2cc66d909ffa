#include "amlops/model/fast_path_check.hpp"

#include "amlops/core/sha256.hpp"
#include "amlops/core/version.hpp"
#include "amlops/model/mlflow.hpp"

#include <cstring>

namespace amlops::model {
namespace {

std::string_view string_field(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
}

}  // namespace

json::object to_json(const fast_path_check& check) {
    return {{"model_sha256", check.model_sha256}, {"amlops_version", check.amlops_version},
            {"build_commit", check.build_commit}, {"kernel", check.kernel},
            {"rows", check.rows},                 {"identical", check.identical}};
}

std::optional<fast_path_check> check_fast_path(std::string_view model_json, std::span<const float> values, std::size_t rows,
                                               std::span<const float> reference) {
    auto forest = flat_forest::from_xgboost_json(model_json, "model.json");
    if (!forest || reference.size() != rows || values.size() != rows * forest->num_features()) return std::nullopt;
    const std::vector<float> fast = forest->predict(values, rows);
    fast_path_check check;
    check.model_sha256 = sha256_hex(model_json);
    check.amlops_version = std::string(version());
    check.build_commit = std::string(build_commit());
    check.kernel = std::string(flat_forest::kernel_name(forest->chosen_kernel()));
    check.rows = rows;
    check.identical = rows > 0 && std::memcmp(fast.data(), reference.data(), rows * sizeof(float)) == 0;
    return check;
}

bool fast_path_check_applies(const json::object& manifest, std::string_view model_file, const flat_forest& forest) {
    const auto* record = manifest.if_contains(fast_path_check_key);
    if (record == nullptr || !record->is_object()) return false;
    const auto& r = record->get_object();
    // The model's hash as the manifest lists it; verify_model_folder has matched it to the bytes.
    std::string_view listed;
    if (const auto* files = manifest.if_contains("files"); files != nullptr && files->is_object())
        listed = string_field(files->get_object(), model_file);
    if (listed.empty() && model_file == model_data_file) listed = string_field(manifest, "model_sha256");
    const auto* identical = r.if_contains("identical");
    const auto* rows = r.if_contains("rows");
    return !listed.empty() && string_field(r, "model_sha256") == listed && identical != nullptr && identical->is_bool() &&
           identical->get_bool() && rows != nullptr && rows->is_number() && rows->to_number<double>() > 0 &&
           string_field(r, "amlops_version") == version() && string_field(r, "build_commit") == build_commit() &&
           string_field(r, "kernel") == flat_forest::kernel_name(forest.chosen_kernel());
}

}  // namespace amlops::model
