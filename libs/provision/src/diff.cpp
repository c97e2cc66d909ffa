// The property diff and the printable forms of plan / apply / verify / destroy results.
#include "amlops/provision/engine.hpp"

#include "amlops/http/message.hpp"

#include <iomanip>
#include <sstream>

namespace amlops::provision {
namespace {

using json::array;
using json::object;

bool is_unresolved(const json::value& v) {
    return v.is_string() && v.as_string().starts_with("${") && v.as_string().ends_with("}");
}

bool same_scalar(const json::value& a, const json::value& b) {
    if (a.is_string() && b.is_string()) return http::iequals(std::string(a.as_string()), std::string(b.as_string()));
    if (a.is_number() && b.is_number()) return a.to_number<double>() == b.to_number<double>();
    return a == b;
}

}  // namespace

std::string_view to_string(action a) {
    switch (a) {
    case action::none: return "no-change";
    case action::create: return "create";
    case action::update: return "update";
    case action::remove: return "delete";
    }
    return "no-change";
}

std::vector<field_change> diff_owned(const json::value& desired, const json::value* live, const std::string& prefix) {
    std::vector<field_change> out;
    if (is_unresolved(desired)) return out;  // known after apply
    if (const auto* d = desired.if_object()) {
        const auto* l = live ? live->if_object() : nullptr;
        if (!l) {
            out.push_back({prefix.empty() ? "(resource)" : prefix, live ? std::optional<json::value>(*live) : std::nullopt, desired});
            return out;
        }
        for (const auto& [k, v] : *d) {
            const std::string path = prefix.empty() ? std::string(k) : prefix + "." + std::string(k);
            auto sub = diff_owned(v, l->if_contains(k), path);
            out.insert(out.end(), sub.begin(), sub.end());
        }
        return out;
    }
    if (const auto* d = desired.if_array()) {
        const auto* l = live ? live->if_array() : nullptr;
        if (l && l->size() == d->size()) {
            for (std::size_t i = 0; i < d->size(); ++i) {
                auto sub = diff_owned((*d)[i], &(*l)[i], prefix + "[" + std::to_string(i) + "]");
                out.insert(out.end(), sub.begin(), sub.end());
            }
            return out;
        }
        out.push_back({prefix, live ? std::optional<json::value>(*live) : std::nullopt, desired});
        return out;
    }
    if (!live || !same_scalar(desired, *live)) out.push_back({prefix, live ? std::optional<json::value>(*live) : std::nullopt, desired});
    return out;
}

std::size_t plan_result::count(action a) const {
    std::size_t n = 0;
    for (const auto& c : changes) n += c.act == a;
    return n;
}

json::value plan_result::to_json() const {
    array items;
    for (const auto& c : changes) {
        if (c.act == action::none) continue;
        object item{{"key", c.key}, {"type", c.kind}, {"id", c.id}, {"action", to_string(c.act)}};
        if (!c.reason.empty()) item["reason"] = c.reason;
        array fields;
        for (const auto& f : c.fields) {
            object fo{{"path", f.path}};
            fo["before"] = f.before ? *f.before : json::value(nullptr);
            fo["after"] = f.after ? *f.after : json::value("(known after apply)");
            fields.push_back(std::move(fo));
        }
        if (c.act == action::update) item["changes"] = std::move(fields);
        items.push_back(std::move(item));
    }
    return object{{"summary", object{{"create", count(action::create)}, {"update", count(action::update)}, {"delete", count(action::remove)},
                                     {"unchanged", count(action::none)}, {"resources", changes.size()}, {"gets", gets}}},
                  {"changes", std::move(items)}};
}

std::string plan_result::to_text() const {
    std::ostringstream out;
    auto show = [](const std::optional<json::value>& v) {
        if (!v) return std::string("(absent)");
        std::string s = boost::json::serialize(*v);
        return s.size() > 120 ? s.substr(0, 117) + "..." : s;
    };
    for (const auto& c : changes) {
        if (c.act == action::none) continue;
        const char* mark = c.act == action::create ? "+" : c.act == action::update ? "~" : "-";
        out << mark << " " << std::left << std::setw(7) << to_string(c.act) << " " << std::setw(58) << c.key << " " << c.kind << "\n";
        if (c.act == action::update) {
            if (!c.reason.empty()) out << "      " << c.reason << "\n";
            for (const auto& f : c.fields) out << "      " << f.path << ": " << show(f.before) << " -> " << show(f.after) << "\n";
        }
    }
    out << "Plan: " << count(action::create) << " to create, " << count(action::update) << " to update, " << count(action::remove)
        << " to delete, " << count(action::none) << " unchanged (" << gets << " GETs).\n";
    return out.str();
}

json::value apply_result::to_json() const {
    array keys;
    for (const auto& k : applied) keys.push_back(json::value(k));
    return object{{"writes", writes}, {"retries", retries}, {"wall_ms", wall_ms}, {"critical_path_ms", critical_path_ms},
                  {"serial_sum_ms", serial_sum_ms}, {"applied", std::move(keys)}};
}

bool verify_result::ok() const {
    for (const auto& c : checks)
        if (!c.ok) return false;
    return true;
}

json::value verify_result::to_json() const {
    array all, failed;
    for (const auto& c : checks) {
        object o{{"check", c.check}, {"resource", c.resource}, {"property", c.property}, {"expected", c.expected}, {"actual", c.actual},
                 {"ok", c.ok}};
        if (!c.ok) failed.push_back(o);
        all.push_back(std::move(o));
    }
    return object{{"passed", checks.size() - failed.size()}, {"failed", failed.size()}, {"reasons", std::move(failed)}, {"checks", std::move(all)}};
}

std::string verify_result::to_table() const {
    std::ostringstream out;
    out << std::left << std::setw(6) << "OK" << std::setw(30) << "CHECK" << std::setw(44) << "PROPERTY" << "RESOURCE\n";
    for (const auto& c : checks) {
        out << std::setw(6) << (c.ok ? "ok" : "FAIL") << std::setw(30) << c.check << std::setw(44) << c.property << c.resource;
        if (!c.ok) out << "  (expected " << c.expected << ", found " << c.actual << ")";
        out << "\n";
    }
    return out.str();
}

json::value destroy_result::to_json() const {
    auto arr = [](const std::vector<std::string>& v) {
        array a;
        for (const auto& s : v) a.push_back(json::value(s));
        return a;
    };
    return object{{"deleted", arr(deleted)}, {"kept_shared", arr(kept_shared)}, {"not_owned", arr(not_owned)}, {"absent", arr(absent)},
                  {"writes", writes}};
}

}  // namespace amlops::provision
