#include "xgboost_json.hpp"

#include "amlops/core/error.hpp"
#include "amlops/core/json.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <charconv>
#include <limits>

namespace amlops::model {
namespace {

// Where in the model document a value sits, as far as amlops cares.
enum class place : std::uint8_t {
    other,  // anything amlops does not read
    root,
    learner,
    learner_model_param,
    objective,
    gradient_booster,
    booster_model,
    gbtree_model_param,
    trees,
    tree,
    tree_param,
    left_children,
    right_children,
    split_conditions,
    split_indices,
    default_left,
    split_type,
    version,
};

// Boost.JSON's SAX interface: one call per token; returning false stops the parse.
class model_handler {
public:
    static constexpr std::size_t max_object_size = std::numeric_limits<std::size_t>::max();
    static constexpr std::size_t max_array_size = std::numeric_limits<std::size_t>::max();
    static constexpr std::size_t max_key_size = std::numeric_limits<std::size_t>::max();
    static constexpr std::size_t max_string_size = std::numeric_limits<std::size_t>::max();

    xgboost_model_fields fields;

    bool on_document_begin(boost::system::error_code&) { return true; }
    bool on_document_end(boost::system::error_code&) { return true; }
    bool on_object_begin(boost::system::error_code&) {
        open(child(true));
        return true;
    }
    bool on_object_end(std::size_t, boost::system::error_code&) { return close(); }
    bool on_array_begin(boost::system::error_code&) {
        open(child(false));
        return true;
    }
    bool on_array_end(std::size_t, boost::system::error_code&) { return close(); }
    bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        key_.append(s.data(), s.size());
        return true;
    }
    bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        key_.append(s.data(), s.size());
        stack_.back().key.assign(key_);
        key_.clear();
        return true;
    }
    bool on_string_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_string(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        text_.append(s.data(), s.size());
        scalar(false, 0);
        return true;
    }
    bool on_number_part(boost::json::string_view s, boost::system::error_code&) {
        text_.append(s.data(), s.size());
        return true;
    }
    bool on_int64(std::int64_t v, boost::json::string_view s, boost::system::error_code&) { return number(s, true, v); }
    bool on_uint64(std::uint64_t v, boost::json::string_view s, boost::system::error_code&) {
        return number(s, v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()), static_cast<std::int64_t>(v));
    }
    bool on_double(double, boost::json::string_view s, boost::system::error_code&) { return number(s, false, 0); }
    bool on_bool(bool b, boost::system::error_code&) {
        // default_left was written as booleans by some xgboost versions.
        if (!stack_.empty() && stack_.back().where == place::split_conditions) {
            fields.trees.back().malformed = true;  // a threshold is a number
            text_.clear();
            return true;
        }
        text_.clear();  // (push_back: GCC 12 warns falsely, -Wrestrict, on assigning a literal)
        text_.push_back(b ? '1' : '0');
        scalar(true, b ? 1 : 0);
        return true;
    }
    bool on_null(boost::system::error_code&) {
        text_.clear();
        scalar_other();
        return true;
    }
    bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }

