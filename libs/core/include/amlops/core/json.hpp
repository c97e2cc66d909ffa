#pragma once
// JSON helpers over Boost.JSON: pretty printing (stable key order as inserted), atomic writes,
// and typed field access that throws amlops::error naming the file and the field.

#include <boost/json.hpp>

#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>

namespace amlops::json {

using boost::json::array;
using boost::json::object;
using boost::json::value;

/// Indented, human-readable serialization with a trailing newline. Doubles are printed with
/// the shortest representation that round-trips.
std::string pretty(const value& v);

/// Writes pretty(v) to `path` atomically.
void write_file(const std::filesystem::path& path, const value& v);

/// Parses a JSON file; throws error(not_found) if absent, error(bad_input) naming the file and
/// the line of a syntax error.
value read_file(const std::filesystem::path& path);

/// Parses JSON text; `origin` names the source in errors.
value parse(std::string_view text, std::string_view origin);

/// Required / optional typed accessors; throw error(bad_input) naming `origin` and `key`.
/// The string at a path of object keys (e.g. {"properties", "principalId"}); empty when a key is
/// missing or the value is not a string.
std::string string_at(const value& v, std::initializer_list<std::string_view> path);
const value& require(const object& o, std::string_view key, std::string_view origin);
double require_number(const object& o, std::string_view key, std::string_view origin);
std::string require_string(const object& o, std::string_view key, std::string_view origin);
/// Any JSON number as double.
double to_double(const value& v, std::string_view what);

}  // namespace amlops::json
