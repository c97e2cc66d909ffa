// Payload decoding, in two passes at most:
//  1. A streaming (SAX) pass handles the dense forms almost every client sends (rows as arrays of
//     numbers, with or without a "columns" list): numbers go straight into the caller's reused
//     float buffer, no DOM is built. It accepts only what it fully understands and gives up on
//     anything else, including every error.
//  2. Otherwise the body is parsed into a DOM (in a small monotonic arena: most scoring requests
//     are a few hundred bytes) and each form is walked once. This pass decides every error, so the
//     messages do not depend on which pass ran, and the fast pass needs no error texts of its own.
#include "amlops/serve/payload.hpp"

#include "amlops/core/error.hpp"
#include "amlops/features/schema.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <limits>

namespace amlops::serve {

namespace bj = boost::json;
namespace bs = boost::system;

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
    case bj::kind::double_: {
        // JSON has no inf/NaN literals, but 1e39 overflows a float and 1e309 a double: a number
        // the model would see as infinite is bad input, like "inf" in a CSV (null = missing).
        const auto f = static_cast<float>(v.get_double());
        if (!std::isfinite(f))
            fail("row " + std::to_string(row) + ", column '" + std::string(column) +
                 "': not a finite number (beyond the float range)");
        return f;
    }
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

// Pass 1: the streaming decoder of the dense forms. Every handler returns false ("give up") on an
// event it does not expect; decode_dense() then reports false and pass 2 takes over.
class dense_handler {
public:
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

    dense_handler(const column_set& columns, decoded_rows& out) : cols_(columns), out_(out) {}

    /// True when the whole document was one of the dense forms and `out` holds its rows.
    bool complete() const noexcept { return state_ == state::done && payload_ != payload::none && !(split_ && !data_seen_); }

    bool on_document_begin(bs::error_code&) { return true; }
    bool on_document_end(bs::error_code&) { return true; }

    bool on_object_begin(bs::error_code& ec) {
        if (skipping()) return enter_skipped();
        if (state_ == state::start) return go(state::root_key);
        if (state_ == state::root_value && (payload_ == payload::input_data || payload_ == payload::dataframe_split)) {
            split_ = true;
            out_.form = payload_ == payload::input_data ? payload_form::input_data_split : payload_form::dataframe_split;
            return go(state::split_key);
        }
        return give_up(ec);  // records, columnar "inputs", objects where numbers belong
    }
    bool on_object_end(std::size_t, bs::error_code& ec) {
        if (skip_depth_ > 0) return leave_skipped();
        if (state_ == state::split_key) return go(state::root_key);
        if (state_ == state::root_key) return go(state::done);
        return give_up(ec);
    }
    bool on_array_begin(bs::error_code& ec) {
        if (skipping()) return enter_skipped();
        switch (state_) {
        case state::root_value:
            if (payload_ == payload::dataframe_split) return give_up(ec);
            out_.form = form_of_list();
            return begin_rows(false);
        case state::split_columns: return go(state::columns);
        case state::split_data: return begin_rows(columns_seen_);
        case state::rows:
            row_values_ = 0;
            out_.values.resize(out_.values.size() + cols_.size(), 0.0f);
            return go(state::row);
        default: return give_up(ec);
        }
    }
    bool on_array_end(std::size_t, bs::error_code& ec) {
        if (skip_depth_ > 0) return leave_skipped();
        switch (state_) {
        case state::columns:
            for (bool seen : seen_)
                if (!seen) return give_up(ec);  // a missing column: pass 2 names it
            columns_seen_ = true;
            return go(state::split_key);
        case state::row:
            if (row_values_ != row_width_) return give_up(ec);  // ragged
            ++out_.rows;
            return go(state::rows);
        case state::rows:
            if (split_) data_seen_ = true;
            return go(split_ ? state::split_key : state::root_key);
        default: return give_up(ec);
        }
    }

