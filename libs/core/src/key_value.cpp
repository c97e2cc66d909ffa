#include "amlops/core/key_value.hpp"

#include "amlops/core/error.hpp"

namespace amlops {

std::pair<std::string, std::optional<std::string>> split_key_value(std::string_view text, std::string_view field, value_rule rule,
                                                                   std::string_view expected) {
    const auto eq = text.find('=');
    const bool bad = eq == 0 || text.empty() || (eq == std::string_view::npos && rule != value_rule::optional) ||
                     (rule == value_rule::non_empty && eq + 1 == text.size());
    if (bad) throw error(error_kind::usage, "expected " + std::string(expected) + ", got '" + std::string(text) + "'").on_field(std::string(field));
    if (eq == std::string_view::npos) return {std::string(text), std::nullopt};
    return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

}  // namespace amlops
