#include "amlops/sweep/folds.hpp"

#include "amlops/core/error.hpp"
#include "amlops/sweep/rng.hpp"

#include <numeric>
#include <string>

namespace amlops::sweep {

std::vector<int> assign_folds(std::size_t rows, int k, std::uint64_t seed) {
    if (k < 2 || static_cast<std::size_t>(k) > rows)
        throw error(error_kind::bad_input, std::to_string(k) + "-fold cross-validation needs at least " + std::to_string(k) +
                                               " training rows, got " + std::to_string(rows))
            .on_field("cross_validation.folds");
    std::vector<std::size_t> order(rows);
    std::iota(order.begin(), order.end(), std::size_t{0});
    stable_rng(seed).shuffle(order);
    std::vector<int> fold(rows);
    for (std::size_t position = 0; position < rows; ++position)
        fold[order[position]] = static_cast<int>(position % static_cast<std::size_t>(k));
    return fold;
}

}  // namespace amlops::sweep
