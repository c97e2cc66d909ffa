// Azure ML custom-container settings for `aml-predict serve` (see the header for the variables).
#include "amlops/serve/azureml_container.hpp"

#include "amlops/core/error.hpp"

#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

namespace amlops::serve::azureml {

namespace fs = std::filesystem;

namespace {

// A positive integer variable no larger than `max`; nullopt when unset or empty.
std::optional<unsigned> positive_variable(const env_lookup& env, const std::string& name, unsigned max) {
    auto text = env(name);
    if (!text || text->empty()) return std::nullopt;
    unsigned long long v = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc{} || end != text->data() + text->size() || v == 0 || v > max) {
        throw error(error_kind::config, name + " must be an integer from 1 to " + std::to_string(max) + ", got '" + *text + "'")
            .on_field(name);
    }
    return static_cast<unsigned>(v);
}

// A switch: 1/true on, 0/false/unset off; anything else is a mistake worth stopping for (a
// deployment meant to watch drift that silently does not).
bool switch_variable(const env_lookup& env, const std::string& name) {
    auto text = env(name);
    if (!text || text->empty() || *text == "0" || *text == "false") return false;
    if (*text == "1" || *text == "true") return true;
    throw error(error_kind::config, name + " must be 1, true, 0 or false, got '" + *text + "'").on_field(name);
}

bool has_mlmodel(const fs::path& dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / "MLmodel", ec);
}

}  // namespace

fs::path resolve_model_dir(const fs::path& root) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) {
        throw error(error_kind::not_found, "AZUREML_MODEL_DIR is not a folder").in_file(root.string()).on_field("AZUREML_MODEL_DIR");
    }
    if (has_mlmodel(root)) return root;
    std::vector<fs::path> candidates;
    for (const auto& entry : fs::directory_iterator(root, ec)) {
        if (entry.is_directory(ec) && has_mlmodel(entry.path())) candidates.push_back(entry.path());
    }
    if (candidates.size() == 1) return candidates.front();
    if (candidates.empty()) {
        throw error(error_kind::not_found, "no MLflow model (an MLmodel file) in AZUREML_MODEL_DIR or its subfolders")
            .in_file(root.string())
            .on_field("AZUREML_MODEL_DIR");
    }
    std::sort(candidates.begin(), candidates.end());
    std::string names;
    for (const auto& c : candidates) names += (names.empty() ? "" : ", ") + c.filename().string();
    throw error(error_kind::config, "several model folders in AZUREML_MODEL_DIR (" + names + "): serve one with --model DIR")
        .in_file(root.string())
        .on_field("AZUREML_MODEL_DIR");
}

std::optional<unsigned> scoring_timeout_from_env(const env_lookup& env) {
    return positive_variable(env, "SCORING_TIMEOUT_MS", max_request_timeout_ms);
}

std::optional<container_settings> container_settings_from_env(const env_lookup& env) {
    auto dir = env("AZUREML_MODEL_DIR");
    if (!dir || dir->empty()) return std::nullopt;
    container_settings s;
    // The cheap checks first: a bad number is reported even when the model folder is also wrong.
    s.request_timeout_ms = scoring_timeout_from_env(env).value_or(max_request_timeout_ms);
    // More request threads than this would only queue CPU-bound scoring behind each other.
    constexpr unsigned max_workers = 1024;
    s.threads = positive_variable(env, "WORKER_COUNT", max_workers).value_or(0);
    s.drift = switch_variable(env, "AMLOPS_DRIFT");
    s.model_dir = resolve_model_dir(*dir);
    return s;
}

}  // namespace amlops::serve::azureml
