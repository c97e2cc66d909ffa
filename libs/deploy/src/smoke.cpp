#include "amlops/deploy/smoke.hpp"

#include "amlops/core/error.hpp"
#include "amlops/data/csv.hpp"
#include "amlops/data/numbers.hpp"
#include "amlops/data/table.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace amlops::deploy {

namespace {

double parse_cell(std::string_view cell, const data::csv_record& rec, const std::filesystem::path& file, const std::string& column) {
    const auto text = data::trim(cell);
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        throw error(error_kind::bad_input, "not a number: '" + std::string(cell) + "' (the smoke test sends numeric rows)")
            .in_file(file.string()).at_line(rec.line()).on_field(column);
    return v;
}

/// Shortest round-trip text of a double (integral values print without a fraction: 2, not 2.0).
void append_number(std::string& out, double v) {
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, ec == std::errc() ? end : buf);
}

void append_json_string(std::string& out, std::string_view s) { out += boost::json::serialize(boost::json::value(s)); }

}  // namespace

smoke_sample load_smoke_sample(const std::filesystem::path& path, std::size_t max_rows, const std::string& target_column) {
    const auto files = data::csv_files(path);  // throws not_found
    smoke_sample s;
    s.source = files.front();
    data::csv_reader in(s.source);
    const auto& header = in.header();
    const auto target = header.find(target_column);
    std::vector<std::size_t> keep;
    for (std::size_t i = 0; i < header.names().size(); ++i) {
        if (target && *target == i) continue;
        keep.push_back(i);
        s.columns.push_back(header.names()[i]);
    }
    while (s.rows.size() < max_rows && in.next()) {
        const auto& rec = in.record();
        if (rec.all_empty()) continue;
        if (!rec.problem().empty())
            throw error(error_kind::bad_input, std::string(rec.problem())).in_file(s.source.string()).at_line(rec.line());
        if (rec.size() != header.names().size())
            throw error(error_kind::bad_input, "row has " + std::to_string(rec.size()) + " fields, the header has " +
                                                   std::to_string(header.names().size()))
                .in_file(s.source.string()).at_line(rec.line());
        std::vector<double> row;
        row.reserve(keep.size());
        for (std::size_t k = 0; k < keep.size(); ++k) row.push_back(parse_cell(rec[keep[k]], rec, s.source, s.columns[k]));
        s.rows.push_back(std::move(row));
        if (target) s.target.push_back(parse_cell(rec[*target], rec, s.source, target_column));
    }
    if (s.rows.empty()) throw error(error_kind::bad_input, "no data rows for the smoke test").in_file(s.source.string());
    return s;
}

std::string smoke_payload(const smoke_sample& s) {
    std::string out = R"({"input_data":{"columns":[)";
    for (std::size_t i = 0; i < s.columns.size(); ++i) {
        if (i) out += ',';
        append_json_string(out, s.columns[i]);
    }
    out += R"(],"data":[)";
    for (std::size_t r = 0; r < s.rows.size(); ++r) {
        if (r) out += ',';
        out += '[';
        for (std::size_t c = 0; c < s.rows[r].size(); ++c) {
            if (c) out += ',';
            append_number(out, s.rows[r][c]);
        }
        out += ']';
    }
    out += "]}}";
    return out;
}

json::object smoke_result::to_json() const {
    json::array preds;
    for (double p : predictions) preds.push_back(p);
    for (const auto& l : labels) preds.push_back(json::value(l));
    return json::object{{"passed", passed},
                        {"http_status", http_status},
                        {"rows", rows},
                        {"rmse", rmse ? json::value(*rmse) : json::value(nullptr)},
                        {"predictions", std::move(preds)},
                        {"reason", reason}};
}

smoke_result evaluate_smoke(const smoke_sample& s, int http_status, const std::string& body, std::optional<double> max_rmse) {
    smoke_result r;
    r.http_status = http_status;
    r.rows = s.rows.size();
    const auto fail = [&](std::string why) {
        r.passed = false;
        r.reason = std::move(why);
        return r;
    };
    const auto excerpt = body.size() > 200 ? body.substr(0, 200) + "..." : body;
    if (http_status != 200) return fail("the deployment answered HTTP " + std::to_string(http_status) + ": " + excerpt);
    boost::json::value doc;
    try {
        doc = boost::json::parse(body);
    } catch (const std::exception&) {
        return fail("the response is not JSON: " + excerpt);
    }
    const boost::json::array* preds = doc.if_array();
    if (preds == nullptr)
        if (const auto* o = doc.if_object())
            if (const auto* p = o->if_contains("predictions")) preds = p->if_array();
    if (preds == nullptr) return fail("the response is not a JSON array of predictions: " + excerpt);
    if (preds->size() != s.rows.size())
        return fail("expected " + std::to_string(s.rows.size()) + " predictions, got " + std::to_string(preds->size()));
    // The first answer says which kind of model answered; every other answer must be of that kind.
    const bool labelled = !preds->empty() && preds->front().is_string();
    for (const auto& p : *preds) {
        if (labelled) {
            if (!p.is_string() || p.get_string().empty())
                return fail("a class label is not a non-empty string: " + boost::json::serialize(p));
            r.labels.emplace_back(p.get_string());
            continue;
        }
        if (!p.is_number()) return fail("a prediction is not a number: " + boost::json::serialize(p));
        const double v = p.to_number<double>();
        if (!std::isfinite(v)) return fail("a prediction is not finite");
        r.predictions.push_back(v);
    }
    if (labelled && max_rmse) return fail("--max-rmse bounds a regression model's error, but the deployment answered class labels");
    if (!labelled && !s.target.empty()) {
        double sum = 0;
        for (std::size_t i = 0; i < s.target.size(); ++i) sum += (r.predictions[i] - s.target[i]) * (r.predictions[i] - s.target[i]);
        r.rmse = std::sqrt(sum / static_cast<double>(s.target.size()));
    }
    if (max_rmse) {
        if (!r.rmse) return fail("--max-rmse needs the target column in the smoke data");
        if (!(*r.rmse <= *max_rmse)) {
            char buf[128];
            std::snprintf(buf, sizeof buf, "RMSE %.4g on %zu smoke rows exceeds the bound %.4g", *r.rmse, s.rows.size(), *max_rmse);
            return fail(buf);
        }
    }
    r.passed = true;
    return r;
}

}  // namespace amlops::deploy
