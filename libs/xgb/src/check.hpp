#pragma once
// Return-code checking shared by the xgb sources (not part of the public interface).

#include <string>
#include <string_view>

namespace amlops::xgb::detail {

/// Throws error(internal) "xgboost <what> failed: <XGBGetLastError()>" when rc != 0.
void check(int rc, std::string_view what);

/// XGBGetLastError()'s text (thread-local, overwritten by the next call, so copied now) without
/// the native stack trace xgboost appends.
std::string last_error();

}  // namespace amlops::xgb::detail
