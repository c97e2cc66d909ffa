#pragma once
// The JSON form of a regression summary, shared by every report that carries metrics
// (aml-train's metrics.json, aml-score's metrics.json, aml-compare's decision.json).

#include "amlops/core/json.hpp"
#include "amlops/metrics/regression.hpp"

namespace amlops::metrics {

/// {n, rmse, mae, r2, mape, residual_p50, residual_p90, residual_p99}
inline json::object to_json(const regression_summary& s) {
    return json::object{{"n", s.n},
                        {"rmse", s.rmse},
                        {"mae", s.mae},
                        {"r2", s.r2},
                        {"mape", s.mape},
                        {"residual_p50", s.residual_p50},
                        {"residual_p90", s.residual_p90},
                        {"residual_p99", s.residual_p99}};
}

}  // namespace amlops::metrics
