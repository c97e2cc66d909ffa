#include "amlops/xgb/dmatrix.hpp"

#include "check.hpp"

#include "amlops/core/error.hpp"

#include <xgboost/c_api.h>

#include <utility>

namespace amlops::xgb {

using detail::check;

dmatrix dmatrix::from_dense(std::span<const float> values, std::size_t rows, std::size_t cols, int nthread) {
    if (cols == 0 || values.size() != rows * cols) {
        throw error(error_kind::bad_input, "dense matrix of " + std::to_string(rows) + " x " + std::to_string(cols) +
                                               " needs " + std::to_string(rows * cols) + " values, got " +
                                               std::to_string(values.size()));
    }
    DMatrixHandle h = nullptr;
    check(XGDMatrixCreateFromMat_omp(values.data(), static_cast<bst_ulong>(rows), static_cast<bst_ulong>(cols),
                                     missing_value, &h, nthread),
          "DMatrix creation");
    return dmatrix(h);
}

dmatrix::dmatrix(dmatrix&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}

dmatrix& dmatrix::operator=(dmatrix&& other) noexcept {
    if (this != &other) {
        if (handle_ != nullptr) XGDMatrixFree(handle_);
        handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
}

// A failing free cannot be reported from a destructor; xgboost only fails it for a null handle.
dmatrix::~dmatrix() {
    if (handle_ != nullptr) XGDMatrixFree(handle_);
}

void dmatrix::set_labels(std::span<const double> labels) {
    if (labels.size() != rows()) {
        throw error(error_kind::bad_input,
                    std::to_string(labels.size()) + " labels for " + std::to_string(rows()) + " rows");
    }
    std::vector<float> as_float(labels.begin(), labels.end());
    check(XGDMatrixSetFloatInfo(handle_, "label", as_float.data(), static_cast<bst_ulong>(as_float.size())),
          "set labels");
}

void dmatrix::set_feature_names(const std::vector<std::string>& names) {
    if (names.size() != cols()) {
        throw error(error_kind::bad_input,
                    std::to_string(names.size()) + " feature names for " + std::to_string(cols()) + " columns");
    }
    std::vector<const char*> ptrs;
    ptrs.reserve(names.size());
    for (const auto& n : names) ptrs.push_back(n.c_str());
    check(XGDMatrixSetStrFeatureInfo(handle_, "feature_name", ptrs.data(), static_cast<bst_ulong>(ptrs.size())),
          "set feature names");
}

std::size_t dmatrix::rows() const {
    bst_ulong n = 0;
    check(XGDMatrixNumRow(handle_, &n), "row count");
    return static_cast<std::size_t>(n);
}

std::size_t dmatrix::cols() const {
    bst_ulong n = 0;
    check(XGDMatrixNumCol(handle_, &n), "column count");
    return static_cast<std::size_t>(n);
}

}  // namespace amlops::xgb
