#include "amlops/jobs/score_job.hpp"

#include "amlops/metrics/report.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "amlops/data/pipeline.hpp"
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

namespace {

// One piece of the data on its way through the scoring pipeline; reused, so buffers keep capacity.
struct score_item {
    data::table_piece piece;
    data::numeric_table rows;
    std::vector<double> predicted;
    bool ready = false;  // predicted and formatted by the worker
    std::string text;    // the piece's lines of predictions.csv
};

void predict_and_format(score_item& item, const loaded_model& model, bool has_target, unsigned threads) {
    item.predicted = model.predict_rows(item.rows.features, item.rows.rows, threads);
    item.text.clear();
    for (std::size_t i = 0; i < item.rows.rows; ++i) {
        if (has_target) {
            append_number(item.text, item.rows.target[i]);
            item.text += ',';
        }
        append_prediction(item.text, item.predicted[i]);
        item.text += '\n';
    }
    item.ready = true;
}

}  // namespace

json::object run_score_job(const score_request& request, logger& log, const output_sink& add_output) {
    loaded_model model = loaded_model::load(request.model);
    data::table_request req;
    req.feature_columns = model.input_columns();
    req.target_column = model.output_column();
    req.target_optional = true;
    log.info("loading " + request.data.string());
    // Pieces of about chunk_rows rows (a taxi feature row is ~100 bytes; 64 is a floor), but
    // never fewer than the stream would choose, so that all cores get work on small files too.
    const std::size_t chunk_rows = std::max<std::size_t>(request.chunk_rows, 1);
    data::numeric_table_stream stream(request.data, req,
                                      chunk_rows >= (std::size_t{1} << 16) ? 0 : std::max<std::size_t>(chunk_rows * 64, 256));
    const bool target_column = stream.has_target();

    std::error_code ec;
    std::filesystem::create_directories(request.output, ec);
    if (ec) throw error(error_kind::io, "cannot create output folder: " + ec.message()).in_file(request.output.string());

    // Streamed: pieces are read in order, parsed, predicted and formatted on all cores, and
    // written in order; only the pieces in flight are in memory (plus 16 bytes a row for the
    // metrics). Until the fast evaluator has been checked against xgboost (on the first piece
    // written), pieces are predicted when written, with all cores.
    const auto predictions_path = request.output / "predictions.csv";
    atomic_file out(predictions_path);
    std::vector<double> actual, predicted;
    std::size_t rows = 0;
    bool header_written = false;
    auto write_header = [&](bool with_target) {
        out.write(with_target ? "actual,predicted\n" : "predicted\n");
        header_written = true;
    };
    const unsigned workers = data::default_workers();
    data::run_ordered<score_item>(
        workers, 2 * workers + 2, [&](score_item& item) { return stream.next(item.piece); },
        [&](score_item& item) {
            item.ready = false;
            stream.parse(item.piece, item.rows);
            if (model.fast_path_verified()) predict_and_format(item, model, target_column, 1);
        },
        [&](score_item& item) {
            if (item.rows.rows == 0) return;
            if (!header_written) write_header(target_column);
            if (!item.ready) predict_and_format(item, model, target_column, 0);
            out.write(item.text);
            rows += item.rows.rows;
            if (target_column) actual.insert(actual.end(), item.rows.target.begin(), item.rows.target.end());
            predicted.insert(predicted.end(), item.predicted.begin(), item.predicted.end());
        });
    // A target column without rows is reported like no target: there is nothing to measure.
    const bool has_target = target_column && rows > 0;
    if (!header_written) write_header(false);
    if (!has_target)
        log.warn("data has no '" + model.output_column() + "' column: writing predictions only, no metrics");
    out.commit();
    if (add_output) add_output("predictions", predictions_path);
    log.info("scored " + std::to_string(rows) + " rows");

    json::object result{{"rows", rows}, {"target", has_target ? json::value(model.output_column()) : json::value(nullptr)}};
    if (has_target) {
        json::object m = metrics::to_json(metrics::summarize(actual, predicted));
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
