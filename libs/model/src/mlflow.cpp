#include "amlops/model/mlflow.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "amlops/xgb/booster.hpp"

#include <yaml-cpp/yaml.h>

#include <array>
#include <charconv>
#include <cmath>

namespace amlops::model {
namespace {

constexpr const char* conda_file = "conda.yaml";
constexpr const char* python_env_file = "python_env.yaml";
constexpr const char* requirements_file = "requirements.txt";
constexpr const char* input_example_file = "input_example.json";
// Versions of the build tools in python_env.yaml, contemporary with the pinned MLflow.
constexpr const char* pip_version = "23.3.1";
constexpr const char* setuptools_version = "68.2.2";
constexpr const char* wheel_version = "0.41.3";

std::string xgboost_version(const python_environment& env) {
    return env.xgboost_version.empty() ? xgb::library_version() : env.xgboost_version;
}

std::vector<std::string> requirements(const python_environment& env) {
    std::vector<std::string> r{"mlflow==" + env.mlflow_version, "xgboost==" + xgboost_version(env)};
    r.insert(r.end(), env.extra_requirements.begin(), env.extra_requirements.end());
    return r;
}

std::string requirements_text(const python_environment& env) {
    std::string out;
    for (const auto& r : requirements(env)) out += r + "\n";
    return out;
}

std::string conda_text(const python_environment& env) {
    std::string out = "channels:\n- conda-forge\ndependencies:\n- python=" + env.python_version + "\n- pip<=" +
                      pip_version + "\n- pip:\n";
    for (const auto& r : requirements(env)) out += "  - " + r + "\n";
    return out + "name: mlflow-env\n";
}

std::string python_env_text(const python_environment& env) {
    return "python: " + env.python_version + "\nbuild_dependencies:\n- pip==" + pip_version + "\n- setuptools==" +
           setuptools_version + "\n- wheel==" + wheel_version + "\ndependencies:\n- -r requirements.txt\n";
}

// The float a table holds, as the shortest decimal that reads back to it (so 40.7128f prints
// as 40.7128, not as the double 40.712799072265625).
json::value float_value(float f) {
    std::array<char, 32> buf{};
    auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), f);
    double d = 0;
    std::from_chars(buf.data(), ptr, d);
    return d;
}

}  // namespace

std::string mlflow_time(const std::string& iso8601) {
    // "2024-05-01T12:34:56Z" -> "2024-05-01 12:34:56.000000"
    std::string t = iso8601;
    if (!t.empty() && t.back() == 'Z') t.pop_back();
    if (auto p = t.find('T'); p != std::string::npos) t[p] = ' ';
    if (t.find('.') == std::string::npos) t += ".000000";
    return t;
}

json::object make_input_example(const std::vector<column_spec>& inputs, const std::vector<float>& row_major,
                                std::size_t rows, std::size_t max_rows) {
    json::array columns;
    for (const auto& c : inputs) columns.emplace_back(c.name);
    json::array data;
    const std::size_t cols = inputs.size();
    for (std::size_t r = 0; r < std::min(rows, max_rows); ++r) {
        json::array row;
        for (std::size_t c = 0; c < cols; ++c) {
            float v = row_major[r * cols + c];
            bool integral = xgboost_feature_type(inputs[c].type) == "int" && std::isfinite(v);
            if (integral) row.emplace_back(static_cast<std::int64_t>(std::llround(v)));
            else if (std::isfinite(v)) row.push_back(float_value(v));
            else row.emplace_back(nullptr);
        }
        data.emplace_back(std::move(row));
    }
    return json::object{{"columns", std::move(columns)}, {"data", std::move(data)}};
}

