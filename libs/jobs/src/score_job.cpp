#include "amlops/jobs/score_job.hpp"

#include "amlops/metrics/classification.hpp"
#include "amlops/metrics/report.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "amlops/core/output_set.hpp"
#include "amlops/data/pipeline.hpp"
#include "amlops/data/table.hpp"
#include "amlops/model/model.hpp"
#include "amlops/model/table_request.hpp"
#include "amlops/model/task.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <future>
#include <optional>
#include <span>

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

// A classifier's rows: labels, the actual one from the cost; then, when asked, each class's
// probability (the row format aml-predict writes too: fare_classes::append_csv_row).
void format_classes(score_item& item, const metrics::fare_classes& classes, bool has_target, bool probabilities) {
    const std::size_t k = classes.size();
    const std::span<const double> predicted(item.predicted);
    for (std::size_t i = 0; i < item.rows.rows; ++i) {
        if (has_target) item.text.append(classes.labels()[classes.classify(item.rows.target[i])]).push_back(',');
        classes.append_csv_row(item.text, predicted.subspan(i * k, k), probabilities);
        item.text.push_back('\n');
    }
}

void predict_and_format(score_item& item, const loaded_model& model, bool has_target, bool probabilities, unsigned threads) {
    item.predicted = model.predict_rows(item.rows.features, item.rows.rows, threads);
    item.text.clear();
    item.ready = true;
    if (model.classes() != nullptr) return format_classes(item, *model.classes(), has_target, probabilities);
    for (std::size_t i = 0; i < item.rows.rows; ++i) {
        if (has_target) {
            append_number(item.text, item.rows.target[i]);
            item.text += ',';
        }
        append_prediction(item.text, item.predicted[i]);
        item.text += '\n';
    }
}

}  // namespace

