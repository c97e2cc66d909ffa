#include "amlops/jobs/train_job.hpp"

#include "amlops/metrics/fare_classes.hpp"
#include "amlops/metrics/report.hpp"

#include "amlops/core/error.hpp"
#include "amlops/core/sha256.hpp"
#include "amlops/core/version.hpp"
#include "amlops/data/table.hpp"
#include "amlops/drift/profile.hpp"
#include "amlops/model/fast_path_check.hpp"
#include "amlops/model/mlflow.hpp"
#include "amlops/model/model_integrity.hpp"
#include "amlops/model/signature.hpp"
#include "amlops/model/table_request.hpp"
#include "amlops/model/task.hpp"
#include "amlops/model/trainer.hpp"
#include "amlops/xgb/log.hpp"
#include "amlops/jobs/sweep_step.hpp"

#include <algorithm>
#include <chrono>

namespace amlops::model {
namespace {

// The flat evaluator against xgboost (model/fast_path_check.hpp), on rows xgboost has predicted
// here anyway: the test rows, else (no test set) up to 65536 training rows.
std::optional<fast_path_check> check_fast_path_at_training(const std::string& model_json, const xgb::booster& booster,
                                                           const data::numeric_table& train, const data::numeric_table* test,
                                                           const std::vector<float>& test_predicted, logger& log) {
    std::optional<fast_path_check> check;
    if (test != nullptr && test->rows > 0) {
        check = check_fast_path(model_json, booster, test->features, test->rows, test_predicted);
    } else {
        const std::size_t rows = std::min<std::size_t>(train.rows, 65536), cols = train.columns.size();
        const std::span<const float> values = std::span<const float>(train.features).first(rows * cols);
        check = check_fast_path(model_json, booster, values, rows, booster.predict_dense(values, rows, cols));
    }
    if (!check) return check;
    if (check->identical)
        log.info("fast evaluator (" + check->kernel + " kernel) matches xgboost bit for bit on " + std::to_string(check->rows) +
                 " rows: recorded in manifest.json");
    else
        log.warn("fast evaluator differs from xgboost on " + std::to_string(check->rows) +
                 " rows: aml-score and the server will check it again and predict with xgboost");
    return check;
}


namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

data::numeric_table load(const fs::path& path, const model_signature& sig) {
    std::vector<std::string> features;
    for (const auto& c : sig.inputs) features.push_back(c.name);
    data::numeric_table table = data::load_numeric_table(path, bounded_table_request(std::move(features), sig.output.name, false));
    if (table.rows == 0) throw error(error_kind::bad_input, "no data rows (header only)").in_file(path.string());
    return table;
}

json::object input_files(const fs::path& path) {
    json::array files;
    for (const auto& f : data::csv_files(path))
        files.push_back(json::object{{"path", f.string()}, {"sha256", sha256_file(f)}});
    return json::object{{"path", path.string()}, {"files", std::move(files)}};
}

// Gain of every model feature, 0 for features no split uses, in signature order.
json::object importance_json(const xgb::booster& b, const model_signature& sig) {
    auto scores = b.feature_scores("gain");
    auto total = b.feature_scores("total_gain");
    json::object gain, total_gain;
    for (const auto& c : sig.inputs) {
        auto find = [&](const std::vector<xgb::feature_score>& v) {
            auto it = std::find_if(v.begin(), v.end(), [&](const auto& s) { return s.feature == c.name; });
            return it == v.end() ? 0.0 : it->score;
        };
        gain[c.name] = find(scores);
        total_gain[c.name] = find(total);
    }
    return json::object{{"importance_type", "gain"}, {"gain", std::move(gain)}, {"total_gain", std::move(total_gain)}};
}

// Restores xgboost's default stderr logging when training ends, however it ends.
struct xgb_log_route {
    explicit xgb_log_route(logger& log) {
        xgb::set_log_handler([&log](std::string_view line) { log.warn(std::string("xgboost: ") + std::string(line)); });
    }
    ~xgb_log_route() {
        try {
            xgb::set_log_handler({});
        } catch (...) {  // nothing sensible to do in a destructor; the route only affects logs
        }
    }
    xgb_log_route(const xgb_log_route&) = delete;
    xgb_log_route& operator=(const xgb_log_route&) = delete;
};

}  // namespace

json::object run_train_job(const train_request& request, logger& log, const env_lookup& env,
                           const output_sink& add_output) {
    const auto t0 = clock_type::now();
    train_params params = resolve_params(request.params_file, request.overrides);
    const bool classify = is_classification(request.task);
    if (classify && params.objective != train_params{}.objective)
        throw error(error_kind::usage, "--task classification trains multi:softprob; objective '" + params.objective +
                                           "' is a regression objective")
            .on_field("objective");
    // The sweep's objectives (rmse, mae, mape, rmsle) are regression errors.
    if (classify && !request.sweep_file.empty())
        throw error(error_kind::usage, "--sweep searches regression parameters; it cannot be combined with --task classification")
            .on_field("--sweep");
    std::optional<sweep_step> sweep;  // checked before any data is read
    if (!request.sweep_file.empty()) sweep.emplace(request.sweep_file, params);
    const model_signature sig = taxi_signature();
    xgb_log_route route(log);

    log.info("loading training data from " + request.train.string());
    data::numeric_table train = load(request.train, sig);
    std::optional<data::numeric_table> test;
    if (!request.test.empty()) {
        log.info("loading test data from " + request.test.string());
        test = load(request.test, sig);
        if (test->rows == 0) throw error(error_kind::bad_input, "test data has no rows").in_file(request.test.string());
    }
    const double load_seconds = seconds_since(t0);
    log.info("loaded " + std::to_string(train.rows) + " training rows in " + std::to_string(load_seconds) + " s");

    if (sweep) params = sweep->run(train, log);

    // The classes come from the training rows only, before the validation hold-out, like the
    // original's deciles; test rows are labelled with the same boundaries.
    std::optional<metrics::fare_classes> classes;
    std::vector<std::string> labels;
    if (classify) {
        classes = metrics::fare_classes::deciles(train.target);
        labels = classes->labels();
        train.target = classes->classify_all(train.target);
        if (test) test->target = classes->classify_all(test->target);
    }

    const auto t1 = clock_type::now();
    const int step = std::max(1, params.n_estimators / 10);
    auto progress = [&](const round_progress& p) {
        if ((p.round + 1) % step != 0 && p.round + 1 != p.total) return;
        std::string msg = "round " + std::to_string(p.round + 1) + "/" + std::to_string(p.total);
        for (const auto& e : p.eval) msg += " " + e.set + "-" + e.metric + "=" + std::to_string(e.value);
        log.info(msg);
    };
    training_outcome outcome = train_regressor(train, sig, params, progress, labels);
    const double train_seconds = seconds_since(t1);
    if (outcome.stopped_early)
        log.info("early stopping after " + std::to_string(outcome.rounds_run) + " rounds; best iteration " +
                 std::to_string(outcome.best_iteration));

    json::object metrics_doc = classify ? json::object{{"task", request.task},
                                                       {"train", metrics::to_json(*outcome.train_classes)},
                                                       {"validation", outcome.validation_classes ? json::value(metrics::to_json(*outcome.validation_classes))
                                                                                                 : json::value(nullptr)}}
                                        : json::object{{"train", metrics::to_json(outcome.train)},
                                                       {"validation", outcome.validation ? json::value(metrics::to_json(*outcome.validation))
                                                                                         : json::value(nullptr)}};
    json::object rows{{"train", outcome.train_rows}, {"validation", outcome.validation_rows}};
    std::vector<float> test_predicted;  // xgboost's, kept for the flat evaluator's check below
    if (test) {
        test_predicted = outcome.booster.predict_dense(test->features, test->rows, test->columns.size());
        metrics_doc["test"] = classify ? metrics::to_json(metrics::summarize_classes(test->target, test_predicted, labels))
                                       : metrics::to_json(metrics::summarize(
                                             test->target, std::vector<double>(test_predicted.begin(), test_predicted.end())));
        rows["test"] = test->rows;
    }
    metrics_doc["best_iteration"] = outcome.best_iteration;
    metrics_doc["trees"] = outcome.booster.boosted_rounds();
    metrics_doc["rounds_run"] = outcome.rounds_run;
    metrics_doc["stopped_early"] = outcome.stopped_early;
    metrics_doc["early_stopping_metric"] = outcome.eval_metric.empty() ? json::value(nullptr) : json::value(outcome.eval_metric);
    metrics_doc["rows"] = rows;

    const std::string run_id = detect_run_id(env);
    mlflow_model_spec spec;
    spec.model_json = outcome.booster.save_json();
    spec.signature = sig;
    spec.input_example = make_input_example(sig.inputs, train.features, train.rows);
    spec.model_uuid = random_uuid();
    spec.model_uuid.erase(std::remove(spec.model_uuid.begin(), spec.model_uuid.end(), '-'), spec.model_uuid.end());
    const std::string created = utc_now_iso8601();
    spec.utc_time_created = mlflow_time(created);
    spec.run_id = run_id;

    json::object inputs{{"train", input_files(request.train)}};
    if (!request.test.empty()) inputs["test"] = input_files(request.test);
    if (!request.params_file.empty())
        inputs["params_file"] = json::object{{"path", request.params_file.string()},
                                             {"sha256", sha256_file(request.params_file)}};
    if (sweep) inputs["sweep_file"] = json::object{{"path", request.sweep_file.string()}, {"sha256", sha256_file(request.sweep_file)}};
    json::object overrides;
    for (const auto& [k, v] : request.overrides) overrides[k] = v;
    auto commit = detect_commit_sha(env);
    // The training rows' profile (docs/drift.md): what aml-score --drift and the server compare
    // new rows with.
    const std::string profile_text = json::pretty(drift::to_json(drift::build_profile(train.columns, train.features, train.rows)));
    auto model_files = mlflow_model_files(spec);
    model_files[drift::profile_file] = profile_text;
    if (classes) model_files[fare_classes_file] = json::pretty(classes->to_json());
    json::object manifest{{"tool", "aml-train"},
                          {"tool_version", version()},
                          {"build_commit", build_commit()},
                          {"commit_sha", commit ? json::value(*commit) : json::value(nullptr)},
                          {"run_id", run_id},
                          {"model_uuid", spec.model_uuid},
                          {"created_utc", created},
                          {"xgboost_version", xgb::library_version()},
                          {"inputs", std::move(inputs)},
                          {"params", params.to_json()},
                          {"param_overrides", std::move(overrides)},
                          {"model_sha256", sha256_hex(spec.model_json)},
                          // Every file of the MLflow model, the training profile and a
                          // classifier's classes: checked whenever the model is loaded.
                          {"files", file_hashes(model_files)}};
    if (classify) {
        manifest["task"] = request.task;
        manifest["fare_classes"] = classes->to_json();
    } else if (auto check = check_fast_path_at_training(spec.model_json, outcome.booster, train, test ? &*test : nullptr, test_predicted, log)) {
        manifest[fast_path_check_key] = to_json(*check);
    }

    // Reports first, the MLflow files last (MLmodel last of all): a reader that finds MLmodel
    // finds a complete folder of this run.
    metrics_doc["seconds"] = json::object{{"load", load_seconds}, {"train", train_seconds}, {"total", seconds_since(t0)}};
    std::error_code ec;
    fs::create_directories(request.output, ec);
    if (ec) throw error(error_kind::io, "cannot create output folder: " + ec.message()).in_file(request.output.string());
    // One output set (core/output_set.hpp): the folder holds this run's files or the previous
    // run's, never a mix; MLmodel, staged last, is the commit record.
    output_set outputs;
    outputs.stage(request.output / "metrics.json", json::pretty(metrics_doc));
    outputs.stage(request.output / "feature_importance.json", json::pretty(importance_json(outcome.booster, sig)));
    outputs.stage(request.output / drift::profile_file, profile_text);
    if (sweep) outputs.stage(request.output / "sweep.json", json::pretty(sweep->report()));
    outputs.stage(request.output / manifest_file, json::pretty(manifest));
    if (classes) outputs.stage(request.output / fare_classes_file, model_files[fare_classes_file]);
    else outputs.remove_on_commit(request.output / fare_classes_file);  // a classifier's, when the folder is reused
    stage_mlflow_model(outputs, request.output, spec);
    outputs.commit();

    if (add_output) {
        add_output("mlmodel", request.output / mlmodel_file);
        add_output("model", request.output / model_data_file);
        add_output("metrics", request.output / "metrics.json");
        add_output("feature_importance", request.output / "feature_importance.json");
        add_output("manifest", request.output / "manifest.json");
        add_output("profile", request.output / drift::profile_file);
        if (sweep) add_output("sweep", request.output / "sweep.json");
    }
    log.info("wrote MLflow model to " + request.output.string());

    json::object result{{"model_dir", request.output.string()},
                        {"trees", outcome.booster.boosted_rounds()},
                        {"best_iteration", outcome.best_iteration},
                        {"rows", metrics_doc["rows"]},
                        {"train", metrics_doc["train"]},
                        {"validation", metrics_doc["validation"]},
                        {"seconds", metrics_doc["seconds"]},
                        {"run_id", run_id}};
    if (test) result["test"] = metrics_doc["test"];
    if (sweep) result["sweep"] = sweep->summary();
    if (classify) result["task"] = request.task;
    return result;
}

}  // namespace amlops::model
