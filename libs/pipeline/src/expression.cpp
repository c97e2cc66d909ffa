#include "amlops/pipeline/expression.hpp"

#include "amlops/core/error.hpp"

#include <cctype>

namespace amlops::pipeline {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> split_dots(std::string_view s) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        auto dot = s.find('.', start);
        parts.push_back(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return parts;
}

bool is_name(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
    return true;
}

}  // namespace

std::vector<expression> find_expressions(std::string_view text) {
    std::vector<expression> found;
    std::size_t pos = 0;
    while ((pos = text.find("${{", pos)) != std::string_view::npos) {
        const auto close = text.find("}}", pos + 3);
        if (close == std::string_view::npos)
            throw error(error_kind::config, "unterminated '${{' in '" + std::string(text) + "'");
        const auto target = trim(text.substr(pos + 3, close - pos - 3));
        if (target.empty()) throw error(error_kind::config, "empty expression '${{}}'");
        for (char c : target)
            if (is_blank(c))
                throw error(error_kind::config, "invalid expression '${{" + std::string(target) + "}}'");
        found.push_back({pos, close + 2, std::string(target)});
        pos = close + 2;
    }
    return found;
}

std::optional<std::string> whole_expression(std::string_view text) {
    const auto t = trim(text);
    auto found = find_expressions(t);
    if (found.size() != 1 || found[0].begin != 0 || found[0].end != t.size()) return std::nullopt;
    return found[0].target;
}

std::optional<reference> parse_reference(std::string_view target) {
    const auto p = split_dots(target);
    for (auto part : p)
        if (!is_name(part)) return std::nullopt;
    using s = reference::scope;
    if (p.size() == 2 && p[0] == "inputs") return reference{s::self_input, "", std::string(p[1])};
    if (p.size() == 2 && p[0] == "outputs") return reference{s::self_output, "", std::string(p[1])};
    if (p.empty() || p[0] != "parent") return std::nullopt;
    if (p.size() == 3 && p[1] == "inputs") return reference{s::parent_input, "", std::string(p[2])};
    if (p.size() == 3 && p[1] == "outputs") return reference{s::parent_output, "", std::string(p[2])};
    if (p.size() == 5 && p[1] == "jobs" && p[3] == "outputs")
        return reference{s::job_output, std::string(p[2]), std::string(p[4])};
    if (p.size() == 5 && p[1] == "jobs" && p[3] == "inputs")
        return reference{s::job_input, std::string(p[2]), std::string(p[4])};
    return std::nullopt;
}

std::string substitute(std::string_view text, const std::function<std::string(const std::string&)>& value) {
    std::string out;
    std::size_t last = 0;
    for (const auto& e : find_expressions(text)) {
        out.append(text.substr(last, e.begin - last));
        out.append(value(e.target));
        last = e.end;
    }
    out.append(text.substr(last));
    return out;
}

std::vector<command_segment> split_optional_blocks(std::string_view command) {
    std::vector<command_segment> segments;
    std::size_t pos = 0;
    while (pos < command.size()) {
        const auto open = command.find("$[[", pos);
        if (open == std::string_view::npos) {
            segments.push_back({std::string(command.substr(pos)), false});
            break;
        }
        if (open > pos) segments.push_back({std::string(command.substr(pos, open - pos)), false});
        const auto close = command.find("]]", open + 3);
        if (close == std::string_view::npos)
            throw error(error_kind::config, "unterminated optional block '$[[' in command");
        const auto inner = command.substr(open + 3, close - open - 3);
        if (inner.find("$[[") != std::string_view::npos)
            throw error(error_kind::config, "nested optional blocks '$[[' are not supported");
        segments.push_back({std::string(inner), true});
        pos = close + 2;
    }
    return segments;
}

std::string render_command(std::string_view command,
                           const std::function<std::optional<std::string>(const std::string&)>& input,
                           const std::function<std::string(const std::string&)>& output) {
    std::string out;
    for (const auto& seg : split_optional_blocks(command)) {
        bool keep = true;
        std::string text = substitute(seg.text, [&](const std::string& target) -> std::string {
            const auto ref = parse_reference(target);
            if (ref && ref->kind == reference::scope::self_output) return output(ref->name);
            if (!ref || ref->kind != reference::scope::self_input)
                throw error(error_kind::config, "invalid data binding expression '${{" + target + "}}' in command");
            auto v = input(ref->name);
            if (!v) {
                if (!seg.optional_block)
                    throw error(error_kind::config, "input '" + ref->name + "' has no value; optional inputs must be "
                                                    "placed in an optional block $[[...]]");
                keep = false;
                return {};
            }
            return *v;
        });
        if (keep) out += text;
    }
    return out;
}

}  // namespace amlops::pipeline