    bool on_key_part(bj::string_view s, std::size_t, bs::error_code&) {
        if (skip_depth_ == 0) key_.append(s.data(), s.size());
        return true;
    }
    bool on_key(bj::string_view s, std::size_t, bs::error_code& ec) {
        if (skip_depth_ > 0) return true;
        key_.append(s.data(), s.size());
        const std::string_view key = key_;
        bool ok = true;
        if (state_ == state::root_key) {
            const auto p = payload_of(key);
            if (p == payload::none) {
                skip_next_ = true;  // "params" and any other key: pass 2 ignores them too
            } else if (payload_ != payload::none) {
                ok = false;  // two payload keys (or one twice): pass 2 explains
            } else {
                payload_ = p;
                state_ = state::root_value;
            }
        } else if (state_ == state::split_key) {
            if (key == "columns") {
                // "columns" after "data" (already read in signature order) or twice: pass 2.
                ok = !columns_seen_ && !data_seen_;
                state_ = state::split_columns;
                seen_.assign(cols_.size(), false);
                map_.clear();
            } else if (key == "data") {
                ok = !data_seen_;
                state_ = state::split_data;
            } else {
                skip_next_ = true;  // "index" and anything else
            }
        } else {
            ok = false;
        }
        key_.clear();
        return ok || give_up(ec);
    }

    bool on_string_part(bj::string_view s, std::size_t, bs::error_code&) {
        if (skip_depth_ == 0 && state_ == state::columns) text_.append(s.data(), s.size());
        return true;
    }
    bool on_string(bj::string_view s, std::size_t, bs::error_code& ec) {
        if (skipping()) return skip_scalar();
        if (state_ != state::columns) return give_up(ec);
        text_.append(s.data(), s.size());
        const auto pos = cols_.find(text_);
        text_.clear();
        if (pos != column_set::npos) {
            if (seen_[pos]) return give_up(ec);  // duplicate column
            seen_[pos] = true;
        }
        map_.push_back(pos);
        return true;
    }

    bool on_number_part(bj::string_view, bs::error_code&) { return true; }
    bool on_int64(std::int64_t i, bj::string_view, bs::error_code& ec) { return value(static_cast<float>(i), ec); }
    bool on_uint64(std::uint64_t u, bj::string_view, bs::error_code& ec) { return value(static_cast<float>(u), ec); }
    bool on_double(double d, bj::string_view, bs::error_code& ec) { return value(static_cast<float>(d), ec); }
    bool on_null(bs::error_code& ec) { return value(std::numeric_limits<float>::quiet_NaN(), ec); }
    bool on_bool(bool, bs::error_code& ec) { return skipping() ? skip_scalar() : give_up(ec); }
    bool on_comment_part(bj::string_view, bs::error_code&) { return true; }
    bool on_comment(bj::string_view, bs::error_code&) { return true; }

private:
    enum class state { start, root_key, root_value, split_key, split_columns, columns, split_data, rows, row, done };
    enum class payload { none, input_data, data, dataframe_split, dataframe_records, instances, inputs };

    static payload payload_of(std::string_view key) noexcept {
        if (key == "input_data") return payload::input_data;
        if (key == "data") return payload::data;
        if (key == "dataframe_split") return payload::dataframe_split;
        if (key == "dataframe_records") return payload::dataframe_records;
        if (key == "instances") return payload::instances;
        if (key == "inputs") return payload::inputs;
        return payload::none;
    }
    payload_form form_of_list() const noexcept {
        switch (payload_) {
        case payload::input_data: return payload_form::input_data_list;
        case payload::dataframe_records: return payload_form::dataframe_records;
        case payload::instances: return payload_form::instances;
        case payload::inputs: return payload_form::inputs;
        default: return payload_form::data;
        }
    }

