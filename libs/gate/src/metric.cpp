#include "amlops/gate/metric.hpp"

namespace amlops::gate {

std::string_view to_string(metric m) noexcept {
    switch (m) {
    case metric::rmse: return "rmse";
    case metric::mae: return "mae";
    case metric::r2: return "r2";
    }
    return "rmse";
}

std::optional<metric> metric_from_string(std::string_view name) noexcept {
    for (metric m : {metric::rmse, metric::mae, metric::r2}) {
        if (to_string(m) == name) return m;
    }
    return std::nullopt;
}

bool lower_is_better(metric m) noexcept { return m != metric::r2; }

double value_of(metric m, const metrics::regression_summary& s) noexcept {
    switch (m) {
    case metric::rmse: return s.rmse;
    case metric::mae: return s.mae;
    case metric::r2: return s.r2;
    }
    return s.rmse;
}

double compute(metric m, std::span<const double> actual, std::span<const double> predicted) {
    switch (m) {
    case metric::rmse: return metrics::rmse(actual, predicted);
    case metric::mae: return metrics::mae(actual, predicted);
    case metric::r2: return metrics::r2(actual, predicted);
    }
    return metrics::rmse(actual, predicted);
}

double improvement(metric m, double candidate, double champion) noexcept {
    return lower_is_better(m) ? champion - candidate : candidate - champion;
}

}  // namespace amlops::gate
