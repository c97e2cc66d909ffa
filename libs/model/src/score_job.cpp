#include "amlops/model/score_job.hpp"

#include "amlops/metrics/report.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "amlops/data/table.hpp"
#include "amlops/model/model.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace amlops::model {
namespace {

void append_number(std::string& out, double v) {
    std::array<char, 32> buf{};
    auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    out.append(buf.data(), ptr);
}

// Predictions are float32 inside xgboost: print the shortest text of the float, not of the
// widened double (12.5, not 12.5000000000001).
void append_prediction(std::string& out, double v) {
    std::array<char, 32> buf{};
    auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), static_cast<float>(v));
    out.append(buf.data(), ptr);
}

}  // namespace

json::object run_score_job(const score_request& request, logger& log, const output_sink& add_output) {
    loaded_model model = loaded_model::load(request.model);
    data::table_request req;
    req.feature_columns = model.input_columns();
    req.target_column = model.output_column();
    req.target_optional = true;
    log.info("loading " + request.data.string());
    data::numeric_table table = data::load_numeric_table(request.data, req);
    const bool has_target = table.target.size() == table.rows && table.rows > 0;
    if (!has_target)
        log.warn("data has no '" + model.output_column() + "' column: writing predictions only, no metrics");

    std::error_code ec;
    std::filesystem::create_directories(request.output, ec);
    if (ec) throw error(error_kind::io, "cannot create output folder: " + ec.message()).in_file(request.output.string());

    // Predict and write chunk by chunk: the CSV text of one chunk is all that is buffered.
    const auto predictions_path = request.output / "predictions.csv";
    atomic_file out(predictions_path);
    out.write(has_target ? "actual,predicted\n" : "predicted\n");
    std::vector<double> predicted;
    predicted.reserve(table.rows);
    const std::size_t cols = table.columns.size();
    const std::size_t chunk = std::max<std::size_t>(request.chunk_rows, 1);
    std::string text;
    for (std::size_t begin = 0; begin < table.rows; begin += chunk) {
        const std::size_t n = std::min(chunk, table.rows - begin);
        auto p = model.predict_rows(std::span<const float>(table.features).subspan(begin * cols, n * cols), n);
        text.clear();
        for (std::size_t i = 0; i < n; ++i) {
            if (has_target) {
                append_number(text, table.target[begin + i]);
                text += ',';
            }
            append_prediction(text, p[i]);
            text += '\n';
        }
        out.write(text);
        predicted.insert(predicted.end(), p.begin(), p.end());
    }
    out.commit();
    if (add_output) add_output("predictions", predictions_path);
    log.info("scored " + std::to_string(table.rows) + " rows");

    json::object result{{"rows", table.rows}, {"target", has_target ? json::value(model.output_column()) : json::value(nullptr)}};
    if (has_target) {
        json::object m = metrics::to_json(metrics::summarize(table.target, predicted));
        json::write_file(request.output / "metrics.json", m);
        if (add_output) add_output("metrics", request.output / "metrics.json");
        result["metrics"] = m;
    } else {
        result["metrics"] = nullptr;
        result["note"] = "no '" + model.output_column() + "' column in the data: predictions only";
    }
    return result;
}

}  // namespace amlops::model
