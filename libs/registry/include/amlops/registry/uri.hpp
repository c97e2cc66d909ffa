#pragma once
// Model URIs in the Azure ML registry form, so commands, pipeline YAML and logs read the same
// locally and on Azure:
//   azureml://registries/<registry>/models/<name>/versions/<version>
//   azureml://registries/<registry>/models/<name>@<alias>
//   azureml://registries/<registry>/models/<name>/labels/latest

#include <cstdint>
#include <string>
#include <string_view>

namespace amlops::registry {

/// How a URI picks a version of a model.
enum class selector { version, alias, latest };

/// A parsed model URI. `version` is set for selector::version, `alias` for selector::alias.
struct model_uri {
    std::string registry;
    std::string name;
    selector by = selector::latest;
    std::int64_t version = 0;
    std::string alias;

    /// Parses one of the three forms. Throws error(bad_input) naming the URI (field "uri") and
    /// what is wrong with it: wrong scheme, missing part, invalid name, version not a positive
    /// integer, a label other than `latest`.
    static model_uri parse(std::string_view text);

    /// The canonical text of this URI (parse(to_string()) == *this).
    std::string to_string() const;

    friend bool operator==(const model_uri&, const model_uri&) = default;
};

/// URI of one concrete version.
model_uri version_uri(std::string registry, std::string name, std::int64_t version);
/// URI of an alias of a model.
model_uri alias_uri(std::string registry, std::string name, std::string alias);

/// Azure ML naming rules, shared by the parser and the registry: 1..255 characters of letters,
/// digits, '-', '_' and '.', starting with a letter or digit (registry and model names), and
/// 1..64 characters of lower-case letters, digits, '-' and '_', starting with a letter (aliases).
bool is_valid_name(std::string_view s);
bool is_valid_alias(std::string_view s);

/// Throws error(bad_input) naming `what` (e.g. "model name") unless the name/alias is valid.
void require_valid_name(std::string_view s, std::string_view what);
void require_valid_alias(std::string_view s);

}  // namespace amlops::registry
