#include "drift_metrics.hpp"

#include "amlops/model/model.hpp"

#include <cmath>
#include <cstdio>

namespace amlops::serve {
namespace {

std::string number(double v) {
    if (std::isnan(v)) return "NaN";  // Prometheus' spelling: no rows scored yet
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

}  // namespace

std::shared_ptr<drift::monitor> drift_monitor_for(const loaded_source& source) {
    if (!source.profile || !source.model) return nullptr;
    return std::make_shared<drift::monitor>(source.profile, source.model->input_columns());
}

void append_drift_metrics(std::string& out, const std::vector<drift_metric_source>& deployments) {
    auto line = [&](const std::string& s) {
        out += s;
        out += '\n';
    };
    std::vector<std::pair<std::string, drift::drift_report>> reports;
    line("# HELP amlops_drift_profile 1 when the deployment's model has a training profile to compare rows with, else 0.");
    line("# TYPE amlops_drift_profile gauge");
    for (const auto& d : deployments) {
        line("amlops_drift_profile{deployment=\"" + d.deployment + "\"} " + (d.monitor ? "1" : "0"));
        if (d.monitor) reports.emplace_back(d.deployment, d.monitor->report());
    }
    line("# HELP amlops_drift_rows_total Rows compared with the training profile since the deployment was loaded.");
    line("# TYPE amlops_drift_rows_total counter");
    for (const auto& [name, r] : reports) line("amlops_drift_rows_total{deployment=\"" + name + "\"} " + std::to_string(r.rows));
    line("# HELP amlops_drift_psi Population stability index of each feature (rows since load vs training profile).");
    line("# TYPE amlops_drift_psi gauge");
    for (const auto& [name, r] : reports)
        for (const auto& f : r.features)
            line("amlops_drift_psi{deployment=\"" + name + "\",feature=\"" + f.name + "\"} " + number(f.psi));
    line("# HELP amlops_drift_ks Two-sample Kolmogorov-Smirnov statistic of each feature on the profile's grid.");
    line("# TYPE amlops_drift_ks gauge");
    for (const auto& [name, r] : reports)
        for (const auto& f : r.features)
            line("amlops_drift_ks{deployment=\"" + name + "\",feature=\"" + f.name + "\"} " + number(f.ks));
}

}  // namespace amlops::serve
