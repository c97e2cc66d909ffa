#pragma once
// The model's contract: the 20 engineered feature columns, in training order, and the target.
// One definition shared by transform, train, score, compare and predict (docs/TAXI-DATA.md).

#include <array>
#include <string_view>

namespace amlops::features {

/// Number of model input columns.
inline constexpr std::size_t feature_count = 20;

/// Feature names in the order the model is trained on and the transform writes them.
inline constexpr std::array<std::string_view, feature_count> feature_names{
    "distance",        "dropoff_latitude", "dropoff_longitude", "passengers",      "pickup_latitude",
    "pickup_longitude", "store_forward",   "vendor",            "pickup_weekday",  "pickup_month",
    "pickup_monthday", "pickup_hour",      "pickup_minute",     "pickup_second",   "dropoff_weekday",
    "dropoff_month",   "dropoff_monthday", "dropoff_hour",      "dropoff_minute",  "dropoff_second"};

/// The regression target (fare amount).
inline constexpr std::string_view target_name = "cost";

/// True for the float-valued features (coordinates, distance); the rest are integers.
constexpr bool is_float_feature(std::string_view name) noexcept {
    return name == "distance" || name.ends_with("_latitude") || name.ends_with("_longitude");
}

/// Position of `name` in feature_names, or feature_count when it is not a feature. Usable at
/// compile time, e.g. `constexpr auto distance_at = feature_index("distance");`.
constexpr std::size_t feature_index(std::string_view name) noexcept {
    for (std::size_t i = 0; i < feature_count; ++i)
        if (feature_names[i] == name) return i;
    return feature_count;
}

/// The values a column can plausibly hold (inclusive). Anything else — and every non-finite
/// value — is bad input: a rejected row in aml-transform, exit 2 naming file/line/column where a
/// tool cannot drop rows. Wide on purpose: the cleaning rules (bounding box, positive distance
/// and fare) decide what is *useful*; these bounds only catch what cannot be a taxi trip at all
/// (1e308 miles, a 13th month), so that it never reaches xgboost as a number.
struct plausible_range {
    double min;
    double max;
    constexpr bool contains(double v) const noexcept { return v >= min && v <= max; }  // false for NaN
};

/// Bounds of a model column (a feature, the target, or a raw field under its merged name);
/// columns without a specific rule get "any finite float".
constexpr plausible_range plausible_range_of(std::string_view name) noexcept {
    if (name.ends_with("_longitude")) return {-180, 180};
    if (name.ends_with("_latitude")) return {-90, 90};
    if (name == "distance") return {-10000, 10000};  // miles; negatives are dropped, not rejected
    if (name == target_name) return {-1000000, 1000000};  // dollars; refunds are negative
    if (name == "passengers" || name == "vendor") return {0, 1000};
    if (name == "store_forward") return {0, 1};
    if (name.ends_with("_weekday")) return {0, 6};
    if (name.ends_with("_month")) return {1, 12};
    if (name.ends_with("_monthday")) return {1, 31};
    if (name.ends_with("_hour")) return {0, 23};
    if (name.ends_with("_minute") || name.ends_with("_second")) return {0, 60};  // a leap second
    return {-3.4028234663852886e38, 3.4028234663852886e38};  // FLT_MAX: what a float column can hold
}

}  // namespace amlops::features
