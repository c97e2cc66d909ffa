#pragma once
// The training profile: what the rows a model was trained on looked like, per feature, stored as
// profile.json in the model folder (docs/drift.md). Scoring paths count new rows into the same
// bins and compare (stats.hpp).
//
// Bins are lower-inclusive: with edges e_0 < e_1 < ... < e_{m-1}, bin 0 is (-inf, e_0), bin j is
// [e_{j-1}, e_j) and bin m is [e_{m-1}, +inf), so m edges make m + 1 bins.
//   * The grid (for KS, and the base of the PSI bins): the training minimum, the values at the
//     percentile ranks floor(k n / 100) for k = 1..99, and the float just above the maximum,
//     duplicates removed. Bin 0 and bin m hold what lies outside the training range.
//   * The PSI bins: the values at the decile ranks floor(k n / 10), k = 1..9, duplicates removed
//     (a subset of the grid edges), so 10 bins or fewer with ties.
//   * A discrete feature (at most max_discrete_values distinct training values: flags, vendor,
//     weekday, ...) has every distinct value as an edge of both, plus the float above the
//     maximum: one bin per category, and the two outside bins for values training never saw.

#include "amlops/core/json.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace amlops::drift {

/// profile.json's name inside a model folder.
inline constexpr const char* profile_file = "profile.json";
/// Version of the profile.json layout.
inline constexpr int profile_format = 1;
/// Grid resolution: percentiles.
inline constexpr std::size_t grid_quantiles = 100;
/// PSI bins: deciles.
inline constexpr std::size_t psi_quantiles = 10;
/// A feature with at most this many distinct training values is binned per value.
inline constexpr std::size_t max_discrete_values = 20;

/// Sorted edges of lower-inclusive bins (see above): edges.size() + 1 bins.
struct bin_edges {
    std::vector<float> edges;
    /// The bin of `v` (NaN: callers count it as missing before asking).
    std::size_t bin_of(float v) const noexcept;
    std::size_t bins() const noexcept { return edges.size() + 1; }
};

/// One feature's training distribution.
struct feature_profile {
    std::string name;
    bool discrete = false;
    std::uint64_t n = 0;        ///< non-missing training values
    std::uint64_t missing = 0;  ///< NaN training values (not binned)
    double min = 0, max = 0;
    bin_edges grid;                    ///< the fine grid
    std::vector<std::uint64_t> counts; ///< training values per grid bin
    bin_edges psi;                     ///< the PSI bins' edges (a subset of grid.edges)
    std::vector<std::size_t> psi_bin;  ///< grid bin -> PSI bin (derived from the edges)

    /// Sums grid-bin counts into PSI-bin counts.
    std::vector<std::uint64_t> to_psi_bins(std::span<const std::uint64_t> grid_counts) const;
};

/// The profile of a training table.
struct profile {
    std::uint64_t rows = 0;
    std::vector<feature_profile> features;
    /// The feature named `name`, or nullptr.
    const feature_profile* find(std::string_view name) const noexcept;
};

/// Profiles `rows` rows of a dense row-major matrix whose columns are `columns`.
profile build_profile(const std::vector<std::string>& columns, std::span<const float> row_major, std::size_t rows);

/// profile.json's document.
json::object to_json(const profile& p);
/// Reads a profile document; error(bad_input) naming `origin` and the field when it is not one
/// (unsorted edges, counts that do not add up, PSI edges off the grid, ...).
profile profile_from_json(const json::value& doc, const std::string& origin);
/// `<model_dir>/profile.json`, or nullopt when the folder has none (a model from before amlops
/// wrote profiles, or one logged by MLflow itself). Throws error(bad_input) for an invalid one.
std::optional<profile> load_profile(const std::filesystem::path& model_dir);

}  // namespace amlops::drift
