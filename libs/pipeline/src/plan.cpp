#include "amlops/pipeline/plan.hpp"

#include "amlops/pipeline/expression.hpp"
#include "amlops/pipeline/loader.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace amlops::pipeline {
namespace fs = std::filesystem;

const bound_value* planned_job::find_input(std::string_view n) const noexcept {
    for (const auto& [k, v] : inputs)
        if (k == n) return &v;
    return nullptr;
}

const planned_job* plan::find_job(std::string_view n) const noexcept {
    for (const auto& j : jobs)
        if (j.name == n) return &j;
    return nullptr;
}

namespace {

using ref_scope = reference::scope;

/// Local data path of a value written in a file whose folder is `base`.
bound_value local_data(const std::string& text, const std::string& type, const fs::path& base, const source_location& where) {
    bound_value b;
    b.what = bound_value::kind::data;
    b.type = type.empty() ? "uri_folder" : type;
    b.path = (base / text).lexically_normal();
    b.where = where;
    std::error_code ec;
    const auto st = fs::status(b.path, ec);
    if (!fs::exists(st)) throw error_at(where, "data path '" + text + "' does not exist (resolved to " + b.path.string() + ")", error_kind::not_found);
    if (b.type == "uri_file" && !fs::is_regular_file(st))
        throw error_at(where, "uri_file path '" + text + "' is not a file");
    if ((b.type == "mlflow_model" || b.type == "custom_model" || b.type == "mltable") && !fs::is_directory(st))
        throw error_at(where, b.type + " path '" + text + "' is not a folder");
    return b;
}

/// Bare plain booleans are printed the way Azure ML's Python client prints them (True/False).
std::string literal_text(const value_spec& v) {
    if (!v.quoted)
        if (auto b = normalize_boolean(v.text)) return *b;
    return v.text;
}

class resolver {
public:
    explicit resolver(const job_spec& job) : job_(job) {}

    plan run() {
        plan p;
        resolve_pipeline_inputs(p);
        std::vector<planned_job> jobs;
        for (const auto& s : job_.jobs) jobs.push_back(resolve_step(s));
        bind_outputs(p);
        p.jobs = order(std::move(jobs));
        return p;
    }

private:
    void resolve_pipeline_inputs(plan& p) {
        for (const auto& [name, v] : job_.inputs) {
            if (v.is_null) continue;
            if (v.is_data) {
                if (whole_expression(v.text) || !find_expressions(v.text).empty())
                    throw error_at(v.where, "pipeline inputs cannot use expressions");
                p.inputs.emplace_back(name, local_data(v.text, v.type, job_.base_dir, v.where));
                continue;
            }
            if (!find_expressions(v.text).empty()) throw error_at(v.where, "pipeline inputs cannot use expressions");
            bound_value b;
            b.what = bound_value::kind::literal;
            b.where = v.where;
            b.type = v.type;
            if (!v.type.empty()) {
                input_decl d;
                d.name = name;
                d.type = v.type;
                b.text = check_literal(d, literal_text(v), v.where);
            } else {
                b.text = literal_text(v);
            }
            p.inputs.emplace_back(name, std::move(b));
        }
        pipeline_inputs_ = &p.inputs;
    }

    std::optional<bound_value> pipeline_input(const std::string& name, const source_location& where) const {
        const bool declared = std::any_of(job_.inputs.begin(), job_.inputs.end(), [&](const auto& kv) { return kv.first == name; });
        if (!declared) throw error_at(where, "unknown pipeline input '" + name + "' (not declared under inputs)");
        for (const auto& [k, v] : *pipeline_inputs_)
            if (k == name) return v;
        return std::nullopt;  // declared without value
    }

    const step_spec& step(const std::string& name, const source_location& where) const {
        const auto* s = job_.find_job(name);
        if (!s) throw error_at(where, "unknown job '" + name + "' (not under jobs)");
        return *s;
    }

