#pragma once
// Regression metrics as pure functions over spans. All throw amlops::error(bad_input) when the
// spans differ in length or are empty.

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
/// Coefficient of determination; 0 when actual has zero variance and predictions are exact, else
/// 1 - SSres/SStot (may be negative).
double r2(std::span<const double> actual, std::span<const double> predicted);
double mape(std::span<const double> actual, std::span<const double> predicted);
/// Linear-interpolated quantile (q in [0,1]) of a copy of `values` (type 7, like numpy's default).
double quantile(std::span<const double> values, double q);
regression_summary summarize(std::span<const double> actual, std::span<const double> predicted);

}  // namespace amlops::metrics
