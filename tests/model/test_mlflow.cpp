#include "amlops/model/mlflow.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "amlops/features/schema.hpp"
#include "amlops/model/trainer.hpp"
#include "amlops/xgb/booster.hpp"
#include "synthetic_taxi.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>
#include <charconv>
#include <yaml-cpp/yaml.h>

using namespace amlops;
namespace fs = std::filesystem;

namespace {

model::mlflow_model_spec spec_for(const data::numeric_table& table) {
    model::train_params p;
    p.n_estimators = 5;
    p.max_depth = 3;
    p.nthread = 1;
    auto out = model::train_regressor(table, model::taxi_signature(), p);
    model::mlflow_model_spec spec;
    spec.model_json = out.booster.save_json();
    spec.signature = model::taxi_signature();
    spec.input_example = model::make_input_example(spec.signature.inputs, table.features, table.rows);
    spec.model_uuid = "0123456789abcdef0123456789abcdef";
    spec.utc_time_created = model::mlflow_time("2024-05-01T12:34:56Z");
    spec.run_id = "run-1";
    return spec;
}

}  // namespace

TEST_CASE("signature columns serialize like MLflow and parse back") {
    auto sig = model::taxi_signature();
    REQUIRE(sig.inputs.size() == 20);
    CHECK(sig.inputs[0] == model::column_spec{"distance", "double"});
    CHECK(sig.inputs[3] == model::column_spec{"passengers", "long"});
    CHECK(sig.output == model::column_spec{"cost", "double"});
    std::string text = model::columns_to_json({sig.inputs[0], sig.inputs[3]});
    CHECK(text == R"([{"type": "double", "name": "distance"}, {"type": "long", "name": "passengers"}])");
    CHECK(model::columns_from_json(text, "t") == std::vector<model::column_spec>{sig.inputs[0], sig.inputs[3]});
    CHECK_THROWS_AS(model::columns_from_json(R"([{"type": "double"}])", "t"), error);
    CHECK_THROWS_AS(model::columns_from_json(R"([{"type": "tensor", "tensor-spec": {}}])", "t"), error);
    CHECK_THROWS_AS(model::columns_from_json(R"({"type": "double"})", "t"), error);
}

TEST_CASE("the MLflow folder has every file and an MLmodel that names them") {
    test::scratch_dir dir("mlflow");
    auto table = test::synthetic_table(200, 1);
    auto spec = spec_for(table);
    model::write_mlflow_model(dir / "m", spec);
    for (const char* f : {"MLmodel", "model.json", "conda.yaml", "python_env.yaml", "requirements.txt", "input_example.json"})
        CHECK(fs::exists(dir / "m" / f));
    CHECK(read_file(dir / "m/model.json") == spec.model_json);

    YAML::Node mlmodel = YAML::LoadFile((dir / "m/MLmodel").string());
    CHECK(mlmodel["artifact_path"].as<std::string>() == "model");
    CHECK(mlmodel["flavors"]["python_function"]["loader_module"].as<std::string>() == "mlflow.xgboost");
    CHECK(mlmodel["flavors"]["python_function"]["data"].as<std::string>() == "model.json");
    CHECK(mlmodel["flavors"]["python_function"]["env"]["conda"].as<std::string>() == "conda.yaml");
    CHECK(mlmodel["flavors"]["python_function"]["env"]["virtualenv"].as<std::string>() == "python_env.yaml");
    CHECK(mlmodel["flavors"]["xgboost"]["data"].as<std::string>() == "model.json");
    CHECK(mlmodel["flavors"]["xgboost"]["model_class"].as<std::string>() == "xgboost.core.Booster");
    CHECK(mlmodel["flavors"]["xgboost"]["model_format"].as<std::string>() == "json");
    CHECK(mlmodel["flavors"]["xgboost"]["xgb_version"].as<std::string>() == xgb::library_version());
    CHECK(mlmodel["flavors"]["xgboost"]["code"].IsNull());
    CHECK(mlmodel["model_uuid"].as<std::string>() == spec.model_uuid);
    CHECK(mlmodel["run_id"].as<std::string>() == "run-1");
    CHECK(mlmodel["utc_time_created"].as<std::string>() == "2024-05-01 12:34:56.000000");
    CHECK(mlmodel["saved_input_example_info"]["artifact_path"].as<std::string>() == "input_example.json");

    // Signature: a JSON string listing the 20 columns in training order, then the output.
    auto inputs = model::columns_from_json(mlmodel["signature"]["inputs"].as<std::string>(), "MLmodel");
    REQUIRE(inputs.size() == features::feature_count);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        CHECK(inputs[i].name == features::feature_names[i]);
        CHECK(inputs[i].type == (features::is_float_feature(inputs[i].name) ? "double" : "long"));
    }
    auto outputs = model::columns_from_json(mlmodel["signature"]["outputs"].as<std::string>(), "MLmodel");
    CHECK(outputs == std::vector<model::column_spec>{{"cost", "double"}});

    std::string req = read_file(dir / "m/requirements.txt");
    CHECK(req.find("xgboost==" + xgb::library_version()) != std::string::npos);
    CHECK(req.find("mlflow==") != std::string::npos);
    YAML::Node conda = YAML::LoadFile((dir / "m/conda.yaml").string());
    CHECK(conda["dependencies"].IsSequence());
    YAML::Node venv = YAML::LoadFile((dir / "m/python_env.yaml").string());
    CHECK(venv["python"].as<std::string>() == spec.environment.python_version);
}

TEST_CASE("the input example is pandas split orientation with typed values") {
    auto table = test::synthetic_table(10, 2);
    auto ex = model::make_input_example(model::taxi_signature().inputs, table.features, table.rows, 3);
    REQUIRE(ex.at("columns").as_array().size() == 20);
    CHECK(ex.at("columns").as_array()[0] == "distance");
    const auto& data = ex.at("data").as_array();
    REQUIRE(data.size() == 3);
    const auto& row = data[0].as_array();
    CHECK(row[0].is_double());  // distance
    CHECK(row[3].is_int64());   // passengers
    // Float features print as their shortest text, not the widened double.
    char buf[32];
    auto end = std::to_chars(buf, buf + sizeof buf, table.features[0]).ptr;
    CHECK(row[0].as_double() == std::stod(std::string(buf, end)));
    CHECK(static_cast<float>(row[0].as_double()) == table.features[0]);
}

TEST_CASE("model.json reloads into a booster with the same predictions") {
    test::scratch_dir dir("mlflow-reload");
    auto table = test::synthetic_table(200, 3);
    auto spec = spec_for(table);
    model::write_mlflow_model(dir / "m", spec);
    auto b = xgb::booster::load_file(dir / "m/model.json");
    CHECK(b.num_features() == 20);
    CHECK(b.save_json() == spec.model_json);
}
