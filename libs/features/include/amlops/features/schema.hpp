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

}  // namespace amlops::features
