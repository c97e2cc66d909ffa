#include "amlops/pipeline/loader.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/key_value.hpp"
#include "amlops/pipeline/expression.hpp"
#include "set_override.hpp"
#include "amlops/yaml/load.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cctype>
#include <map>
#include <set>

namespace amlops::pipeline {
namespace fs = std::filesystem;

namespace {

// --- small helpers ------------------------------------------------------------------------------

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

bool is_identifier(std::string_view s) {
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string format_number(double v) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

std::optional<double> parse_double(std::string_view s) {
    if (!s.empty() && s[0] == '+') s.remove_prefix(1);
    double d = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), d);
    if (s.empty() || r.ec != std::errc{} || r.ptr != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
    return d;
}

bool is_integer_text(std::string_view s) {
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// Reads one YAML file and remembers its display name for error locations.
class yaml_doc {
public:
    explicit yaml_doc(fs::path file) : file_(std::move(file)), name_(file_.string()) {}

    YAML::Node load() const {
        std::error_code ec;
        if (!fs::is_regular_file(file_, ec)) throw error(error_kind::not_found, "no such YAML file").in_file(name_);
        return yaml::parse(read_file(file_), name_);
    }

    const std::string& name() const noexcept { return name_; }
    const fs::path& file() const noexcept { return file_; }

    source_location at(const std::string& key_path, const YAML::Node& node) const {
        const auto m = node.Mark();
        std::size_t line = m.is_null() || m.line < 0 ? 0 : static_cast<std::size_t>(m.line) + 1;
        // A value that came from --set has no line in the file (yaml-cpp keeps a stale mark).
        for (const auto& o : overridden_)
            if (key_path == o || key_path.rfind(o + ".", 0) == 0) line = 0;
        return {name_, key_path, line};
    }

    /// Records the key path of a --set override ("a.b=c" -> "a.b").
    void overridden(const std::string& assignment) { overridden_.push_back(assignment.substr(0, assignment.find('='))); }

    /// Throws for any key of `map` not in `allowed` (with a did-you-mean hint) and for repeated keys.
    void check_keys(const YAML::Node& map, const std::string& path, const std::vector<std::string_view>& allowed,
                    std::string_view what) const {
        require_map(map, path, what);
        std::set<std::string> seen;
        for (const auto& kv : map) {
            if (!kv.first.IsScalar()) throw error_at(at(path, kv.first), "keys of " + std::string(what) + " must be names");
            const std::string key = kv.first.Scalar();
            if (!seen.insert(key).second) throw error_at(at(join(path, key), kv.first), "duplicate key '" + key + "'");
            if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
            std::string hint;
            std::size_t best = 3;
            for (auto a : allowed) {
                const auto d = edit_distance(key, a);
                if (d < best) best = d, hint = " (did you mean '" + std::string(a) + "'?)";
            }
            throw error_at(at(join(path, key), kv.first), "unknown key '" + key + "' in " + std::string(what) + hint);
        }
    }

    void require_map(const YAML::Node& node, const std::string& path, std::string_view what) const {
        if (!node.IsMap()) throw error_at(at(path, node), std::string(what) + " must be a mapping");
    }

    std::string scalar(const YAML::Node& node, const std::string& path) const {
        if (!node.IsScalar()) throw error_at(at(path, node), "expected a single value");
        return node.Scalar();
    }

    bool boolean(const YAML::Node& node, const std::string& path) const {
        auto b = normalize_boolean(scalar(node, path));
        if (!b) throw error_at(at(path, node), "expected true or false, got '" + node.Scalar() + "'");
        return *b == "True";
    }

    double number(const YAML::Node& node, const std::string& path) const {
        auto d = parse_double(scalar(node, path));
        if (!d) throw error_at(at(path, node), "expected a number, got '" + node.Scalar() + "'");
        return *d;
    }

private:
    fs::path file_;
    std::string name_;
    std::vector<std::string> overridden_;
};

std::string flow_text(const YAML::Node& node) {
    if (node.IsScalar()) return node.Scalar();
    YAML::Emitter out;
    out << YAML::Flow << node;
    return out.c_str();
}

std::string canonical_text(const YAML::Node& node) {
    YAML::Emitter out;
    out << node;
    return out.c_str();
}

/// Remote references have no local meaning; failing beats silently using something else.
void reject_remote(const yaml_doc& doc, const YAML::Node& node, const std::string& path, const std::string& text,
                   std::string_view what) {
    static constexpr std::string_view remote[] = {"azureml:", "http://", "https://", "wasbs://", "wasb://",
                                                  "abfss://", "adl://", "gs://", "s3://"};
    for (auto prefix : remote)
        if (text.rfind(prefix, 0) == 0)
            throw error_at(doc.at(path, node), std::string(what) + " '" + text +
                                                   "' is a remote reference; the local runner needs a local path");
}

// --- components ---------------------------------------------------------------------------------

const std::vector<std::string_view> reserved_names = {"path", "ld_library_path", "user", "logname",
                                                                    "home", "pwd", "shell"};

void check_io_name(const yaml_doc& doc, const YAML::Node& key, const std::string& path, const std::string& name) {
    if (!is_identifier(name))
        throw error_at(doc.at(path, key), "'" + name + "' is not a valid input/output name (letters, digits, _)");
    if (std::find(reserved_names.begin(), reserved_names.end(), lower(name)) != reserved_names.end())
        throw error_at(doc.at(path, key), "'" + name + "' is a reserved name and cannot name an input or output");
}

input_decl parse_input_decl(const yaml_doc& doc, const std::string& name, const YAML::Node& key, const YAML::Node& n,
                            const std::string& path) {
    doc.check_keys(n, path, {"type", "description", "default", "optional", "min", "max", "enum"}, "an input");
    input_decl d;
    d.name = name;
    d.where = doc.at(path, key);
    if (!n["type"]) throw error_at(doc.at(path, n), "input '" + name + "' needs a type");
    d.type = doc.scalar(n["type"], join(path, "type"));
    if (!is_data_type(d.type) && !is_literal_type(d.type))
        throw error_at(doc.at(join(path, "type"), n["type"]), "unknown input type '" + d.type + "'");
    if (n["description"]) d.description = flow_text(n["description"]);
    if (n["optional"]) d.optional = doc.boolean(n["optional"], join(path, "optional"));
    const bool numeric = d.type == "number" || d.type == "integer";
    for (const char* bound : {"min", "max"}) {
        if (!n[bound]) continue;
        if (!numeric)
            throw error_at(doc.at(join(path, bound), n[bound]), std::string(bound) + " applies only to number and integer inputs");
        (std::string_view(bound) == "min" ? d.min : d.max) = doc.number(n[bound], join(path, bound));
    }
    if (d.min && d.max && *d.min > *d.max)
        throw error_at(doc.at(join(path, "min"), n["min"]), "min is greater than max");
    if (n["enum"]) {
        if (d.type != "string") throw error_at(doc.at(join(path, "enum"), n["enum"]), "enum applies only to string inputs");
        if (!n["enum"].IsSequence() || n["enum"].size() == 0)
            throw error_at(doc.at(join(path, "enum"), n["enum"]), "enum must be a non-empty list");
        for (const auto& v : n["enum"]) d.enum_values.push_back(doc.scalar(v, join(path, "enum")));
    }
    if (n["default"] && !n["default"].IsNull()) {
        const auto& dv = n["default"];
        const auto text = doc.scalar(dv, join(path, "default"));
        d.default_value = is_data_type(d.type) ? text : check_literal(d, text, doc.at(join(path, "default"), dv));
    }
    return d;
}

/// The documented component errors about `command`: undeclared references, optional inputs
/// outside `$[[...]]`, required inputs inside one, and `\` line continuations.
void check_command(const yaml_doc& doc, const component_spec& c, const YAML::Node& node, const std::string& path) {
    const auto where = doc.at(path, node);
    if (c.command.find("\\\n") != std::string::npos || c.command.find("\\\r\n") != std::string::npos)
        throw error_at(where, "'\\' line continuations are not allowed in a command; use a folded block (>-)");
    std::vector<command_segment> segments;
    try {
        segments = split_optional_blocks(c.command);
    } catch (const error& e) {
        throw error_at(where, e.what());
    }
    for (const auto& seg : segments) {
        std::vector<expression> found;
        try {
            found = find_expressions(seg.text);
        } catch (const error& e) {
            throw error_at(where, e.what());
        }
        for (const auto& e : found) {
            const auto ref = parse_reference(e.target);
            const bool self = ref && (ref->kind == reference::scope::self_input || ref->kind == reference::scope::self_output);
            if (!self) throw error_at(where, "invalid data binding expression '${{" + e.target + "}}'");
            if (ref->kind == reference::scope::self_output) {
                if (!c.find_output(ref->name))
                    throw error_at(where, "command uses output '" + ref->name + "', which is not declared under outputs");
                continue;
            }
            const auto* in = c.find_input(ref->name);
            if (!in) throw error_at(where, "command uses input '" + ref->name + "', which is not declared under inputs");
            if (in->optional && !seg.optional_block)
                throw error_at(where, "optional input '" + ref->name + "' must be placed in an optional block $[[...]]");
            if (!in->optional && seg.optional_block)
                throw error_at(where, "only optional inputs may appear in $[[...]]; '" + ref->name + "' is required");
        }
    }
}

std::shared_ptr<const component_spec> parse_component(const yaml_doc& doc, const YAML::Node& n, const std::string& path,
                                                       const fs::path& base_dir) {
    doc.check_keys(n, path,
                   {"$schema", "type", "name", "version", "display_name", "description", "tags", "is_deterministic",
                    "command", "code", "environment", "distribution", "resources", "inputs", "outputs",
                    "additional_includes", "properties"},
                   "a command component");
    auto c = std::make_shared<component_spec>();
    c->base_dir = base_dir;
    c->where = doc.at(path, n);
    if (n["type"]) {
        const auto type = doc.scalar(n["type"], join(path, "type"));
        if (type != "command")
            throw error_at(doc.at(join(path, "type"), n["type"]),
                           "component type '" + type + "' is not supported locally (only command components)");
    }
    if (!n["name"]) throw error_at(c->where, "a component needs a name");
    c->name = doc.scalar(n["name"], join(path, "name"));
    const bool name_ok = !c->name.empty() && c->name.size() <= 255 && std::islower(static_cast<unsigned char>(c->name[0])) &&
                         std::all_of(c->name.begin(), c->name.end(), [](char ch) {
                             return std::islower(static_cast<unsigned char>(ch)) || std::isdigit(static_cast<unsigned char>(ch)) || ch == '_';
                         });
    if (!name_ok)
        throw error_at(doc.at(join(path, "name"), n["name"]),
                       "component name '" + c->name + "' must start with a lowercase letter and use only a-z, 0-9 and _");
    if (n["version"]) c->version = doc.scalar(n["version"], join(path, "version"));
    if (n["is_deterministic"]) c->is_deterministic = doc.boolean(n["is_deterministic"], join(path, "is_deterministic"));
    if (!n["environment"]) throw error_at(c->where, "a component needs an environment");
    c->environment = flow_text(n["environment"]);
    if (n["code"]) {
        const auto text = doc.scalar(n["code"], join(path, "code"));
        reject_remote(doc, n["code"], join(path, "code"), text, "code");
        c->code_dir = (base_dir / text).lexically_normal();
        std::error_code ec;
        if (!fs::is_directory(*c->code_dir, ec))
            throw error_at(doc.at(join(path, "code"), n["code"]), "code folder '" + text + "' does not exist", error_kind::not_found);
    }
    std::set<std::string> names;
    if (n["inputs"] && !n["inputs"].IsNull()) {
        doc.require_map(n["inputs"], join(path, "inputs"), "inputs");
        for (const auto& kv : n["inputs"]) {
            const auto name = kv.first.Scalar();
            const auto p = join(join(path, "inputs"), name);
            check_io_name(doc, kv.first, p, name);
            names.insert(name);
            c->inputs.push_back(parse_input_decl(doc, name, kv.first, kv.second, p));
        }
    }
    if (n["outputs"] && !n["outputs"].IsNull()) {
        doc.require_map(n["outputs"], join(path, "outputs"), "outputs");
        for (const auto& kv : n["outputs"]) {
            const auto name = kv.first.Scalar();
            const auto p = join(join(path, "outputs"), name);
            check_io_name(doc, kv.first, p, name);
            if (!names.insert(name).second) throw error_at(doc.at(p, kv.first), "'" + name + "' is both an input and an output");
            doc.check_keys(kv.second, p, {"type", "description", "mode", "is_control", "early_available"}, "an output");
            if (kv.second["is_control"] || kv.second["early_available"])
                throw error_at(doc.at(p, kv.second), "control outputs (is_control, early_available) are not supported locally");
            if (!kv.second["type"]) throw error_at(doc.at(p, kv.second), "output '" + name + "' needs a type");
            const auto type = doc.scalar(kv.second["type"], join(p, "type"));
            if (!is_data_type(type))
                throw error_at(doc.at(join(p, "type"), kv.second["type"]),
                               "output type '" + type + "' is not supported (outputs are data: uri_folder, uri_file, ...)");
            c->outputs.push_back({name, type, doc.at(p, kv.first)});
        }
    }
    if (!n["command"]) throw error_at(c->where, "a command component needs a command");
    c->command = doc.scalar(n["command"], join(path, "command"));
    check_command(doc, *c, n["command"], join(path, "command"));
    c->canonical = canonical_text(n);
    return c;
}

// --- jobs ---------------------------------------------------------------------------------------

value_spec parse_value(const yaml_doc& doc, const YAML::Node& n, const std::string& path) {
    value_spec v;
    v.where = doc.at(path, n);
    if (!n || n.IsNull()) {
        v.is_null = true;
        return v;
    }
    if (n.IsScalar()) {
        v.text = n.Scalar();
        v.quoted = n.Tag() == "!";
        return v;
    }
    doc.check_keys(n, path, {"type", "path", "mode", "description", "default", "value", "optional"}, "an input value");
    if (n["type"]) v.type = doc.scalar(n["type"], join(path, "type"));
    if (n["path"]) {
        if (!v.type.empty() && !is_data_type(v.type))
            throw error_at(doc.at(join(path, "type"), n["type"]), "a path needs a data type (uri_folder, uri_file, ...), not '" + v.type + "'");
        if (v.type.empty()) v.type = "uri_folder";
        v.is_data = true;
        v.text = doc.scalar(n["path"], join(path, "path"));
        v.where = doc.at(join(path, "path"), n["path"]);
        if (!whole_expression(v.text)) reject_remote(doc, n["path"], join(path, "path"), v.text, "path");
        return v;
    }
    const YAML::Node literal = n["value"] ? n["value"] : n["default"];
    if (!v.type.empty() && is_literal_type(v.type) && literal) {
        v.text = doc.scalar(literal, path);
        v.quoted = literal.Tag() == "!";
        v.where = doc.at(path, literal);
        return v;
    }
    if (!v.type.empty() && !is_literal_type(v.type) && !is_data_type(v.type))
        throw error_at(doc.at(join(path, "type"), n["type"]), "unknown input type '" + v.type + "'");
    throw error_at(v.where, "an input object needs a path (data) or a value (literal)");
}

void note_ignored(job_spec& job, const YAML::Node& node, const std::string& path, const std::string& note) {
    job.ignored.push_back({path, flow_text(node), note});
}

const std::vector<std::string_view> command_job_keys = {
    "$schema", "type", "name", "display_name", "description", "tags", "properties", "experiment_name",
    "command", "code", "environment", "environment_variables", "inputs", "outputs", "compute", "resources",
    "distribution", "limits", "services", "identity", "queue_settings", "component"};

/// A step (`jobs.<name>`) or a whole command job file (path "" then).
step_spec parse_step(const yaml_doc& doc, job_spec& job, const std::string& name, const YAML::Node& n, const std::string& path,
                     std::map<std::string, std::shared_ptr<const component_spec>>& component_cache) {
    doc.check_keys(n, path, command_job_keys, path.empty() ? "a command job" : "a pipeline step");
    step_spec s;
    s.name = name;
    s.where = doc.at(path, n);
    if (n["type"]) {
        const auto type = doc.scalar(n["type"], join(path, "type"));
        if (type != "command")
            throw error_at(doc.at(join(path, "type"), n["type"]),
                           "job type '" + type + "' is not supported by the local runner (only command steps)");
    }
    for (const char* key : {"compute", "resources", "distribution", "services", "identity", "queue_settings"})
        if (n[key]) note_ignored(job, n[key], join(path, key), "no effect locally: runs on this machine as one process");
    if (n["limits"]) {
        doc.check_keys(n["limits"], join(path, "limits"), {"timeout"}, "limits");
        if (n["limits"]["timeout"]) {
            s.timeout_seconds = doc.number(n["limits"]["timeout"], join(path, "limits.timeout"));
            if (*s.timeout_seconds <= 0)
                throw error_at(doc.at(join(path, "limits.timeout"), n["limits"]["timeout"]), "timeout must be positive");
        }
    }
    if (n["environment_variables"] && !n["environment_variables"].IsNull()) {
        const auto p = join(path, "environment_variables");
        doc.require_map(n["environment_variables"], p, "environment_variables");
        for (const auto& kv : n["environment_variables"]) {
            const auto key = kv.first.Scalar();
            auto v = parse_value(doc, kv.second, join(p, key));
            if (v.is_data || (!v.quoted && normalize_boolean(v.text) && !v.is_null))
                throw error_at(v.where, "environment variable values must be strings (quote them)");
            s.environment_variables.emplace_back(key, std::move(v));
        }
    }
    if (n["inputs"] && !n["inputs"].IsNull()) {
        const auto p = join(path, "inputs");
        doc.require_map(n["inputs"], p, "inputs");
        for (const auto& kv : n["inputs"]) {
            const auto key = kv.first.Scalar();
            s.inputs.emplace_back(key, parse_value(doc, kv.second, join(p, key)));
        }
    }
    std::vector<output_decl> inline_outputs;
    if (n["outputs"] && !n["outputs"].IsNull()) {
        const auto p = join(path, "outputs");
        doc.require_map(n["outputs"], p, "outputs");
        for (const auto& kv : n["outputs"]) {
            const auto key = kv.first.Scalar();
            const auto op = join(p, key);
            step_output o{key, std::nullopt, doc.at(op, kv.first)};
            std::string type = "uri_folder";
            const auto& v = kv.second;
            if (v.IsScalar()) {
                auto target = whole_expression(v.Scalar());
                auto ref = target ? parse_reference(*target) : std::nullopt;
                if (!ref || ref->kind != reference::scope::parent_output)
                    throw error_at(doc.at(op, v), "an output must be empty, a mapping or ${{parent.outputs.<name>}}");
                o.parent_output = ref->name;
            } else if (v.IsMap()) {
                doc.check_keys(v, op, {"type", "mode", "path", "name", "version", "description"}, "an output");
                if (v["path"])
                    throw error_at(doc.at(join(op, "path"), v["path"]),
                                   "output paths are not supported locally; outputs are written under the workspace's runs folder");
                if (v["name"] || v["version"]) note_ignored(job, v, op, "not registered as a data asset locally");
                if (v["mode"]) note_ignored(job, v["mode"], join(op, "mode"), "outputs are local folders");
                if (v["type"]) type = doc.scalar(v["type"], join(op, "type"));
            } else if (!v.IsNull()) {
                throw error_at(doc.at(op, v), "an output must be empty, a mapping or ${{parent.outputs.<name>}}");
            }
            inline_outputs.push_back({key, type, o.where});
            s.outputs.push_back(std::move(o));
        }
    }

    if (n["component"]) {
        for (const char* key : {"command", "code"})
            if (n[key]) throw error_at(doc.at(join(path, key), n[key]), std::string("a step with a component cannot also set ") + key);
        if (n["environment"]) note_ignored(job, n["environment"], join(path, "environment"), "no environment is built locally");
        const auto& c = n["component"];
        const auto cp = join(path, "component");
        if (c.IsMap()) {
            s.component = parse_component(doc, c, cp, job.base_dir);
        } else {
            std::string ref = doc.scalar(c, cp);
            reject_remote(doc, c, cp, ref, "component");
            if (ref.rfind("file:", 0) == 0) ref = ref.substr(5);
            const fs::path file = (doc.file().parent_path() / ref).lexically_normal();
            std::error_code ec;
            if (!fs::is_regular_file(file, ec))
                throw error_at(doc.at(cp, c), "component file '" + ref + "' does not exist", error_kind::not_found);
            const auto key = fs::weakly_canonical(file, ec).string();
            auto& cached = component_cache[key];
            if (!cached) cached = load_component(file);
            s.component = cached;
        }
    } else {
        if (!n["command"]) throw error_at(s.where, path.empty() ? "a command job needs a command" : "step needs a component or a command");
        if (!n["environment"]) throw error_at(s.where, "a command job needs an environment");
        // An inline command job declares its inputs by binding them; types come from the values.
        auto c = std::make_shared<component_spec>();
        c->name = name;
        c->base_dir = job.base_dir;
        c->where = s.where;
        c->environment = flow_text(n["environment"]);
        c->command = doc.scalar(n["command"], join(path, "command"));
        if (n["code"]) {
            const auto text = doc.scalar(n["code"], join(path, "code"));
            reject_remote(doc, n["code"], join(path, "code"), text, "code");
            c->code_dir = (job.base_dir / text).lexically_normal();
            std::error_code ec;
            if (!fs::is_directory(*c->code_dir, ec))
                throw error_at(doc.at(join(path, "code"), n["code"]), "code folder '" + text + "' does not exist", error_kind::not_found);
        }
        for (const auto& [key, v] : s.inputs) {
            input_decl d;
            d.name = key;
            d.type = v.type;  // empty for bare literals and bindings: typed when resolved
            d.where = v.where;
            c->inputs.push_back(d);
        }
        c->outputs = inline_outputs;
        check_command(doc, *c, n["command"], join(path, "command"));
        YAML::Node spec = YAML::Clone(n);
        spec.remove("inputs");
        c->canonical = canonical_text(spec);
        s.component = c;
    }
    return s;
}

}  // namespace

// --- public -------------------------------------------------------------------------------------

std::optional<std::string> normalize_boolean(std::string_view text) {
    const auto l = lower(text);
    if (l == "true" || l == "yes" || l == "on") return "True";
    if (l == "false" || l == "no" || l == "off") return "False";
    return std::nullopt;
}

std::string check_literal(const input_decl& decl, const std::string& text, const source_location& where) {
    const auto& t = decl.type;
    if (t.empty()) return text;
    if (is_data_type(t))
        throw error_at(where, "input '" + decl.name + "' expects " + t + " data (a {type, path} object or a job output), got the literal '" + text + "'");
    if (t == "boolean") {
        auto b = normalize_boolean(text);
        if (!b) throw error_at(where, "input '" + decl.name + "' expects a boolean, got '" + text + "'");
        return *b;
    }
    if (t == "string") {
        if (!decl.enum_values.empty() &&
            std::find(decl.enum_values.begin(), decl.enum_values.end(), text) == decl.enum_values.end()) {
            std::string allowed;
            for (const auto& e : decl.enum_values) allowed += (allowed.empty() ? "" : ", ") + e;
            throw error_at(where, "value '" + text + "' of input '" + decl.name + "' is not one of [" + allowed + "]");
        }
        return text;
    }
    const auto d = parse_double(text);
    if (t == "integer" && (!is_integer_text(text) || !d))
        throw error_at(where, "input '" + decl.name + "' expects an integer, got '" + text + "'");
    if (!d) throw error_at(where, "input '" + decl.name + "' expects a number, got '" + text + "'");
    if (decl.min && *d < *decl.min)
        throw error_at(where, "value " + text + " of input '" + decl.name + "' is below the minimum " + format_number(*decl.min));
    if (decl.max && *d > *decl.max)
        throw error_at(where, "value " + text + " of input '" + decl.name + "' is above the maximum " + format_number(*decl.max));
    return text;
}

void apply_set(YAML::Node& root, const std::string& assignment) {
    const auto [path, set_value] = split_key_value(assignment, "--set", value_rule::any, "--set KEY.PATH=VALUE");
    const std::string& value = *set_value;
    std::vector<std::string> keys;
    for (std::size_t start = 0;;) {
        const auto dot = path.find('.', start);
        keys.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    for (const auto& k : keys)
        if (k.empty()) throw error(error_kind::usage, "empty key in --set path '" + path + "'").on_field("--set");
    YAML::Node cur = root;
    for (std::size_t i = 0; i + 1 < keys.size(); ++i) {
        YAML::Node next = cur[keys[i]];
        if (next.IsScalar() || next.IsSequence())
            throw error(error_kind::usage, "Cannot use '--set' on properties defined by reference strings: '" +
                                               join(std::string{}, keys[i]) + "' in '" + path + "' is not a mapping")
                .on_field("--set");
        if (!next.IsDefined() || next.IsNull()) {
            cur[keys[i]] = YAML::Node(YAML::NodeType::Map);
            next = cur[keys[i]];
        }
        cur.reset(next);  // rebind, do not assign: Node::operator= would overwrite the value
    }
    cur[keys.back()] = value;
}

void require_no_ignored_keys(const job_spec& job) {
    if (job.ignored.empty()) return;
    std::string keys;
    for (const auto& i : job.ignored) keys += (keys.empty() ? "" : ", ") + i.key_path;
    const auto& first = job.ignored.front();
    throw error(error_kind::config, "'" + first.value + "' cannot be honoured locally (" + first.note + "); --strict refuses: " + keys)
        .in_file(job.file.string())
        .on_field(first.key_path);
}

std::shared_ptr<const component_spec> load_component(const fs::path& file) {
    yaml_doc doc(file);
    const auto root = doc.load();
    std::error_code ec;
    const auto base = fs::absolute(file, ec).parent_path().lexically_normal();
    return parse_component(doc, root, "", base);
}

job_spec load_job(const fs::path& file, const std::vector<std::string>& overrides) {
    yaml_doc doc(file);
    YAML::Node root = doc.load();
    if (!root.IsMap()) throw error(error_kind::config, "a job file must be a YAML mapping").in_file(doc.name());
    for (const auto& o : overrides) {
        apply_set(root, o);
        doc.overridden(o);
    }

    job_spec job;
    job.file = file;
    std::error_code ec;
    job.base_dir = fs::absolute(file, ec).parent_path().lexically_normal();
    job.type = root["type"] ? doc.scalar(root["type"], "type") : "command";
    job.name = root["display_name"] ? doc.scalar(root["display_name"], "display_name") : file.stem().string();
    if (root["experiment_name"]) job.experiment_name = doc.scalar(root["experiment_name"], "experiment_name");
    std::map<std::string, std::shared_ptr<const component_spec>> components;

    if (job.type == "command") {
        job.jobs.push_back(parse_step(doc, job, "main", root, "", components));
        return job;
    }
    if (job.type != "pipeline")
        throw error_at(doc.at("type", root["type"]), "job type '" + job.type + "' is not supported locally (pipeline or command)");

    doc.check_keys(root, "",
                   {"$schema", "type", "name", "display_name", "description", "tags", "properties", "experiment_name",
                    "inputs", "outputs", "settings", "jobs", "identity", "compute"},
                   "a pipeline job");
    for (const char* key : {"compute", "identity"})
        if (root[key]) note_ignored(job, root[key], key, "no effect locally: runs on this machine");
    if (root["settings"] && !root["settings"].IsNull()) {
        const auto& s = root["settings"];
        doc.check_keys(s, "settings",
                       {"default_compute", "default_datastore", "continue_on_step_failure", "force_rerun", "on_init",
                        "on_finalize", "default_environment"},
                       "settings");
        if (s["continue_on_step_failure"])
            job.continue_on_step_failure = doc.boolean(s["continue_on_step_failure"], "settings.continue_on_step_failure");
        if (s["force_rerun"]) job.force_rerun = doc.boolean(s["force_rerun"], "settings.force_rerun");
        for (const char* key : {"default_compute", "default_datastore", "on_init", "on_finalize", "default_environment"})
            if (s[key]) note_ignored(job, s[key], join("settings", key), "no effect locally");
    }
    if (root["inputs"] && !root["inputs"].IsNull()) {
        doc.require_map(root["inputs"], "inputs", "inputs");
        for (const auto& kv : root["inputs"]) {
            const auto key = kv.first.Scalar();
            check_io_name(doc, kv.first, join("inputs", key), key);
            job.inputs.emplace_back(key, parse_value(doc, kv.second, join("inputs", key)));
        }
    }
    if (root["outputs"] && !root["outputs"].IsNull()) {
        doc.require_map(root["outputs"], "outputs", "outputs");
        for (const auto& kv : root["outputs"]) {
            const auto key = kv.first.Scalar();
            const auto p = join("outputs", key);
            check_io_name(doc, kv.first, p, key);
            std::string type = "uri_folder";
            if (kv.second.IsMap()) {
                doc.check_keys(kv.second, p, {"type", "mode", "path", "name", "version", "description"}, "an output");
                if (kv.second["path"])
                    throw error_at(doc.at(join(p, "path"), kv.second["path"]),
                                   "output paths are not supported locally; outputs are written under the workspace's runs folder");
                if (kv.second["type"]) type = doc.scalar(kv.second["type"], join(p, "type"));
                if (kv.second["name"] || kv.second["version"]) note_ignored(job, kv.second, p, "not registered as a data asset locally");
            } else if (!kv.second.IsNull()) {
                throw error_at(doc.at(p, kv.second), "a pipeline output must be empty or a mapping");
            }
            job.outputs.push_back({key, type, doc.at(p, kv.first)});
        }
    }
    const auto& jobs = root["jobs"];
    if (!jobs || !jobs.IsMap() || jobs.size() == 0) throw error_at(doc.at("jobs", root), "a pipeline needs at least one job under jobs");
    for (const auto& kv : jobs) {
        const auto name = kv.first.Scalar();
        const auto p = join("jobs", name);
        const bool name_ok = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                             std::all_of(name.begin(), name.end(), [](char c) {
                                 return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
                             });
        if (!name_ok) throw error_at(doc.at(p, kv.first), "step name '" + name + "' must be letters, digits, _ or -");
        if (job.find_job(name)) throw error_at(doc.at(p, kv.first), "duplicate step '" + name + "'");
        if (kv.second["type"] && kv.second["type"].IsScalar()) {
            const auto type = kv.second["type"].Scalar();
            if (type != "command")
                throw error_at(doc.at(join(p, "type"), kv.second["type"]),
                               "step type '" + type + "' is not supported by the local runner" +
                                   (type == "if_else" || type == "do_while" || type == "parallel_for" ? " (unsupported control-flow node)" : ""));
        }
        job.jobs.push_back(parse_step(doc, job, name, kv.second, p, components));
    }
    return job;
}

}  // namespace amlops::pipeline
