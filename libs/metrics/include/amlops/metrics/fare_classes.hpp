#pragma once
// The fare-class labels of the classification task: deciles A..J of the training rows' cost.
//
// Rule (docs/CLASSIFICATION.md): the nine boundaries are the linear-interpolated quantiles
// (numpy's default, type 7) at 0.1, 0.2, ..., 0.9 of the training rows' cost; a trip is in class
// k (0-based) when exactly k boundaries are strictly below its cost, so intervals are closed on
// the right: cost <= b1 -> A, b1 < cost <= b2 -> B, ..., cost > b9 -> J. A cost equal to a
// boundary takes the lower class. Ties may make boundaries equal; the class between them is then
// empty, which training and scoring accept.

#include "amlops/core/json.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace amlops::metrics {

class fare_classes {
public:
    /// Boundaries from the training rows' cost. Throws error(bad_input) for no rows or a
    /// non-finite cost.
    static fare_classes deciles(std::span<const double> training_cost);
    /// Reads {"task": "classification", "labels": [...], "boundaries": [...]} (as to_json writes
    /// it); throws error(bad_input) naming `origin` and the field when it is malformed.
    static fare_classes from_json(const json::value& doc, const std::string& origin);

    /// 0-based class of one cost. NaN has no class: error(bad_input).
    std::size_t classify(double cost) const;
    /// classify() of every value, as doubles (xgboost labels).
    std::vector<double> classify_all(std::span<const double> cost) const;

    /// The most probable class of one row of size() probabilities (the first on ties, as
    /// argmax_rows).
    std::size_t best(std::span<const double> row) const;
    /// Appends ",p_<label>" for every class: a classifier CSV's probability columns.
    void append_probability_columns(std::string& out) const;
    /// Appends one classifier CSV row (aml-score's predictions.csv, aml-predict's output file):
    /// the best class's label, then with `with_probabilities` ",<p>" for every class.
    void append_csv_row(std::string& out, std::span<const double> row, bool with_probabilities) const;

    std::size_t size() const noexcept { return labels_.size(); }
    const std::vector<std::string>& labels() const noexcept { return labels_; }
    const std::vector<double>& boundaries() const noexcept { return boundaries_; }
    json::object to_json() const;

private:
    std::vector<std::string> labels_;
    std::vector<double> boundaries_;  ///< size() - 1, ascending
};

/// Appends a class probability as the shortest text of its float32 (xgboost computes them in
/// float: 0.25, not the widened double's 0.25000000372529).
void append_probability(std::string& out, double p);

}  // namespace amlops::metrics
