#pragma once
// Private to libs/gate: how numbers appear in human-readable reasons and error messages.

#include <cstdio>
#include <string>

namespace amlops::gate::detail {

/// Six significant digits ("3.41", "0.000123", "1e+06"): enough to tell two metrics apart in a
/// sentence; decision.json carries the full values.
inline std::string format_number(double d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", d);
    return buf;
}

/// A fraction as a percentage: 0.01 -> "1%".
inline std::string format_percent(double fraction) { return format_number(fraction * 100.0) + "%"; }

}  // namespace amlops::gate::detail