private:
    struct frame {
        place where;
        std::string key;  // an object's current key
    };
    std::vector<frame> stack_;
    std::string key_, text_;

    // The place of a container opening inside the current one.
    place child(bool object) {
        if (stack_.empty()) return object ? place::root : place::other;
        const frame& f = stack_.back();
        const std::string_view k = f.key;
        switch (f.where) {
        case place::root:
            if (k == "learner" && object) return place::learner;
            if (k == "version" && !object) return place::version;
            return place::other;
        case place::learner:
            if (!object) return place::other;
            if (k == "learner_model_param") return place::learner_model_param;
            if (k == "objective") return place::objective;
            if (k == "gradient_booster") return place::gradient_booster;
            return place::other;
        case place::gradient_booster: return object && k == "model" ? place::booster_model : place::other;
        case place::booster_model:
            if (k == "gbtree_model_param" && object) return place::gbtree_model_param;
            if (k == "trees" && !object) return place::trees;
            return place::other;
        case place::trees:
            fields.trees.emplace_back();
            fields.trees.back().is_object = object;
            return object ? place::tree : place::other;
        case place::tree: {
            if (object) return k == "tree_param" ? place::tree_param : place::other;
            auto& t = fields.trees.back();
            if (k == "left_children") return t.has_left = true, place::left_children;
            if (k == "right_children") return t.has_right = true, place::right_children;
            if (k == "split_conditions") return t.has_conditions = true, place::split_conditions;
            if (k == "split_indices") return t.has_indices = true, place::split_indices;
            if (k == "default_left") return t.has_default_left = true, place::default_left;
            if (k == "split_type") return place::split_type;
            return place::other;
        }
        default:
            return place::other;
        }
    }

    void open(place p) {
        switch (p) {
        case place::learner: fields.learner = true; break;
        case place::learner_model_param: fields.learner_model_param = true; break;
        case place::objective: fields.objective_object = true; break;
        case place::gradient_booster: fields.gradient_booster = true; break;
        case place::booster_model: fields.booster_model = true; break;
        case place::gbtree_model_param: fields.gbtree_model_param = true; break;
        case place::trees: fields.trees_array = true; break;
        case place::version: fields.version = true; break;
        default: break;
        }
        stack_.push_back({p, {}});
    }
    bool close() {
        stack_.pop_back();
        return true;
    }

    bool number(boost::json::string_view s, bool integral, std::int64_t value) {
        // Most numbers sit in arrays amlops skips, or are integers wanted as such: no text.
        const place p = stack_.empty() ? place::other : stack_.back().where;
        if (p == place::other) {
            text_.clear();
            return true;
        }
        if (p >= place::left_children && p <= place::split_type && p != place::split_conditions) {
            text_.clear();
            scalar(integral, value);
            return true;
        }
        text_.append(s.data(), s.size());
        scalar(integral, value);
        return true;
    }
    void scalar_other() {
        if (!stack_.empty()) {
            const place p = stack_.back().where;
            if (p >= place::left_children && p <= place::split_type) fields.trees.back().malformed = true;
            else if (p == place::trees) fields.trees.emplace_back();  // a tree that is not an object
        }
        text_.clear();
    }
    // A scalar value in the current container (its text in text_).
    void scalar(bool integral, std::int64_t value) {
        if (stack_.empty()) return text_.clear();
        const frame& f = stack_.back();
        const std::string_view k = f.key;
        switch (f.where) {
        case place::learner_model_param:
            if (k == "num_feature") fields.num_feature = text_;
            else if (k == "base_score") fields.base_score = text_;
            else if (k == "num_class") fields.num_class = text_;
            else if (k == "num_target") fields.num_target = text_;
            break;
        case place::objective:
            if (k == "name") fields.objective = text_;
            break;
        case place::gradient_booster:
            if (k == "name") fields.booster = text_;
            break;
        case place::gbtree_model_param:
            if (k == "num_parallel_tree") fields.num_parallel_tree = text_;
            break;
        case place::tree_param:
            if (k == "size_leaf_vector") fields.trees.back().size_leaf_vector = text_;
            break;
        case place::trees: fields.trees.emplace_back(); break;  // a tree that is not an object
        case place::split_conditions: {
            auto& t = fields.trees.back();
            float v = 0;
            auto [ptr, ec] = std::from_chars(text_.data(), text_.data() + text_.size(), v);
            if (ec != std::errc() || ptr != text_.data() + text_.size()) t.malformed = true;
            t.split_condition.push_back(v);
            break;
        }
        case place::left_children: push_integer(fields.trees.back().left, integral, value); break;
        case place::right_children: push_integer(fields.trees.back().right, integral, value); break;
        case place::split_indices: push_integer(fields.trees.back().split_index, integral, value); break;
        case place::default_left: push_integer(fields.trees.back().default_left, integral, value); break;
        case place::split_type: push_integer(fields.trees.back().split_type, integral, value); break;
        default: break;
        }
        text_.clear();
    }
    void push_integer(std::vector<std::int64_t>& to, bool integral, std::int64_t value) {
        if (!integral) fields.trees.back().malformed = true;
        to.push_back(value);
    }
};

}  // namespace

xgboost_model_fields read_xgboost_json(std::string_view bytes, const std::string& origin) {
    auto fail = [&](const std::string& why) {
        throw error(error_kind::bad_input, "not a valid xgboost model (an xgboost JSON document): " + why).in_file(origin);
    };
    if (bytes.empty()) fail("empty file");
    if (bytes.front() != '{') fail("does not start with '{' (amlops loads model_format json only)");
    boost::json::basic_parser<model_handler> parser(boost::json::parse_options{});
    boost::system::error_code ec;
    const std::size_t used = parser.write_some(false, bytes.data(), bytes.size(), ec);
    const bool only_space_after = bytes.find_first_not_of(" \t\r\n", used) == std::string_view::npos;
    if (ec || !only_space_after) {
        try {
            (void)json::parse(bytes, origin);  // the same failure, described with its line
        } catch (const error& e) {
            fail(e.what());
        }
        fail(ec ? ec.message() : "trailing characters after the document");
    }
    xgboost_model_fields fields = std::move(parser.handler().fields);
    if (!fields.learner) fail("no \"learner\" object");
    if (!fields.gradient_booster) fail("no learner.gradient_booster object");
    if (!fields.learner_model_param) fail("no learner.learner_model_param object");
    if (!fields.version) fail("no \"version\" array");
    return fields;
}

}  // namespace amlops::model
