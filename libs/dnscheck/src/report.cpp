#include "amlops/dnscheck/verdict.hpp"

#include <algorithm>
#include <map>

namespace amlops::dnscheck {

namespace {

std::string upper_label(verdict_kind k) {
    switch (k) {
    case verdict_kind::ok: return "OK";
    case verdict_kind::public_answer: return "PUBLIC";
    case verdict_kind::nxdomain: return "NXDOMAIN";
    case verdict_kind::no_address: return "NO ADDRESS";
    case verdict_kind::wrong_address: return "WRONG ADDRESS";
    case verdict_kind::servfail: return "SERVFAIL";
    case verdict_kind::timeout: return "TIMEOUT";
    case verdict_kind::cname_loop: return "CNAME LOOP";
    }
    return "?";
}

std::string xml_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default: out += c;
        }
    }
    return out;
}

json::array strings(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

json::array addresses(const std::vector<dns::ip_address>& v) {
    json::array a;
    for (const auto& x : v) a.emplace_back(x.str());
    return a;
}

std::string seconds(std::chrono::microseconds us) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(us.count()) / 1e6);
    return buf;
}

}  // namespace

std::string chain_text(const verdict& v, std::size_t max_addresses) {
    const auto& l = v.lookup;
    std::string out = l.name;
    for (const auto& c : l.chain) out.append(" → ").append(c);
    switch (l.result) {
    case dns::outcome::answer: {
        out.append(" → ");
        for (std::size_t i = 0; i < l.addresses.size() && i < max_addresses; ++i)
            out.append(i ? ", " : "").append(l.addresses[i].str());
        if (l.addresses.size() > max_addresses) out.append(" (+" + std::to_string(l.addresses.size() - max_addresses) + ")");
        break;
    }
    case dns::outcome::cname_loop: out.append(" (loop)"); break;
    case dns::outcome::chain_too_long: out.append(" → … (too long)"); break;
    case dns::outcome::nxdomain: out.append(" → NXDOMAIN"); break;
    case dns::outcome::no_data: out.append(" → no A/AAAA"); break;
    case dns::outcome::servfail: out.append(" → SERVFAIL"); break;
    case dns::outcome::refused: out.append(" → REFUSED"); break;
    case dns::outcome::timeout: out.append(" → (no answer)"); break;
    case dns::outcome::unreachable: out.append(" → (unreachable)"); break;
    case dns::outcome::error: out.append(" → (error)"); break;
    }
    if (l.tcp) out.append("  [tcp]");
    return out;
}

std::string render_table(const check_report& r) {
    std::size_t width = 4;
    for (const auto& v : r.verdicts) width = std::max(width, v.lookup.name.size());
    auto pad = [](std::string s, std::size_t w) {
        if (s.size() < w) s.append(w - s.size(), ' ');
        return s;
    };
    std::string out = pad("VERDICT", 14) + "  " + pad("NAME", width) + "  CHAIN\n";
    for (const auto& v : r.verdicts) {
        std::string chain = chain_text(v);
        // The chain starts with the name, already in its own column.
        chain = chain.substr(std::min(chain.size(), v.lookup.name.size()));
        if (chain.rfind(" → ", 0) == 0) chain = chain.substr(std::string(" → ").size());
        out += pad(upper_label(v.kind), 14) + "  " + pad(v.lookup.name, width) + "  " + chain + "\n";
        if (v.kind != verdict_kind::ok) {
            out += std::string(16, ' ') + "why:  " + v.reason + "\n";
            out += std::string(16, ' ') + "hint: " + v.hint + "\n";
        }
    }
    out += std::to_string(r.verdicts.size()) + " names, " + std::to_string(r.verdicts.size() - r.failures()) + " ok, " +
           std::to_string(r.failures()) + " failed, asked " + r.settings.server + " in " + seconds(r.elapsed) + " s\n";
    return out;
}

std::string render_junit(const check_report& r) {
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<testsuite name=\"aml-dnscheck\" tests=\"" + std::to_string(r.verdicts.size()) + "\" failures=\"" +
           std::to_string(r.failures()) + "\" errors=\"0\" time=\"" + seconds(r.elapsed) + "\">\n";
    for (const auto& v : r.verdicts) {
        out += "  <testcase classname=\"dns." + xml_escape(v.expected.source) + "\" name=\"" + xml_escape(v.lookup.name) +
               "\" time=\"" + seconds(v.lookup.elapsed) + "\"";
        if (v.kind == verdict_kind::ok) {
            out += "/>\n";
            continue;
        }
        out += ">\n    <failure type=\"" + std::string(to_string(v.kind)) + "\" message=\"" + xml_escape(v.reason) + "\">" +
               xml_escape(chain_text(v, 8) + "\nhint: " + v.hint) + "</failure>\n  </testcase>\n";
    }
    out += "</testsuite>\n";
    return out;
}

json::value to_json(const check_report& r) {
    json::array checks;
    std::map<std::string, std::int64_t> by_verdict;
    for (const auto& v : r.verdicts) {
        ++by_verdict[std::string(to_string(v.kind))];
        json::object c{{"name", v.lookup.name},
                       {"verdict", to_string(v.kind)},
                       {"chain", strings(v.lookup.chain)},
                       {"addresses", addresses(v.lookup.addresses)},
                       {"expected", addresses(v.expected.addresses)},
                       {"source", v.expected.source},
                       {"transport", v.lookup.tcp ? "tcp" : "udp"},
                       {"queries", v.lookup.queries}};
        if (v.kind != verdict_kind::ok) {
            c["reason"] = v.reason;
            c["hint"] = v.hint;
        }
        if (v.expected.azure) {
            const auto& az = *v.expected.azure;
            c["azure"] = json::object{{"private_endpoint", az.private_endpoint_id}, {"vnet", az.vnet_id},
                                      {"zone_group", az.zone_group_id}, {"zone", az.zone_id}};
        }
        checks.push_back(std::move(c));
    }
    json::object counts;
    for (const auto& [k, n] : by_verdict) counts[k] = n;
    json::array spaces;
    for (const auto& s : r.address_spaces) spaces.emplace_back(s.str());
    json::object out{{"server", r.settings.server},
                     {"names", r.verdicts.size()},
                     {"ok", r.verdicts.size() - r.failures()},
                     {"failed", r.failures()},
                     {"verdicts", std::move(counts)},
                     {"address_spaces", std::move(spaces)},
                     {"elapsed_ms", static_cast<double>(r.elapsed.count()) / 1000.0},
                     {"checks", std::move(checks)}};
    if (!r.skipped.empty()) out["skipped"] = strings(r.skipped);
    return out;
}

}  // namespace amlops::dnscheck
