#pragma once
// Generated feature tables with the taxi model's 20 columns, for model and tool tests:
// cost = 3 * distance + noise, every other feature random and uninformative.

#include "amlops/data/table.hpp"
#include "amlops/features/schema.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace amlops::test {

/// Value of feature `name` for one row: coordinates inside the NYC box, integer features in their
/// calendar ranges, distance in [0.1, 20).
inline double synthetic_feature(std::string_view name, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    if (name == "distance") return std::round((0.1 + 19.9 * u(rng)) * 100) / 100;
    if (name.ends_with("_latitude")) return std::round((40.55 + 0.3 * u(rng)) * 1e5) / 1e5;
    if (name.ends_with("_longitude")) return std::round((-74.05 + 0.3 * u(rng)) * 1e5) / 1e5;
    // Within the feature's plausible range (store_forward 0/1, months and days from 1), which
    // the table loaders enforce; the same draw as before for the features that start at 0.
    const auto range = features::plausible_range_of(name);
    const auto span = static_cast<std::uint64_t>(std::min(range.max - range.min, 1e6)) + 1;
    return range.min + static_cast<double>((rng() % 7) % span);
}

/// A numeric table with columns in schema order and cost = 3 * distance + N(0, 0.5).
inline data::numeric_table synthetic_table(std::size_t rows, std::uint64_t seed) {
    data::numeric_table t;
    for (auto n : features::feature_names) t.columns.emplace_back(n);
    t.rows = rows;
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise(0.0, 0.5);
    for (std::size_t r = 0; r < rows; ++r) {
        double distance = 0;
        for (auto n : features::feature_names) {
            double v = synthetic_feature(n, rng);
            if (n == "distance") distance = v;
            t.features.push_back(static_cast<float>(v));
        }
        t.target.push_back(3.0 * distance + noise(rng));
    }
    return t;
}

/// The same kind of data as CSV text. `columns` is the header order (default: schema order then
/// cost); leave out "cost" for unlabeled data.
inline std::string synthetic_csv(std::size_t rows, std::uint64_t seed, std::vector<std::string> columns = {}) {
    if (columns.empty()) {
        for (auto n : features::feature_names) columns.emplace_back(n);
        columns.emplace_back(features::target_name);
    }
    data::numeric_table t = synthetic_table(rows, seed);
    std::ostringstream out;
    out.precision(10);
    for (std::size_t c = 0; c < columns.size(); ++c) out << (c ? "," : "") << columns[c];
    out << "\n";
    for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t c = 0; c < columns.size(); ++c) {
            if (c) out << ",";
            if (columns[c] == features::target_name) {
                out << t.target[r];
                continue;
            }
            auto it = std::find(t.columns.begin(), t.columns.end(), columns[c]);
            double v = t.features[r * t.columns.size() + static_cast<std::size_t>(it - t.columns.begin())];
            if (features::is_float_feature(columns[c])) out << static_cast<float>(v);
            else out << static_cast<long long>(v);
        }
        out << "\n";
    }
    return out.str();
}

}  // namespace amlops::test
