#pragma once
// Regression metrics as pure functions over spans. All throw amlops::error(bad_input) when the
// spans differ in length, are empty or hold a non-finite value. Sums are compensated (Neumaier).

#include <cstdint>
#include <span>

namespace amlops::metrics {

/// The summary every tool reports for a prediction set.
struct regression_summary {
    std::size_t n = 0;
    double rmse = 0, mae = 0, r2 = 0;
    double mape = 0;  ///< mean |err|/|actual| over rows with actual != 0, in percent
    double residual_p50 = 0, residual_p90 = 0, residual_p99 = 0;  ///< quantiles of |actual - predicted|
};

double rmse(std::span<const double> actual, std::span<const double> predicted);
double mae(std::span<const double> actual, std::span<const double> predicted);
/// Coefficient of determination 1 - SSres/SStot (may be negative); 0 when actual has zero
/// variance (R² is undefined there; 0 keeps results finite).
double r2(std::span<const double> actual, std::span<const double> predicted);
/// Mean |err|/|actual| in percent over rows with actual != 0; 0 when every actual is 0.
double mape(std::span<const double> actual, std::span<const double> predicted);
/// Linear-interpolated quantile (q in [0,1]) of a copy of `values` (type 7, like numpy's default).
/// Throws error(bad_input) for empty values, a NaN value or q outside [0,1].
double quantile(std::span<const double> values, double q);
/// All metrics of regression_summary in one pass (plus one sort of |residuals|).
regression_summary summarize(std::span<const double> actual, std::span<const double> predicted);

}  // namespace amlops::metrics
