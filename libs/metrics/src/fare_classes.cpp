#include "amlops/metrics/fare_classes.hpp"

#include "amlops/core/error.hpp"
#include "amlops/metrics/regression.hpp"

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cmath>

namespace amlops::metrics {

void append_probability(std::string& out, double p) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<float>(p));
    out.append(buf, ec == std::errc{} ? end : buf);
}

std::size_t fare_classes::best(std::span<const double> row) const {
    return static_cast<std::size_t>(std::max_element(row.begin(), row.end()) - row.begin());
}

void fare_classes::append_probability_columns(std::string& out) const {
    for (const auto& label : labels_) out.append(",p_").append(label);
}

void fare_classes::append_csv_row(std::string& out, std::span<const double> row, bool with_probabilities) const {
    out += labels_[best(row)];
    if (with_probabilities)
        for (double p : row) append_probability(out += ',', p);
}

fare_classes fare_classes::deciles(std::span<const double> training_cost) {
    if (training_cost.empty()) throw error(error_kind::bad_input, "no training rows to compute fare deciles from");
    fare_classes c;
    for (char l = 'A'; l <= 'J'; ++l) c.labels_.emplace_back(1, l);
    for (int k = 1; k <= 9; ++k) c.boundaries_.push_back(quantile(training_cost, k / 10.0));  // throws on NaN
    return c;
}

fare_classes fare_classes::from_json(const json::value& doc, const std::string& origin) {
    if (!doc.is_object()) throw error(error_kind::bad_input, "fare classes: not a JSON object").in_file(origin);
    const auto& o = doc.get_object();
    const auto& labels = json::require(o, "labels", origin);
    const auto& bounds = json::require(o, "boundaries", origin);
    fare_classes c;
    if (labels.is_array())
        for (const auto& l : labels.get_array())
            // Plain names only: labels are written unescaped into CSV and JSON answers.
            if (l.is_string() && !l.get_string().empty() &&
                std::all_of(l.get_string().begin(), l.get_string().end(), [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; }))
                c.labels_.emplace_back(l.get_string());
    if (bounds.is_array())
        for (const auto& b : bounds.get_array()) c.boundaries_.push_back(json::to_double(b, "fare class boundary"));
    if (c.labels_.size() < 2 || !labels.is_array() || c.labels_.size() != labels.get_array().size())
        throw error(error_kind::bad_input, "fare classes: 'labels' must be an array of at least two names of letters, digits and '_'").in_file(origin).on_field("labels");
    if (c.boundaries_.size() + 1 != c.labels_.size() || !std::is_sorted(c.boundaries_.begin(), c.boundaries_.end()) ||
        std::any_of(c.boundaries_.begin(), c.boundaries_.end(), [](double b) { return !std::isfinite(b); }))
        throw error(error_kind::bad_input, "fare classes: 'boundaries' must be " + std::to_string(c.labels_.size() - 1) +
                                               " finite ascending numbers (one fewer than labels)")
            .in_file(origin)
            .on_field("boundaries");
    return c;
}

std::size_t fare_classes::classify(double cost) const {
    if (std::isnan(cost)) throw error(error_kind::bad_input, "a missing cost has no fare class");
    // Boundaries strictly below the cost: lower_bound finds the first boundary >= cost.
    return static_cast<std::size_t>(std::lower_bound(boundaries_.begin(), boundaries_.end(), cost) - boundaries_.begin());
}

std::vector<double> fare_classes::classify_all(std::span<const double> cost) const {
    std::vector<double> out;
    out.reserve(cost.size());
    for (double c : cost) out.push_back(static_cast<double>(classify(c)));
    return out;
}

json::object fare_classes::to_json() const {
    json::array labels, bounds;
    for (const auto& l : labels_) labels.emplace_back(l);
    for (double b : boundaries_) bounds.emplace_back(b);
    return json::object{{"task", "classification"},
                        {"rule", "deciles of the training rows' cost; class k when k boundaries are < cost"},
                        {"labels", std::move(labels)},
                        {"boundaries", std::move(bounds)}};
}

}  // namespace amlops::metrics
