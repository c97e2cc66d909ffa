#include "amlops/serve/class_output.hpp"

#include "amlops/core/error.hpp"
#include "amlops/core/json.hpp"

namespace amlops::serve {

bool wants_probabilities(std::string_view body) {
    // Cheap test first: most requests carry no params, and the body may be large.
    if (body.find("\"params\"") == std::string_view::npos) return false;
    boost::system::error_code ec;
    json::value doc = boost::json::parse(body, ec);
    if (ec || !doc.is_object()) return false;
    const auto* params = doc.get_object().if_contains("params");
    if (params == nullptr || !params->is_object()) return false;
    const auto* flag = params->get_object().if_contains("probabilities");
    if (flag == nullptr) return false;
    if (!flag->is_bool()) throw error(error_kind::bad_input, "params.probabilities must be true or false").on_field("params.probabilities");
    return flag->get_bool();
}

void append_class_json(std::string& out, std::span<const double> probabilities, const metrics::fare_classes& classes,
                       bool with_probabilities) {
    const std::size_t k = classes.size();
    const auto& labels = classes.labels();
    for (std::size_t i = 0; i * k < probabilities.size(); ++i) {
        const auto row = probabilities.subspan(i * k, k);
        if (i) out += ',';
        const std::string label = "\"" + labels[classes.best(row)] + "\"";  // labels are plain letters
        if (!with_probabilities) {
            out += label;
            continue;
        }
        out += "{\"label\":" + label + ",\"probabilities\":{";
        for (std::size_t c = 0; c < k; ++c) {
            out += (c ? ",\"" : "\"") + labels[c] + "\":";
            metrics::append_probability(out, row[c]);
        }
        out += "}}";
    }
}

std::string class_csv(std::span<const double> probabilities, const metrics::fare_classes& classes, bool with_probabilities) {
    const std::size_t k = classes.size();
    std::string out = "predicted";
    if (with_probabilities) classes.append_probability_columns(out);
    out += '\n';
    for (std::size_t i = 0; i * k < probabilities.size(); ++i) {
        classes.append_csv_row(out, probabilities.subspan(i * k, k), with_probabilities);
        out += '\n';
    }
    return out;
}

}  // namespace amlops::serve
