#include "amlops/metrics/classification.hpp"

#include "amlops/core/error.hpp"
#include "amlops/metrics/compensated_sum.hpp"

#include <algorithm>
#include <cmath>

namespace amlops::metrics {

std::vector<std::size_t> argmax_rows(std::span<const float> probabilities, std::size_t classes) {
    if (classes == 0 || probabilities.size() % classes != 0)
        throw error(error_kind::bad_input, std::to_string(probabilities.size()) + " probabilities do not fill rows of " +
                                               std::to_string(classes) + " classes");
    std::vector<std::size_t> out(probabilities.size() / classes);
    for (std::size_t i = 0; i < out.size(); ++i) {
        auto row = probabilities.subspan(i * classes, classes);
        out[i] = static_cast<std::size_t>(std::max_element(row.begin(), row.end()) - row.begin());
    }
    return out;
}

classification_summary summarize_classes(std::span<const double> actual, std::span<const float> probabilities,
                                         const std::vector<std::string>& labels) {
    const std::size_t k = labels.size();
    if (actual.empty()) throw error(error_kind::bad_input, "no rows to compute classification metrics on");
    if (k < 2 || probabilities.size() != actual.size() * k)
        throw error(error_kind::bad_input, std::to_string(probabilities.size()) + " probabilities for " +
                                               std::to_string(actual.size()) + " rows of " + std::to_string(k) + " classes");
    if (std::any_of(probabilities.begin(), probabilities.end(), [](float p) { return !std::isfinite(p); }))
        throw error(error_kind::bad_input, "a class probability is not finite");
    classification_summary s;
    s.n = actual.size();
    s.labels = labels;
    s.confusion.assign(k, std::vector<std::size_t>(k, 0));
    const auto predicted = argmax_rows(probabilities, k);
    compensated_sum loss;
    std::size_t correct = 0;
    for (std::size_t i = 0; i < s.n; ++i) {
        const double a = actual[i];
        if (!(a >= 0 && a < static_cast<double>(k)) || a != std::floor(a))
            throw error(error_kind::bad_input, "row " + std::to_string(i) + ": class " + std::to_string(a) + " is not in [0, " +
                                                   std::to_string(k) + ")");
        const auto c = static_cast<std::size_t>(a);
        ++s.confusion[c][predicted[i]];
        correct += c == predicted[i] ? 1 : 0;
        const double p = std::clamp(static_cast<double>(probabilities[i * k + c]), log_loss_eps, 1.0 - log_loss_eps);
        loss.add(-std::log(p));
    }
    s.accuracy = static_cast<double>(correct) / static_cast<double>(s.n);
    s.log_loss = loss.value() / static_cast<double>(s.n);
    double f1_sum = 0;
    std::size_t present = 0;
    for (std::size_t c = 0; c < k; ++c) {
        std::size_t tp = s.confusion[c][c], actual_c = 0, predicted_c = 0;
        for (std::size_t j = 0; j < k; ++j) {
            actual_c += s.confusion[c][j];
            predicted_c += s.confusion[j][c];
        }
        if (actual_c == 0 && predicted_c == 0) continue;
        ++present;
        f1_sum += 2.0 * static_cast<double>(tp) / static_cast<double>(actual_c + predicted_c);  // 2TP/(2TP+FP+FN)
    }
    s.macro_f1 = present == 0 ? 0.0 : f1_sum / static_cast<double>(present);
    return s;
}

json::object to_json(const classification_summary& s) {
    json::array labels, counts;
    for (const auto& l : s.labels) labels.emplace_back(l);
    for (const auto& row : s.confusion) {
        json::array r;
        for (auto v : row) r.emplace_back(v);
        counts.emplace_back(std::move(r));
    }
    return json::object{{"n", s.n},
                        {"accuracy", s.accuracy},
                        {"macro_f1", s.macro_f1},
                        {"log_loss", s.log_loss},
                        {"confusion_matrix", json::object{{"labels", labels}, {"rows", "actual"}, {"columns", "predicted"},
                                                          {"counts", std::move(counts)}}}};
}

}  // namespace amlops::metrics
