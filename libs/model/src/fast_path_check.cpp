#include "amlops/model/fast_path_check.hpp"

#include "amlops/core/sha256.hpp"
#include "amlops/core/version.hpp"
#include "amlops/model/mlflow.hpp"

#include <cmath>
#include <cstring>
#include <limits>

namespace amlops::model {
namespace {

std::string_view string_field(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
}

// SplitMix64: a fixed, well-mixed sequence, so the probe is the same on every machine.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

std::string predictions_hash(const std::vector<float>& predicted) {
    return sha256_hex(std::string_view(reinterpret_cast<const char*>(predicted.data()), predicted.size() * sizeof(float)));
}

std::string probe_hash(const flat_forest& forest) {
    const std::vector<float> rows = fast_path_probe(forest, fast_path_probe_rows);
    return predictions_hash(forest.predict(rows, fast_path_probe_rows, 1));
}

}  // namespace

std::vector<float> fast_path_probe(const flat_forest& forest, std::size_t rows) {
    const auto thresholds = forest.split_thresholds();
    const std::size_t features = forest.num_features();
    std::vector<float> out(rows * features, 0.0f);
    for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t f = 0; f < features; ++f) {
            const auto& cuts = thresholds[f];
            if (cuts.empty()) continue;
            const std::uint64_t h = mix(r * features + f);
            const float t = cuts[h % cuts.size()];
            float& v = out[r * features + f];
            switch ((h >> 32) % 8) {
            case 0:
            case 1: v = t; break;
            case 2:
            case 3: v = std::nextafter(t, -std::numeric_limits<float>::infinity()); break;
            case 4:
            case 5: v = std::nextafter(t, std::numeric_limits<float>::infinity()); break;
            case 6: v = r + 256 > rows ? std::numeric_limits<float>::quiet_NaN() : t; break;
            default: v = ((h >> 40) & 1) != 0 ? std::numeric_limits<float>::infinity() : -std::numeric_limits<float>::infinity(); break;
            }
        }
    }
    return out;
}

json::object to_json(const fast_path_check& check) {
    return {{"model_sha256", check.model_sha256}, {"amlops_version", check.amlops_version},
            {"build_commit", check.build_commit}, {"kernel", check.kernel},
            {"rows", check.rows},                 {"probe_rows", fast_path_probe_rows},
            {"probe_sha256", check.probe_sha256}, {"identical", check.identical}};
}

std::optional<fast_path_check> check_fast_path(std::string_view model_json, const xgb::booster& booster, std::span<const float> values,
                                               std::size_t rows, std::span<const float> reference) {
    auto forest = flat_forest::from_xgboost_json(model_json, "model.json");
    if (!forest || reference.size() != rows || values.size() != rows * forest->num_features()) return std::nullopt;
    const std::vector<float> fast = forest->predict(values, rows);
    const std::vector<float> probe = fast_path_probe(*forest, fast_path_probe_rows);
    const std::vector<float> probe_fast = forest->predict(probe, fast_path_probe_rows, 1);
    const std::vector<float> probe_xgboost = booster.predict_dense(probe, fast_path_probe_rows, forest->num_features());
    fast_path_check check;
    check.model_sha256 = sha256_hex(model_json);
    check.amlops_version = std::string(version());
    check.build_commit = std::string(build_commit());
    check.kernel = std::string(flat_forest::kernel_name(forest->chosen_kernel()));
    check.rows = rows;
    check.probe_sha256 = predictions_hash(probe_fast);  // the probe as predicted above, not predicted again
    check.identical = rows > 0 && std::memcmp(fast.data(), reference.data(), rows * sizeof(float)) == 0 &&
                      probe_xgboost.size() == probe_fast.size() &&
                      std::memcmp(probe_fast.data(), probe_xgboost.data(), probe_fast.size() * sizeof(float)) == 0;
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
           string_field(r, "kernel") == flat_forest::kernel_name(forest.chosen_kernel()) &&
           string_field(r, "probe_sha256") == probe_hash(forest);  // last: the only step that predicts
}

}  // namespace amlops::model