    /// The value a step input receives, before the component's type check; nullopt = unbound.
    std::optional<bound_value> bind(const value_spec& v) {
        if (v.is_null) return std::nullopt;
        const auto text = v.text;
        if (auto target = whole_expression(text)) {
            const auto ref = parse_reference(*target);
            if (!ref || ref->kind == ref_scope::self_input || ref->kind == ref_scope::self_output)
                throw error_at(v.where, "unsupported expression '${{" + *target + "}}' in step inputs (use ${{parent.inputs.x}} or ${{parent.jobs.j.outputs.o}})");
            switch (ref->kind) {
            case ref_scope::parent_input: {
                auto b = pipeline_input(ref->name, v.where);
                if (b) b->where = v.where;
                if (b && v.is_data && b->what == bound_value::kind::literal)
                    throw error_at(v.where, "path binds pipeline input '" + ref->name + "', which is a literal, not data");
                return b;
            }
            case ref_scope::job_output: {
                const auto& producer = step(ref->job, v.where);
                if (!producer.component->find_output(ref->name))
                    throw error_at(v.where, "job '" + ref->job + "' has no output '" + ref->name + "'");
                bound_value b;
                b.what = bound_value::kind::job_output;
                b.job = ref->job;
                b.output = ref->name;
                b.type = producer.component->find_output(ref->name)->type;
                b.where = v.where;
                return b;
            }
            case ref_scope::job_input: {
                const auto& other = step(ref->job, v.where);
                const auto key = ref->job + "." + ref->name;
                if (!resolving_.insert(key).second) throw error_at(v.where, "input binding cycle through '" + key + "'");
                std::optional<bound_value> result;
                bool found = false;
                for (const auto& [k, ov] : other.inputs)
                    if (k == ref->name) found = true, result = bind(ov);
                if (!found) {
                    const auto* d = other.component->find_input(ref->name);
                    if (!d) throw error_at(v.where, "job '" + ref->job + "' has no input '" + ref->name + "'");
                    if (d->default_value) {
                        bound_value b;
                        b.text = *d->default_value;
                        b.type = d->type;
                        result = b;
                    }
                }
                resolving_.erase(key);
                if (result) result->where = v.where;
                return result;
            }
            default:
                throw error_at(v.where, "${{" + *target + "}} can only be used in outputs");
            }
        }
        const auto found = find_expressions(text);
        if (v.is_data) {
            if (!found.empty()) throw error_at(v.where, "a data path cannot mix a binding with other text");
            return local_data(text, v.type, job_.base_dir, v.where);
        }
        bound_value b;
        b.what = bound_value::kind::literal;
        b.where = v.where;
        b.type = v.type;
        if (found.empty()) {
            b.text = literal_text(v);
            return b;
        }
        // Interpolation: only literal pipeline inputs may be spliced into text.
        b.text = substitute(text, [&](const std::string& target) {
            const auto ref = parse_reference(target);
            if (!ref || ref->kind != ref_scope::parent_input)
                throw error_at(v.where, "only ${{parent.inputs.<name>}} can be combined with other text; '${{" + target +
                                            "}}' must be the whole value");
            auto in = pipeline_input(ref->name, v.where);
            if (!in) throw error_at(v.where, "pipeline input '" + ref->name + "' has no value");
            if (in->what != bound_value::kind::literal)
                throw error_at(v.where, "a data binding cannot be mixed with other text (pipeline input '" + ref->name + "' is data)");
            return in->text;
        });
        b.type.clear();
        return b;
    }

    /// Checks a bound value against the declaration it feeds.
    bound_value check(const input_decl& d, bound_value b, const std::string& component) {
        const bool data = b.what != bound_value::kind::literal;
        if (d.type.empty()) return b;
        if (data && is_literal_type(d.type))
            throw error_at(b.where, "input '" + d.name + "' of component '" + component + "' expects a " + d.type + ", got " + b.type + " data");
        if (!data) b.text = check_literal(d, b.text, b.where);
        if (!data) b.type = d.type;
        return b;
    }

