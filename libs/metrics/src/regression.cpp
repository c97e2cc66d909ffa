#include "amlops/metrics/regression.hpp"

#include "amlops/core/error.hpp"
#include "amlops/metrics/compensated_sum.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

namespace amlops::metrics {
namespace {

/// Shared precondition of every paired metric: same non-zero length, finite values. A NaN would
/// otherwise propagate silently into a gate decision.
void check_pair(std::span<const double> actual, std::span<const double> predicted, const char* what) {
    if (actual.size() != predicted.size()) {
        throw error(error_kind::bad_input, std::string(what) + ": " + std::to_string(actual.size()) +
                                               " actual values but " + std::to_string(predicted.size()) +
                                               " predictions");
    }
    if (actual.empty()) throw error(error_kind::bad_input, std::string(what) + ": no rows");
    for (std::size_t i = 0; i < actual.size(); ++i) {
        if (!std::isfinite(actual[i]) || !std::isfinite(predicted[i])) {
            throw error(error_kind::bad_input, std::string(what) + ": non-finite " +
                                                   (std::isfinite(actual[i]) ? "prediction" : "actual value") +
                                                   " at row " + std::to_string(i));
        }
    }
}

double mean_of(std::span<const double> values) {
    compensated_sum s;
    for (double v : values) s.add(v);
    return s.value() / static_cast<double>(values.size());
}

/// Type-7 quantile of already sorted, non-empty values.
double quantile_sorted(const std::vector<double>& sorted, double q) {
    const double h = static_cast<double>(sorted.size() - 1) * q;
    const auto lo = static_cast<std::size_t>(std::floor(h));
    if (lo + 1 >= sorted.size()) return sorted.back();
    return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

/// The type-7 quantiles at increasing `qs` of non-empty values, by selection instead of a full
/// sort (a quarter of the time on 200k residuals), with quantile_sorted's exact results: after
/// nth_element the lo-th smallest value sits at lo with nothing larger before it, so the
/// (lo+1)-th smallest is the least of what follows; and the next, larger, q selects only there.
template <std::size_t N>
std::array<double, N> quantiles_selected(std::vector<double>& values, const std::array<double, N>& qs) {
    std::array<double, N> out{};
    std::size_t start = 0;
    for (std::size_t i = 0; i < N; ++i) {
        const double h = static_cast<double>(values.size() - 1) * qs[i];
        const auto lo = static_cast<std::size_t>(std::floor(h));
        const auto at = values.begin() + static_cast<std::ptrdiff_t>(lo);
        std::nth_element(values.begin() + static_cast<std::ptrdiff_t>(start), at, values.end());
        start = lo;
        if (lo + 1 >= values.size()) {
            out[i] = values[lo];  // the largest
            continue;
        }
        const double next = *std::min_element(at + 1, values.end());
        out[i] = values[lo] + (h - static_cast<double>(lo)) * (next - values[lo]);
    }
    return out;
}

void check_q(double q) {
    if (!(q >= 0.0 && q <= 1.0)) {
        throw error(error_kind::bad_input, "quantile: q must be in [0, 1], got " + std::to_string(q));
    }
}

double r2_unchecked(std::span<const double> actual, std::span<const double> predicted) {
    const double mean = mean_of(actual);
    compensated_sum ss_res, ss_tot;
    for (std::size_t i = 0; i < actual.size(); ++i) {
        const double e = actual[i] - predicted[i];
        const double d = actual[i] - mean;
        ss_res.add(e * e);
        ss_tot.add(d * d);
    }
    // A constant target leaves R² undefined; 0 ("no better than the mean") keeps results finite
    // and JSON-encodable instead of -inf/NaN.
    if (ss_tot.value() == 0.0) return 0.0;
    return 1.0 - ss_res.value() / ss_tot.value();
}

}  // namespace

double rmse(std::span<const double> actual, std::span<const double> predicted) {
    check_pair(actual, predicted, "rmse");
    compensated_sum s;
    for (std::size_t i = 0; i < actual.size(); ++i) {
        const double e = actual[i] - predicted[i];
        s.add(e * e);
    }
    return std::sqrt(s.value() / static_cast<double>(actual.size()));
}

double mae(std::span<const double> actual, std::span<const double> predicted) {
    check_pair(actual, predicted, "mae");
    compensated_sum s;
    for (std::size_t i = 0; i < actual.size(); ++i) s.add(std::fabs(actual[i] - predicted[i]));
    return s.value() / static_cast<double>(actual.size());
}

double r2(std::span<const double> actual, std::span<const double> predicted) {
    check_pair(actual, predicted, "r2");
    return r2_unchecked(actual, predicted);
}

double mape(std::span<const double> actual, std::span<const double> predicted) {
    check_pair(actual, predicted, "mape");
    compensated_sum s;
    std::size_t counted = 0;
    for (std::size_t i = 0; i < actual.size(); ++i) {
        if (actual[i] == 0.0) continue;
        s.add(std::fabs((actual[i] - predicted[i]) / actual[i]));
        ++counted;
    }
    // Every actual is zero: percentage error is undefined; report 0 rather than NaN.
    if (counted == 0) return 0.0;
    return 100.0 * s.value() / static_cast<double>(counted);
}

double quantile(std::span<const double> values, double q) {
    check_q(q);
    if (values.empty()) throw error(error_kind::bad_input, "quantile: no values");
    std::vector<double> sorted(values.begin(), values.end());
    for (double v : sorted) {
        if (std::isnan(v)) throw error(error_kind::bad_input, "quantile: NaN value");
    }
    std::sort(sorted.begin(), sorted.end());
    return quantile_sorted(sorted, q);
}

regression_summary summarize(std::span<const double> actual, std::span<const double> predicted) {
    check_pair(actual, predicted, "summarize");
    regression_summary s;
    s.n = actual.size();
    std::vector<double> abs_err(actual.size());
    compensated_sum sq, ab, ape;
    std::size_t ape_n = 0;
    for (std::size_t i = 0; i < actual.size(); ++i) {
        const double e = actual[i] - predicted[i];
        abs_err[i] = std::fabs(e);
        sq.add(e * e);
        ab.add(abs_err[i]);
        if (actual[i] != 0.0) {
            ape.add(abs_err[i] / std::fabs(actual[i]));
            ++ape_n;
        }
    }
    const auto n = static_cast<double>(s.n);
    s.rmse = std::sqrt(sq.value() / n);
    s.mae = ab.value() / n;
    s.r2 = r2_unchecked(actual, predicted);
    s.mape = ape_n == 0 ? 0.0 : 100.0 * ape.value() / static_cast<double>(ape_n);
    const auto residual = quantiles_selected(abs_err, std::array<double, 3>{0.50, 0.90, 0.99});
    s.residual_p50 = residual[0];
    s.residual_p90 = residual[1];
    s.residual_p99 = residual[2];
    return s;
}

}  // namespace amlops::metrics
