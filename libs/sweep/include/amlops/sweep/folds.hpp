#pragma once
// Deterministic k-fold assignment for cross-validation.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace amlops::sweep {

/// The fold (0..k-1) of every row: a seeded permutation of the rows dealt round-robin, so each
/// row is in exactly one fold, fold sizes differ by at most one, and the same (rows, k, seed)
/// gives the same folds on every platform. Requires 2 <= k <= rows (error(bad_input) otherwise).
std::vector<int> assign_folds(std::size_t rows, int k, std::uint64_t seed);

}  // namespace amlops::sweep
