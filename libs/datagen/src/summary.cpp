#include "amlops/datagen/summary.hpp"

namespace amlops::datagen {

namespace {
json::object dirty_counts(const std::array<std::uint64_t, dirty_kind_count>& counts) {
    json::object o;
    for (std::size_t i = 0; i < dirty_kind_count; ++i) o[to_string(static_cast<dirty_kind>(i))] = counts[i];
    return o;
}
}  // namespace

json::object to_json(const file_stats& s, std::string_view file) {
    return json::object{{"file", file},           {"rows", s.rows},
                        {"dirty_rows", s.dirty_rows()}, {"dirty", dirty_counts(s.dirty)},
                        {"kept", s.kept},         {"malformed", s.malformed}};
}

json::object summary(const options& o, const generated_files& files) {
    std::array<std::uint64_t, dirty_kind_count> dirty{};
    for (std::size_t i = 0; i < dirty_kind_count; ++i) dirty[i] = files.green.dirty[i] + files.yellow.dirty[i];
    return json::object{
        {"rows", files.green.rows + files.yellow.rows},
        {"seed", o.seed},
        {"dirty_ratio", o.dirty_ratio},
        {"green_share", o.green_share},
        {"date_format", to_string(o.dates)},
        {"files",
         json::object{{"green", to_json(files.green, file_name(taxi_kind::green))},
                      {"yellow", to_json(files.yellow, file_name(taxi_kind::yellow))}}},
        {"dirty_rows", files.green.dirty_rows() + files.yellow.dirty_rows()},
        {"dirty", dirty_counts(dirty)},
        {"kept", files.green.kept + files.yellow.kept},
        {"malformed", files.green.malformed + files.yellow.malformed},
    };
}

}  // namespace amlops::datagen
