#pragma once
// An owned xgboost DMatrix built from a dense, row-major float matrix. The xgboost C header stays
// in the .cpp: callers only see this class.

#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace amlops::xgb {

/// Missing-value marker used throughout: NaN, as xgboost's Python package does.
inline constexpr float missing_value = std::numeric_limits<float>::quiet_NaN();

/// Owns one DMatrixHandle; move-only. Every failing C call throws error(internal) carrying
/// XGBGetLastError()'s text.
class dmatrix {
public:
    /// Copies `values` (rows * cols floats, row-major; NaN = missing) into a new DMatrix, using
    /// `nthread` threads (0 = all cores). Throws error(bad_input) if the sizes disagree.
    static dmatrix from_dense(std::span<const float> values, std::size_t rows, std::size_t cols, int nthread = 0);

    dmatrix(dmatrix&& other) noexcept;
    dmatrix& operator=(dmatrix&& other) noexcept;
    dmatrix(const dmatrix&) = delete;
    dmatrix& operator=(const dmatrix&) = delete;
    ~dmatrix();

    /// Sets the regression labels, one per row (converted to float, xgboost's label type).
    void set_labels(std::span<const double> labels);
    /// Sets the per-feature names that the trained model records (and that Python's
    /// Booster.predict validates pandas column names against).
    void set_feature_names(const std::vector<std::string>& names);

    std::size_t rows() const;
    std::size_t cols() const;

    /// The raw DMatrixHandle, for booster; never null for a live object.
    void* handle() const noexcept { return handle_; }

private:
    explicit dmatrix(void* h) noexcept : handle_(h) {}
    void* handle_ = nullptr;
};

}  // namespace amlops::xgb