    planned_job resolve_step(const step_spec& s) {
        const auto& c = *s.component;
        planned_job j;
        j.name = s.name;
        j.component = s.component;
        j.where = s.where;
        j.timeout_seconds = s.timeout_seconds;
        j.cwd = c.code_dir ? *c.code_dir : c.base_dir;
        const std::string inputs_path = s.where.key_path.empty() ? "inputs" : s.where.key_path + ".inputs";
        for (const auto& [name, v] : s.inputs)
            if (!c.find_input(name))
                throw error_at(v.where, "'" + name + "' is not an input of component '" + c.name + "'");
        std::set<std::string> deps;
        for (const auto& d : c.inputs) {
            std::optional<bound_value> b;
            const value_spec* written = nullptr;
            for (const auto& [name, v] : s.inputs)
                if (name == d.name) written = &v;
            if (written) b = bind(*written);
            if (!b && d.default_value) {
                bound_value def;
                def.where = d.where;
                if (is_data_type(d.type)) {
                    def = local_data(*d.default_value, d.type, c.base_dir, d.where);
                } else {
                    def.text = *d.default_value;
                    def.type = d.type;
                }
                b = def;
            }
            if (!b) {
                if (d.optional) continue;
                source_location where = s.where;
                where.key_path = inputs_path + "." + d.name;
                throw error_at(where, "required input '" + d.name + "' of component '" + c.name + "' has no value and no default");
            }
            auto checked = check(d, std::move(*b), c.name);
            if (checked.what == bound_value::kind::job_output) {
                if (checked.job == s.name) throw error_at(checked.where, "dependency cycle: job '" + s.name + "' uses its own output");
                deps.insert(checked.job);
            }
            j.inputs.emplace_back(d.name, std::move(checked));
        }
        j.depends_on.assign(deps.begin(), deps.end());
        for (const auto& [name, v] : s.environment_variables) {
            if (v.is_null) {
                j.environment.emplace_back(name, "");
                continue;
            }
            auto b = bind(v);
            if (b && b->what != bound_value::kind::literal)
                throw error_at(v.where, "environment variables can only use literal values");
            j.environment.emplace_back(name, b ? b->text : std::string());
        }
        for (const auto& o : s.outputs)
            if (!c.find_output(o.name))
                throw error_at(o.where, "'" + o.name + "' is not an output of component '" + c.name + "'");
        return j;
    }

    void bind_outputs(plan& p) {
        for (const auto& s : job_.jobs)
            for (const auto& o : s.outputs) {
                if (!o.parent_output) continue;
                const bool declared = std::any_of(job_.outputs.begin(), job_.outputs.end(),
                                                  [&](const output_decl& d) { return d.name == *o.parent_output; });
                if (!declared) throw error_at(o.where, "unknown pipeline output '" + *o.parent_output + "' (not declared under outputs)");
                for (const auto& [name, src] : p.outputs)
                    if (name == *o.parent_output)
                        throw error_at(o.where, "pipeline output '" + name + "' is already bound to job '" + src.first + "'");
                p.outputs.emplace_back(*o.parent_output, std::make_pair(s.name, o.name));
            }
    }

    /// Kahn's algorithm in file order; a leftover means a cycle, reported as a path.
    std::vector<planned_job> order(std::vector<planned_job> jobs) {
        std::vector<planned_job> sorted;
        std::set<std::string> done;
        std::vector<bool> placed(jobs.size(), false);
        for (bool progress = true; progress;) {
            progress = false;
            for (std::size_t i = 0; i < jobs.size(); ++i) {
                if (placed[i]) continue;
                const bool ready = std::all_of(jobs[i].depends_on.begin(), jobs[i].depends_on.end(),
                                               [&](const std::string& d) { return done.count(d) > 0; });
                if (!ready) continue;
                placed[i] = true;
                done.insert(jobs[i].name);
                sorted.push_back(std::move(jobs[i]));
                progress = true;
            }
        }
        if (sorted.size() == jobs.size()) return sorted;
        // Walk dependencies among the unplaced jobs until one repeats.
        std::map<std::string, const planned_job*> left;
        for (std::size_t i = 0; i < jobs.size(); ++i)
            if (!placed[i]) left[jobs[i].name] = &jobs[i];
        std::vector<std::string> path{left.begin()->first};
        while (true) {
            const auto* j = left.at(path.back());
            std::string next;
            for (const auto& d : j->depends_on)
                if (left.count(d)) {
                    next = d;
                    break;
                }
            const auto seen = static_cast<std::size_t>(std::find(path.begin(), path.end(), next) - path.begin());
            const bool repeats = seen < path.size();
            path.push_back(next);
            if (repeats) {
                std::string text;
                for (std::size_t i = seen; i < path.size(); ++i) text += (text.empty() ? "" : " -> ") + path[i];
                const source_location where = left.at(path[seen])->where;
                throw error_at(where, "dependency cycle: " + text + " (each step uses the next one's output)");
            }
        }
    }

    const job_spec& job_;
    const std::vector<std::pair<std::string, bound_value>>* pipeline_inputs_ = nullptr;
    std::set<std::string> resolving_;
};

}  // namespace

plan make_plan(const job_spec& job) { return resolver(job).run(); }

}  // namespace amlops::pipeline
