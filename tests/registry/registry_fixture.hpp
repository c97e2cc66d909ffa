#pragma once
// Shared helpers for registry tests: a scratch workspace and small fake MLflow model folders.

#include "amlops/workspace/workspace.hpp"
#include "test_support.hpp"

#include <filesystem>
#include <string>

namespace amlops::test {

/// Writes a small model folder (MLmodel, model.json with `payload`, a nested file) and returns it.
inline std::filesystem::path make_model(const std::filesystem::path& dir, const std::string& payload) {
    write_text(dir / "MLmodel", "artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.xgboost\n");
    write_text(dir / "model.json", "{\"learner\": \"" + payload + "\"}");
    write_text(dir / "metrics" / "metrics.json", "{\"rmse\": 3.5}");
    return dir;
}

/// A decision.json in aml-compare's shape.
inline std::filesystem::path make_decision(const std::filesystem::path& file, bool approve, double rmse = 3.25) {
    write_text(file, std::string("{\"decision\": \"") + (approve ? "approve" : "reject") +
                         "\", \"reasons\": [\"candidate rmse " + std::to_string(rmse) +
                         " is worse than champion rmse 3\"], \"primary_metric\": \"rmse\", \"metrics\": {\"candidate\": "
                         "{\"n\": 100, \"rmse\": " + std::to_string(rmse) + ", \"mae\": 2.5, \"r2\": 0.9}, "
                         "\"champion\": null, \"delta\": null}}");
    return file;
}

/// Corrupts one byte of a stored blob (blobs are read-only, so make it writable first).
inline void flip_byte(const std::filesystem::path& blob) {
    std::filesystem::permissions(blob, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
    std::string data = read_text(blob);
    data[data.size() / 2] = static_cast<char>(data[data.size() / 2] ^ 0x01);
    write_text(blob, data);
}

}  // namespace amlops::test
