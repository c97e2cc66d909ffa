#include "amlops/core/json.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"

#include <charconv>
#include <cmath>

namespace amlops::json {

namespace {
void append_number(std::string& out, double d) {
    // JSON has no NaN/Infinity; null is what Python's json and MLflow accept for "no value".
    if (!std::isfinite(d)) {
        out += "null";
        return;
    }
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, d);  // shortest round-trip form, e.g. 3.16
    std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
    out += s;
    // Keep a double recognisably a float for readers that distinguish (e.g. 2 -> 2.0).
    if (s.find_first_of(".eEn") == std::string_view::npos) out += ".0";
}

void append(std::string& out, const value& v, int indent) {
    const std::string pad(static_cast<size_t>(indent) * 2, ' ');
    const std::string pad_in(static_cast<size_t>(indent + 1) * 2, ' ');
    switch (v.kind()) {
    case boost::json::kind::object: {
        const auto& o = v.get_object();
        if (o.empty()) { out += "{}"; return; }
        out += "{\n";
        bool first = true;
        for (const auto& kv : o) {
            if (!first) out += ",\n";
            first = false;
            out += pad_in;
            out += boost::json::serialize(boost::json::string_view(kv.key()));
            out += ": ";
            append(out, kv.value(), indent + 1);
        }
        out += "\n" + pad + "}";
        return;
    }
    case boost::json::kind::array: {
        const auto& a = v.get_array();
        if (a.empty()) { out += "[]"; return; }
        // Short arrays of scalars stay on one line (metrics vectors, column lists).
        bool scalars = true;
        for (const auto& e : a) scalars = scalars && !e.is_structured();
        if (scalars && a.size() <= 32) {
            out += "[";
            for (size_t i = 0; i < a.size(); ++i) {
                if (i) out += ", ";
                append(out, a[i], indent + 1);
            }
            out += "]";
            return;
        }
        out += "[\n";
        for (size_t i = 0; i < a.size(); ++i) {
            if (i) out += ",\n";
            out += pad_in;
            append(out, a[i], indent + 1);
        }
        out += "\n" + pad + "]";
        return;
    }
    case boost::json::kind::double_: append_number(out, v.get_double()); return;
    default: out += boost::json::serialize(v); return;
    }
}
}  // namespace

std::string pretty(const value& v) {
    std::string out;
    append(out, v, 0);
    out += '\n';
    return out;
}

void write_file(const std::filesystem::path& path, const value& v) { write_file_atomic(path, pretty(v)); }

value parse(std::string_view text, std::string_view origin) {
    boost::system::error_code ec;
    boost::json::parse_options opts;
    opts.allow_trailing_commas = false;
    value v = boost::json::parse(boost::json::string_view(text.data(), text.size()), ec, {}, opts);
    if (ec) {
        // Boost.JSON does not report a position; find the line by re-parsing incrementally.
        boost::json::stream_parser p;
        size_t consumed = 0;
        boost::system::error_code ec2;
        consumed = p.write_some(text.data(), text.size(), ec2);
        uint64_t line = 1;
        for (size_t i = 0; i < consumed && i < text.size(); ++i) line += text[i] == '\n';
        throw error(error_kind::bad_input, "invalid JSON: " + ec.message()).in_file(std::string(origin)).at_line(line);
    }
    return v;
}

value read_file(const std::filesystem::path& path) {
    return parse(amlops::read_file(path), path.string());
}

std::string string_at(const value& v, std::initializer_list<std::string_view> path) {
    const value* cur = &v;
    for (const auto key : path) {
        const auto* o = cur->if_object();
        cur = o ? o->if_contains(key) : nullptr;
        if (!cur) return {};
    }
    return cur->is_string() ? std::string(cur->as_string()) : std::string{};
}

const value& require(const object& o, std::string_view key, std::string_view origin) {
    auto it = o.find(boost::json::string_view(key.data(), key.size()));
    if (it == o.end())
        throw error(error_kind::bad_input, "missing required key").in_file(std::string(origin)).on_field(std::string(key));
    return it->value();
}

double to_double(const value& v, std::string_view what) {
    if (v.is_double()) return v.get_double();
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    throw error(error_kind::bad_input, "expected a number").on_field(std::string(what));
}

double require_number(const object& o, std::string_view key, std::string_view origin) {
    const value& v = require(o, key, origin);
    if (!v.is_number())
        throw error(error_kind::bad_input, "expected a number").in_file(std::string(origin)).on_field(std::string(key));
    return to_double(v, key);
}

std::string require_string(const object& o, std::string_view key, std::string_view origin) {
    const value& v = require(o, key, origin);
    if (!v.is_string())
        throw error(error_kind::bad_input, "expected a string").in_file(std::string(origin)).on_field(std::string(key));
    return std::string(v.get_string());
}

}  // namespace amlops::json
