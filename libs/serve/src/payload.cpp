// Payload decoding. JSON is parsed into a small monotonic arena first (most scoring requests are
// a few hundred bytes, so the common case makes no heap allocation for the DOM), then each form is
// walked once, writing floats straight into the caller's reused buffer.
#include "amlops/serve/payload.hpp"

#include "amlops/core/error.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <cmath>
#include <limits>

namespace amlops::serve {

namespace bj = boost::json;

namespace {

[[noreturn]] void fail(const std::string& message) { throw error(error_kind::bad_input, message); }

std::string_view kind_name(const bj::value& v) {
    switch (v.kind()) {
    case bj::kind::string: return "a string";
    case bj::kind::bool_: return "a boolean";
    case bj::kind::array: return "an array";
    case bj::kind::object: return "an object";
    case bj::kind::null: return "null";
    default: return "a number";
    }
}

float to_float(const bj::value& v, std::size_t row, std::string_view column) {
    switch (v.kind()) {
    case bj::kind::double_: return static_cast<float>(v.get_double());
    case bj::kind::int64: return static_cast<float>(v.get_int64());
    case bj::kind::uint64: return static_cast<float>(v.get_uint64());
    case bj::kind::null: return std::numeric_limits<float>::quiet_NaN();
    default:
        fail("row " + std::to_string(row) + ", column '" + std::string(column) + "': expected a number or null, got " +
             std::string(kind_name(v)));
    }
}

const bj::array& require_array(const bj::value& v, std::string_view what) {
    if (!v.is_array()) fail(std::string(what) + " must be an array, got " + std::string(kind_name(v)));
    return v.get_array();
}

class decoder {
public:
    decoder(const column_set& columns, decoded_rows& out) : cols_(columns), out_(out) {}

    // A list whose elements are rows in signature order (arrays) or records (objects).
    void rows_in_signature_order(const bj::value& v, std::string_view what) {
        const auto& rows = require_array(v, what);
        begin(rows.size());
        for (std::size_t r = 0; r < rows.size(); ++r) {
            const auto& row = rows[r];
            if (row.is_object()) {
                record(row.get_object(), r);
            } else if (row.is_array()) {
                const auto& a = row.get_array();
                if (a.size() != cols_.size()) ragged(r, a.size(), cols_.size());
                float* dst = slot(r);
                for (std::size_t c = 0; c < a.size(); ++c) dst[c] = to_float(a[c], r, cols_.names()[c]);
            } else {
                fail("row " + std::to_string(r) + " of " + std::string(what) + " must be an array or an object, got " +
                     std::string(kind_name(row)));
            }
        }
    }

    // {"columns": [...], "data": [[...]], "index": [...]}; without "columns", signature order.
    void split(const bj::value& v, std::string_view what) {
        if (!v.is_object()) fail(std::string(what) + " must be an object with \"columns\" and \"data\"");
        const auto& o = v.get_object();
        const auto* data = o.if_contains("data");
        if (!data) fail(std::string(what) + " has no \"data\"");
        const auto* columns = o.if_contains("columns");
        if (!columns) return rows_in_signature_order(*data, std::string(what) + ".data");

        const auto& names = require_array(*columns, std::string(what) + ".columns");
        // map_[j]: model position of the j-th given column (npos: not a model column, ignored).
        map_.assign(names.size(), column_set::npos);
        seen_.assign(cols_.size(), false);
        for (std::size_t j = 0; j < names.size(); ++j) {
            if (!names[j].is_string()) fail(std::string(what) + ".columns[" + std::to_string(j) + "] must be a string");
            auto name = std::string_view(names[j].get_string());
            auto pos = cols_.find(name);
            if (pos == column_set::npos) continue;
            if (seen_[pos]) fail("column '" + std::string(name) + "' appears twice in " + std::string(what) + ".columns");
            seen_[pos] = true;
            map_[j] = pos;
        }
        for (std::size_t i = 0; i < cols_.size(); ++i) {
            if (!seen_[i]) fail("missing column '" + cols_.names()[i] + "' (the model needs " + std::to_string(cols_.size()) + " columns)");
        }
        const auto& rows = require_array(*data, std::string(what) + ".data");
        begin(rows.size());
        for (std::size_t r = 0; r < rows.size(); ++r) {
            const auto& row = rows[r];
            if (!row.is_array()) fail("row " + std::to_string(r) + " of " + std::string(what) + ".data must be an array, got " + std::string(kind_name(row)));
            const auto& a = row.get_array();
            if (a.size() != names.size()) ragged(r, a.size(), names.size());
            float* dst = slot(r);
            for (std::size_t j = 0; j < a.size(); ++j) {
                if (map_[j] != column_set::npos) dst[map_[j]] = to_float(a[j], r, cols_.names()[map_[j]]);
            }
        }
    }