std::string mlmodel_text(const mlflow_model_spec& spec) {
    // Keys in the order MLflow writes them (alphabetical, yaml.safe_dump's default).
    YAML::Emitter y;
    y << YAML::BeginMap;
    y << YAML::Key << "artifact_path" << YAML::Value << spec.artifact_path;
    y << YAML::Key << "flavors" << YAML::Value << YAML::BeginMap;
    y << YAML::Key << "python_function" << YAML::Value << YAML::BeginMap;
    y << YAML::Key << "data" << YAML::Value << model_data_file;
    y << YAML::Key << "env" << YAML::Value << YAML::BeginMap;
    y << YAML::Key << "conda" << YAML::Value << conda_file;
    y << YAML::Key << "virtualenv" << YAML::Value << python_env_file;
    y << YAML::EndMap;
    y << YAML::Key << "loader_module" << YAML::Value << "mlflow.xgboost";
    y << YAML::Key << "python_version" << YAML::Value << spec.environment.python_version;
    y << YAML::EndMap;
    y << YAML::Key << "xgboost" << YAML::Value << YAML::BeginMap;
    y << YAML::Key << "code" << YAML::Value << YAML::Null;
    y << YAML::Key << "data" << YAML::Value << model_data_file;
    // A plain Booster: mlflow.xgboost loads it with xgboost.core.Booster().load_model(data).
    y << YAML::Key << "model_class" << YAML::Value << "xgboost.core.Booster";
    y << YAML::Key << "model_format" << YAML::Value << "json";
    y << YAML::Key << "xgb_version" << YAML::Value << xgboost_version(spec.environment);
    y << YAML::EndMap;
    y << YAML::EndMap;
    y << YAML::Key << "mlflow_version" << YAML::Value << spec.environment.mlflow_version;
    y << YAML::Key << "model_uuid" << YAML::Value << spec.model_uuid;
    if (!spec.run_id.empty()) y << YAML::Key << "run_id" << YAML::Value << spec.run_id;
    y << YAML::Key << "saved_input_example_info" << YAML::Value << YAML::BeginMap;
    y << YAML::Key << "artifact_path" << YAML::Value << input_example_file;
    y << YAML::Key << "pandas_orient" << YAML::Value << "split";
    y << YAML::Key << "type" << YAML::Value << "dataframe";
    y << YAML::EndMap;
    y << YAML::Key << "signature" << YAML::Value << YAML::BeginMap;
    y << YAML::Key << "inputs" << YAML::Value << YAML::SingleQuoted << columns_to_json(spec.signature.inputs);
    y << YAML::Key << "outputs" << YAML::Value << YAML::SingleQuoted
      << columns_to_json({spec.signature.output});
    y << YAML::Key << "params" << YAML::Value << YAML::Null;
    y << YAML::EndMap;
    y << YAML::Key << "utc_time_created" << YAML::Value << YAML::SingleQuoted << spec.utc_time_created;
    y << YAML::EndMap;
    if (!y.good()) throw error(error_kind::internal, "MLmodel emitter: " + y.GetLastError());
    return std::string(y.c_str()) + "\n";
}

std::map<std::string, std::string> mlflow_model_files(const mlflow_model_spec& spec) {
    return {{model_data_file, spec.model_json},
            {requirements_file, requirements_text(spec.environment)},
            {conda_file, conda_text(spec.environment)},
            {python_env_file, python_env_text(spec.environment)},
            {input_example_file, json::pretty(spec.input_example)},
            {mlmodel_file, mlmodel_text(spec)}};
}

void stage_mlflow_model(output_set& outputs, const std::filesystem::path& dir, const mlflow_model_spec& spec) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw error(error_kind::io, "cannot create model folder: " + ec.message()).in_file(dir.string());
    auto files = mlflow_model_files(spec);
    for (const auto& [name, content] : files)
        if (name != mlmodel_file) outputs.stage(dir / name, content);
    outputs.stage(dir / mlmodel_file, files.at(mlmodel_file));  // last: it names the others
}

void write_mlflow_model(const std::filesystem::path& dir, const mlflow_model_spec& spec) {
    output_set outputs;
    stage_mlflow_model(outputs, dir, spec);
    outputs.commit();
}

}  // namespace amlops::model