json::object run_score_job(const score_request& request, logger& log, const output_sink& add_output) {
    // The model loads on a thread of its own while the first pieces of data are read and parsed
    // (the columns to read come from MLmodel's signature alone); the pipeline's workers wait for
    // it before predicting. Errors keep their order: whenever something fails, a model that
    // failed to load (or is of the wrong task) is reported instead, as when it loaded first.
    std::shared_future<loaded_model> loading =
        std::async(std::launch::async, [&request] { return loaded_model::load(request.model); }).share();
    auto ready_model = [&]() -> const loaded_model& {
        // Each caller reads through its own copy of the shared_future (which makes get()
        // safe from several threads). The task check is a comparison: repeated by every caller
        // rather than guarded by call_once, whose behaviour when the callable throws has been
        // unreliable in libstdc++.
        const loaded_model& model = std::shared_future<loaded_model>(loading).get();
        if (!request.task.empty() && is_classification(request.task) != (model.classes() != nullptr))
            throw error(error_kind::bad_input, "--task " + request.task + " but the model is a " + std::string(model.task()) + " model")
                .in_file(request.model.string())
                .on_field("--task");
        if (request.probabilities && model.classes() == nullptr)
            throw error(error_kind::bad_input, "--probabilities needs a classifier, but the model is a " + std::string(model.task()) + " model")
                .in_file(request.model.string())
                .on_field("--probabilities");
        return model;
    };
    auto prefer_model_error = [&] { (void)ready_model(); };  // throws the model's error, if any

    std::optional<loaded_model::model_columns> columns;
    std::optional<data::numeric_table_stream> stream;
    log.info("loading " + request.data.string());
    try {
        columns = loaded_model::read_signature_columns(request.model);
        if (!columns) {  // no signature: the names are inside the model file
            const loaded_model& model = ready_model();
            columns = loaded_model::model_columns{model.input_columns(), model.output_column()};
        }
        // Pieces of about chunk_rows rows (a taxi feature row is ~100 bytes; 64 is a floor), but
        // never fewer than the stream would choose, so that all cores get work on small files too.
        const std::size_t chunk_rows = std::max<std::size_t>(request.chunk_rows, 1);
        stream.emplace(request.data, bounded_table_request(columns->inputs, columns->output, true),
                       chunk_rows >= (std::size_t{1} << 16) ? 0 : std::max<std::size_t>(chunk_rows * 64, 256));
    } catch (...) {
        prefer_model_error();
        throw;
    }
    const bool target_column = stream->has_target();

    std::error_code ec;
    std::filesystem::create_directories(request.output, ec);
    if (ec) throw error(error_kind::io, "cannot create output folder: " + ec.message()).in_file(request.output.string());

    // Streamed: pieces are read in order, parsed, predicted and formatted on all cores, and
    // written in order; only the pieces in flight are in memory (plus 16 bytes a row for the
    // metrics). Until the fast evaluator has been checked against xgboost (on the first piece
    // written), pieces are predicted when written, with all cores.
    const auto predictions_path = request.output / "predictions.csv";
    const auto metrics_path = request.output / "metrics.json";
    // predictions.csv and metrics.json are one set (core/output_set.hpp): replaced together, and
    // a run without metrics removes the previous run's, which would describe other predictions.
    output_set outputs;
    atomic_file& out = outputs.stage(predictions_path);
    std::vector<double> actual, predicted;
    std::size_t rows = 0;
    bool header_written = false;
    auto write_header = [&](bool with_target) {
        std::string header = with_target ? "actual,predicted" : "predicted";
        if (request.probabilities)  // a classifier: ready_model() refuses anything else
            ready_model().classes()->append_probability_columns(header);
        out.write(header.append("\n"));
        header_written = true;
    };
    const unsigned workers = data::default_workers();
    try {
        data::run_ordered<score_item>(
            workers, 2 * workers + 2, [&](score_item& item) { return stream->next(item.piece); },
            [&](score_item& item) {
                item.ready = false;
                stream->parse(item.piece, item.rows);
                if (request.observer) request.observer->observe(item.rows);
                // While the model is still loading, workers go on parsing the next pieces; the
                // writer predicts these (on all cores) once it is there.
                if (std::shared_future<loaded_model>(loading).wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
                const loaded_model& model = ready_model();
                if (model.fast_path_verified()) predict_and_format(item, model, target_column, request.probabilities, 1);
            },
            [&](score_item& item) {
                if (item.rows.rows == 0) return;
                if (!header_written) write_header(target_column);
                if (!item.ready) predict_and_format(item, ready_model(), target_column, request.probabilities, 0);
                out.write(item.text);
                rows += item.rows.rows;
                if (target_column) actual.insert(actual.end(), item.rows.target.begin(), item.rows.target.end());
                predicted.insert(predicted.end(), item.predicted.begin(), item.predicted.end());
            });
    } catch (...) {
        prefer_model_error();
        throw;
    }
    const loaded_model& model = ready_model();
    // The data was read by the signature as read before the model loaded: the same file, unless
    // it changed in between, and then these predictions must not be written.
    if (model.input_columns() != columns->inputs || model.output_column() != columns->output)
        throw error(error_kind::bad_input, "MLmodel changed while the model was loading").in_file((request.model / "MLmodel").string());
    if (model.fast_path_checked_at_training())
        log.info("tree evaluator matched xgboost when aml-train wrote this model (manifest.json fast_path_check): not checked again");
    // A target column without rows is reported like no target: there is nothing to measure.
    const bool has_target = target_column && rows > 0;
    if (!header_written) write_header(false);
    if (!has_target)
        log.warn("data has no '" + model.output_column() + "' column: writing predictions only, no metrics");
    if (rows == 0) log.warn("no data rows (header only): predictions.csv has a header only");

    json::object result{{"rows", rows}, {"task", model.task()}, {"target", has_target ? json::value(model.output_column()) : json::value(nullptr)}};
    if (has_target) {
        json::object m;
        if (const auto* classes = model.classes()) {
            m = metrics::to_json(metrics::summarize_classes(classes->classify_all(actual), std::vector<float>(predicted.begin(), predicted.end()),
                                                            classes->labels()));
            m["task"] = "classification";
        } else {
            m = metrics::to_json(metrics::summarize(actual, predicted));
        }
        outputs.stage(metrics_path, json::pretty(m));
        result["metrics"] = m;
    } else {
        outputs.remove_on_commit(metrics_path);
        result["metrics"] = nullptr;
        result["note"] = "no '" + model.output_column() + "' column in the data: predictions only";
    }
    if (request.observer) request.observer->finish(outputs, request.output, result);
    outputs.commit();
    if (add_output) add_output("predictions", predictions_path);
    if (add_output && has_target) add_output("metrics", metrics_path);
    log.info("scored " + std::to_string(rows) + " rows");
    return result;
}

}  // namespace amlops::model
