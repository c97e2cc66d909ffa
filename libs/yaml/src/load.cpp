#include "amlops/yaml/load.hpp"

#include "amlops/core/atomic_file.hpp"

namespace amlops::yaml {

YAML::Node parse(std::string_view text, const std::string& origin, error_kind kind, std::string_view what) {
    try {
        return YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        error err(kind, "invalid " + std::string(what) + ": " + e.msg);
        err.in_file(origin);
        if (!e.mark.is_null()) err.at_line(static_cast<std::uint64_t>(e.mark.line) + 1);
        throw err;
    }
}

YAML::Node load_file(const std::filesystem::path& file, error_kind kind, std::string_view what) {
    return parse(read_file(file), file.string(), kind, what);
}

}  // namespace amlops::yaml
