#pragma once
// `KEY=VALUE` text, as flags (--tag, --set, --deployment, --traffic parts, --require-tag) spell
// it: split once here so every flag accepts and refuses the same things.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace amlops {

/// What a KEY=VALUE text must have.
enum class value_rule {
    optional,  ///< "KEY" alone is fine (value nullopt)
    any,       ///< '=' required, the value may be empty
    non_empty  ///< '=' and a non-empty value required
};

/// Splits at the first '='. Throws error(usage) on `field` when the key is empty or `rule` is not
/// met; `expected` names the form in the message (e.g. "KEY=VALUE", "name=<registry URI|folder>").
std::pair<std::string, std::optional<std::string>> split_key_value(std::string_view text, std::string_view field,
                                                                   value_rule rule = value_rule::any,
                                                                   std::string_view expected = "KEY=VALUE");

}  // namespace amlops