    // {"col": [v, ...], ...}: one array (or one scalar = one row) per column.
    void columnar(const bj::object& o, std::string_view what) {
        std::size_t n = 0;
        bool first = true;
        for (std::size_t i = 0; i < cols_.size(); ++i) {
            const auto* v = o.if_contains(cols_.names()[i]);
            if (!v) fail("missing column '" + cols_.names()[i] + "' in " + std::string(what));
            std::size_t len = v->is_array() ? v->get_array().size() : 1;
            if (first) {
                n = len;
                begin(n);
                first = false;
            } else if (len != n) {
                fail("column '" + cols_.names()[i] + "' in " + std::string(what) + " has " + std::to_string(len) +
                     " values, expected " + std::to_string(n) + " like the other columns");
            }
            for (std::size_t r = 0; r < n; ++r) {
                const auto& x = v->is_array() ? v->get_array()[r] : *v;
                out_.values[r * cols_.size() + i] = to_float(x, r, cols_.names()[i]);
            }
        }
        if (first) begin(0);
    }

private:
    void begin(std::size_t rows) {
        out_.rows = rows;
        out_.values.assign(rows * cols_.size(), 0.0f);
    }
    float* slot(std::size_t r) { return out_.values.data() + r * cols_.size(); }

    void record(const bj::object& o, std::size_t r) {
        float* dst = slot(r);
        for (std::size_t i = 0; i < cols_.size(); ++i) {
            const auto* v = o.if_contains(cols_.names()[i]);
            if (!v) fail("row " + std::to_string(r) + ": missing column '" + cols_.names()[i] + "'");
            dst[i] = to_float(*v, r, cols_.names()[i]);
        }
    }

    [[noreturn]] static void ragged(std::size_t r, std::size_t got, std::size_t expected) {
        fail("row " + std::to_string(r) + " has " + std::to_string(got) + " values, expected " + std::to_string(expected));
    }

    const column_set& cols_;
    decoded_rows& out_;
    std::vector<std::size_t> map_;
    std::vector<bool> seen_;
};

constexpr std::array<std::string_view, 6> payload_keys = {"input_data", "data", "dataframe_split",
                                                          "dataframe_records", "instances", "inputs"};

}  // namespace

std::string_view to_string(payload_form f) noexcept {
    switch (f) {
    case payload_form::input_data_split: return "input_data_split";
    case payload_form::input_data_list: return "input_data_list";
    case payload_form::data: return "data";
    case payload_form::dataframe_split: return "dataframe_split";
    case payload_form::dataframe_records: return "dataframe_records";
    case payload_form::instances: return "instances";
    case payload_form::inputs: return "inputs";
    }
    return "unknown";
}

column_set::column_set(std::vector<std::string> names) : names_(std::move(names)) {
    index_.reserve(names_.size());
    for (std::size_t i = 0; i < names_.size(); ++i) {
        if (!index_.emplace(names_[i], i).second) throw error(error_kind::bad_input, "duplicate model column '" + names_[i] + "'");
    }
}

std::size_t column_set::find(std::string_view name) const noexcept {
    auto it = index_.find(name);
    return it == index_.end() ? npos : it->second;
}

void decode_payload(std::string_view body, const column_set& columns, decoded_rows& out) {
    // Small payloads parse entirely inside this stack arena; big ones spill to the heap.
    alignas(std::max_align_t) unsigned char arena[8192];
    bj::monotonic_resource mr(arena, sizeof arena);
    bj::parse_options opts;
    opts.max_depth = 16;  // scoring payloads are at most 4 levels deep; bounds recursion on hostile input
    unsigned char parser_buf[1024];  // the parser's own stack for nesting, also off the heap
    bj::parser p(bj::storage_ptr(), opts, parser_buf, sizeof parser_buf);
    p.reset(&mr);
    boost::system::error_code ec;
    const std::size_t used = p.write(body.data(), body.size(), ec);  // complete text; extra data is an error
    if (ec) {
        fail("malformed JSON at byte " + std::to_string(used) + ": " + ec.message());
    }
    bj::value root = p.release();
    if (!root.is_object()) fail("the request body must be a JSON object, got " + std::string(kind_name(root)));
    const auto& o = root.get_object();

    std::string_view key;
    const bj::value* v = nullptr;
    for (auto k : payload_keys) {
        if (const auto* found = o.if_contains(k)) {
            if (v) fail("the request has both \"" + std::string(key) + "\" and \"" + std::string(k) + "\"; send one");
            key = k;
            v = found;
        }
    }
    if (!v) {
        fail("the request body has none of the keys input_data, data, dataframe_split, dataframe_records, instances, inputs");
    }

    decoder d(columns, out);
    if (key == "input_data") {
        if (v->is_object()) {
            out.form = payload_form::input_data_split;
            d.split(*v, "input_data");
        } else {
            out.form = payload_form::input_data_list;
            d.rows_in_signature_order(*v, "input_data");
        }
    } else if (key == "data") {
        out.form = payload_form::data;
        d.rows_in_signature_order(*v, "data");
    } else if (key == "dataframe_split") {
        out.form = payload_form::dataframe_split;
        d.split(*v, "dataframe_split");
    } else if (key == "dataframe_records") {
        out.form = payload_form::dataframe_records;
        d.rows_in_signature_order(*v, "dataframe_records");
    } else if (key == "instances") {
        out.form = payload_form::instances;
        d.rows_in_signature_order(*v, "instances");
    } else {
        out.form = payload_form::inputs;
        if (v->is_object()) {
            d.columnar(v->get_object(), "inputs");
        } else {
            d.rows_in_signature_order(*v, "inputs");
        }
    }
}

decoded_rows decode_payload(std::string_view body, const column_set& columns) {
    decoded_rows out;
    decode_payload(body, columns, out);
    return out;
}

}  // namespace amlops::serve
