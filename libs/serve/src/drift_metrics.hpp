#pragma once
// Drift in the scoring server (aml-predict serve --drift, docs/drift.md): each deployment whose
// model has a training profile counts the rows it scores into the profile's bins, and /metrics
// reports PSI and KS per feature over every row since the deployment was (re)loaded.

#include "amlops/drift/monitor.hpp"
#include "amlops/serve/service.hpp"

#include <memory>
#include <string>
#include <vector>

namespace amlops::serve {

/// A bin counter for the rows `source` scores, or null when its model has no profile.
std::shared_ptr<drift::monitor> drift_monitor_for(const loaded_source& source);

/// One deployment as the drift metrics see it.
struct drift_metric_source {
    std::string deployment;
    const drift::monitor* monitor = nullptr;  ///< null: the model has no training profile
};

/// Appends the drift metric families (Prometheus text format) for `deployments`.
void append_drift_metrics(std::string& out, const std::vector<drift_metric_source>& deployments);

}  // namespace amlops::serve
