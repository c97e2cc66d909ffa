#include "amlops/model/signature.hpp"

#include "amlops/core/error.hpp"
#include "amlops/core/json.hpp"
#include "amlops/features/schema.hpp"

namespace amlops::model {

model_signature taxi_signature() {
    model_signature s;
    for (auto name : features::feature_names)
        s.inputs.push_back({std::string(name), features::is_float_feature(name) ? "double" : "long"});
    s.output = {std::string(features::target_name), "double"};
    return s;
}

std::string columns_to_json(const std::vector<column_spec>& columns) {
    // Written by hand rather than through a JSON serializer to reproduce MLflow's spacing
    // (Python json.dumps: ", " and ": " separators), so the MLmodel text looks like MLflow's own.
    std::string out = "[";
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i > 0) out += ", ";
        out += R"({"type": )" + boost::json::serialize(json::value(columns[i].type)) + R"(, "name": )" +
               boost::json::serialize(json::value(columns[i].name)) + "}";
    }
    return out + "]";
}

std::vector<column_spec> columns_from_json(std::string_view text, std::string_view origin) {
    json::value doc = json::parse(text, origin);
    auto bad = [&](const std::string& msg) { return error(error_kind::bad_input, msg).in_file(std::string(origin)); };
    if (!doc.is_array()) throw bad("signature must be a JSON array of columns");
    std::vector<column_spec> out;
    for (const auto& item : doc.get_array()) {
        if (!item.is_object()) throw bad("signature entries must be objects");
        const auto& o = item.get_object();
        std::string type = json::require_string(o, "type", origin);
        if (type == "tensor") throw bad("tensor signatures are not supported; amlops needs named columns");
        const auto* name = o.if_contains("name");
        if (name == nullptr || !name->is_string()) throw bad("signature column without a name; amlops needs named columns");
        out.push_back({std::string(name->get_string()), type});
    }
    return out;
}

std::string xgboost_feature_type(std::string_view mlflow_type) {
    return (mlflow_type == "long" || mlflow_type == "integer" || mlflow_type == "boolean") ? "int" : "float";
}

}  // namespace amlops::model
