#pragma once
// Neumaier's compensated summation: test sets run to millions of rows of squared dollar errors,
// where a naive running double sum loses several digits once the total dwarfs each term.

#include <cmath>

namespace amlops::metrics {

/// A running sum whose rounding error stays O(eps) independent of the number of terms
/// (a naive sum's grows with n). Cheap enough for per-row inner loops.
class compensated_sum {
public:
    /// Adds one term.
    void add(double x) noexcept {
        const double t = sum_ + x;
        // The smaller operand's low bits are what `t` dropped; remember them.
        if (std::fabs(sum_) >= std::fabs(x)) {
            carry_ += (sum_ - t) + x;
        } else {
            carry_ += (x - t) + sum_;
        }
        sum_ = t;
    }
    /// The sum of every term added so far.
    double value() const noexcept { return sum_ + carry_; }

private:
    double sum_ = 0;
    double carry_ = 0;
};

}  // namespace amlops::metrics
