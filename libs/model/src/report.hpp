#pragma once
// JSON shapes shared by the train and score reports (internal to amlops::model).

#include "amlops/core/json.hpp"
#include "amlops/metrics/regression.hpp"

namespace amlops::model::detail {

/// {n, rmse, mae, r2, mape, residual_p50, residual_p90, residual_p99}
inline json::object summary_json(const metrics::regression_summary& s) {
    return json::object{{"n", s.n},
                        {"rmse", s.rmse},
                        {"mae", s.mae},
                        {"r2", s.r2},
                        {"mape", s.mape},
                        {"residual_p50", s.residual_p50},
                        {"residual_p90", s.residual_p90},
                        {"residual_p99", s.residual_p99}};
}

}  // namespace amlops::model::detail
