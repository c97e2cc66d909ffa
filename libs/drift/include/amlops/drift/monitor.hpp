#pragma once
// Counts scored rows into a profile's grid bins, from any number of threads at once, and reports
// PSI and KS per feature against the profile. Used by aml-score --drift (per run) and by the
// scoring server's /metrics (every row since the deployment was loaded).

#include "amlops/core/json.hpp"
#include "amlops/drift/profile.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace amlops::drift {

/// Limits above which a feature counts as drifting (nullopt: that statistic is not checked).
struct limits {
    std::optional<double> psi;
    std::optional<double> ks;
};

/// One feature's drift.
struct feature_drift {
    std::string name;
    bool discrete = false;
    std::uint64_t n = 0;        ///< non-missing scored values
    std::uint64_t missing = 0;  ///< NaN scored values (not binned)
    std::uint64_t out_of_range = 0;  ///< scored values below the training minimum or above its maximum
    double psi = 0;             ///< NaN without scored values
    double ks = 0;
    double ks_error_bound = 0;
    std::vector<std::string> reasons;  ///< non-empty: the feature exceeds a limit
};

/// The comparison of scored rows with the profile.
struct drift_report {
    std::uint64_t rows = 0;
    limits checked;
    std::vector<feature_drift> features;  ///< profile order
    /// The features over a limit.
    std::vector<const feature_drift*> drifting() const;
};

/// {"status": "ok"|"drift", "rows", "limits", "features": {name: {psi, ks, ...}}, "drifting": [...]}
json::object to_json(const drift_report& r);
/// The report of a model without a profile: {"status": "no profile", "reason": ...}.
json::object no_profile_json();

/// Grid-bin counters for rows whose columns are `columns` (a profile feature that is not among
/// them is skipped; extra columns are ignored).
class monitor {
public:
    monitor(std::shared_ptr<const profile> p, const std::vector<std::string>& columns);
    ~monitor();
    monitor(const monitor&) = delete;
    monitor& operator=(const monitor&) = delete;

    /// Counts `rows` rows of a dense row-major matrix of `columns`. Thread-safe and lock-free:
    /// relaxed atomic counters in a few shards picked per thread, so concurrent callers rarely
    /// share a cache line; a call with many rows counts locally first and adds each bin once.
    void observe(std::span<const float> row_major, std::size_t rows);

    /// PSI and KS per feature of everything observed so far.
    drift_report report(const limits& l = {}) const;

    const profile& training() const noexcept { return *profile_; }

private:
    struct shard;
    std::shared_ptr<const profile> profile_;
    std::vector<std::size_t> column_of_;  // profile feature -> column index (npos: absent)
    std::vector<std::size_t> offset_;     // profile feature -> first counter of its grid bins
    std::size_t width_ = 0;               // counters per shard: grid bins + missing + off-grid per feature
    std::size_t columns_ = 0;
    std::vector<std::unique_ptr<shard>> shards_;
    std::atomic<std::uint64_t> rows_{0};
};

}  // namespace amlops::drift
