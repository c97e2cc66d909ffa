#pragma once
#include <string_view>

namespace amlops {
/// The toolkit's version (from CMake's project version) and the commit it was built from.
std::string_view version() noexcept;
std::string_view build_commit() noexcept;
}  // namespace amlops