    bool go(state s) noexcept {
        state_ = s;
        return true;
    }
    static bool give_up(bs::error_code& ec) {
        ec = bj::error::syntax;  // any error stops the parser; decode_dense() reports false
        return false;
    }
    // Rows of the model's width in signature order, or of the "columns" list's width mapped by name.
    bool begin_rows(bool by_name) {
        out_.values.clear();
        out_.rows = 0;
        if (!by_name) {
            map_.resize(cols_.size());
            for (std::size_t i = 0; i < map_.size(); ++i) map_[i] = i;
        }
        row_width_ = map_.size();
        return go(state::rows);
    }
    bool value(float v, bs::error_code& ec) {
        if (skipping()) return skip_scalar();
        if (!std::isfinite(v)) return give_up(ec);  // pass 2 names the row and column
        if (state_ != state::row || row_values_ == row_width_) return give_up(ec);
        const std::size_t pos = map_[row_values_++];
        if (pos != column_set::npos) out_.values[out_.rows * cols_.size() + pos] = v;
        return true;
    }

    // Values of keys this pass ignores ("params", "index", ...) are skipped whole.
    bool skipping() const noexcept { return skip_next_ || skip_depth_ > 0; }
    bool enter_skipped() noexcept {
        skip_next_ = false;
        ++skip_depth_;
        return true;
    }
    bool leave_skipped() noexcept {
        --skip_depth_;
        return true;
    }
    bool skip_scalar() noexcept {
        if (skip_depth_ == 0) skip_next_ = false;
        return true;
    }

    const column_set& cols_;
    decoded_rows& out_;
    state state_ = state::start;
    payload payload_ = payload::none;
    bool split_ = false, columns_seen_ = false, data_seen_ = false;
    bool skip_next_ = false;
    std::size_t skip_depth_ = 0;
    std::size_t row_values_ = 0, row_width_ = 0;
    std::vector<std::size_t> map_;  // position in the row -> model column (npos: ignored column)
    std::vector<bool> seen_;
    std::string key_, text_;
};

/// Pass 1. True when `body` was a dense form and `out` holds it; false means "ask pass 2".
bool decode_dense(std::string_view body, const column_set& columns, decoded_rows& out) {
    bj::parse_options opts;
    opts.max_depth = 16;
    bj::basic_parser<dense_handler> parser(opts, columns, out);
    bs::error_code ec;
    parser.write_some(false, body.data(), body.size(), ec);
    return !ec && parser.done() && parser.handler().complete();
}

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
        const auto r = features::plausible_range_of(names_[i]);
        bounds_.emplace_back(r.min, r.max);
    }
}

namespace {

// One rule for every numeric field of every tool (docs/bad-input.md): a payload value must be
// missing (null) or within its column's plausible range. One pass over the decoded floats.
void require_plausible(const decoded_rows& out, const column_set& columns) {
    const std::size_t cols = columns.size();
    for (std::size_t i = 0; i < out.rows * cols && i < out.values.size(); ++i) {
        const float v = out.values[i];
        const std::size_t c = i % cols;
        if (std::isnan(v) || (v >= columns.min(c) && v <= columns.max(c))) continue;
        std::string what = "row " + std::to_string(i / cols) + ", column '" + columns.names()[c] + "': ";
        if (!std::isfinite(v)) fail(what + "not a finite number (beyond the float range)");
        std::array<char, 64> buf{};
        auto text = [&](double x) { return std::string(buf.data(), std::to_chars(buf.data(), buf.data() + buf.size(), x).ptr); };
        fail(what + "out of range [" + text(columns.min(c)) + ", " + text(columns.max(c)) + "]: " + text(v));
    }
}

}  // namespace

std::size_t column_set::find(std::string_view name) const noexcept {
    auto it = index_.find(name);
    return it == index_.end() ? npos : it->second;
}

// Every payload form, before the range check.
void decode_any(std::string_view body, const column_set& columns, decoded_rows& out);

void decode_payload(std::string_view body, const column_set& columns, decoded_rows& out) {
    decode_any(body, columns, out);
    require_plausible(out, columns);
}

void decode_any(std::string_view body, const column_set& columns, decoded_rows& out) {
    if (decode_dense(body, columns, out)) return;
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
