#include "amlops/model/table_request.hpp"

#include "amlops/features/schema.hpp"
#include "amlops/model/model.hpp"

namespace amlops::model {

namespace {
data::value_bounds bounds_of(const std::string& column) {
    const auto r = features::plausible_range_of(column);
    return {r.min, r.max};
}
}  // namespace

data::table_request bounded_table_request(std::vector<std::string> features, std::string target, bool target_optional) {
    data::table_request req;
    for (const auto& c : features) req.feature_bounds.push_back(bounds_of(c));
    req.feature_columns = std::move(features);
    if (!target.empty()) req.target_bounds = bounds_of(target);
    req.target_column = std::move(target);
    req.target_optional = target_optional;
    return req;
}

data::table_request model_table_request(const loaded_model& model, bool target_optional) {
    return bounded_table_request(model.input_columns(), model.output_column(), target_optional);
}

}  // namespace amlops::model
