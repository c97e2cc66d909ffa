// aml-predict's commands: one-shot prediction and the server loop.
#include "amlops/serve/commands.hpp"
#include "amlops/serve/class_output.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "amlops/core/key_value.hpp"
#include "amlops/data/table.hpp"
#include "amlops/model/model.hpp"
#include "amlops/model/table_request.hpp"
#include "amlops/serve/azureml_container.hpp"
#include "amlops/serve/model_source.hpp"
#include "amlops/serve/payload.hpp"
#include "amlops/serve/service.hpp"
#include "amlops/server/http_server.hpp"

#include <charconv>
#include <cmath>
#include <random>
#include <thread>

namespace amlops::serve {

namespace fs = std::filesystem;

namespace {

std::string trim(std::string s) {
    auto not_space = [](unsigned char c) { return !std::isspace(c); };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
    s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
    return s;
}

std::string lower_ext(const fs::path& p) {
    auto e = p.extension().string();
    std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return e;
}

std::string float_text(double v) {
    if (!std::isfinite(v)) return "";
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<float>(v));
    return std::string(buf, ec == std::errc{} ? end : buf);
}

// A classifier's predictions: labels (and probabilities) in the result or the output file.
json::object write_classes(const predict_request& r, logger& log, json::object result, const std::vector<double>& probabilities,
                           const metrics::fare_classes& classes, bool with_probabilities) {
    result["task"] = "classification";
    std::string text;
    if (!r.output.empty() && lower_ext(r.output) == ".csv") {
        text = class_csv(probabilities, classes, with_probabilities);
    } else {
        // push_back, not `text = "["`: GCC 12 reports a false -Wrestrict on that assignment.
        text.push_back('[');
        append_class_json(text, probabilities, classes, with_probabilities);
        text.push_back(']');
    }
    if (r.output.empty()) {
        result["predictions"] = json::parse(text, "predictions");
        return result;
    }
    if (r.output.has_parent_path()) fs::create_directories(r.output.parent_path());
    write_file_atomic(r.output, text + (text.back() == '\n' ? "" : "\n"));
    result["output"] = r.output.string();
    log.info("predicted the classes of " + std::to_string(result["rows"].to_number<std::size_t>()) + " rows -> " + r.output.string());
    return result;
}

traffic_map to_map(const std::vector<std::pair<std::string, int>>& v) { return {v.begin(), v.end()}; }

}  // namespace

std::vector<std::pair<std::string, int>> parse_weights(const std::string& text, const std::string& flag) {
    std::vector<std::pair<std::string, int>> out;
    std::size_t start = 0;
    while (start <= text.size() && !text.empty()) {
        auto end = text.find(',', start);
        auto part = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        const std::string expected = "name=percent[,name=percent...]";
        const auto [name, percent] = split_key_value(part, flag, value_rule::non_empty, expected);
        int v = 0;
        auto [ptr, ec] = std::from_chars(percent->data(), percent->data() + percent->size(), v);
        if (ec != std::errc{} || ptr != percent->data() + percent->size())
            throw error(error_kind::usage, flag + ": expected " + expected + ", got '" + text + "'").on_field(flag);
        out.emplace_back(name, v);
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

json::object run_predict(const predict_request& r, const env_lookup& env, logger& log) {
    auto src = load_model_source(r.model, r.workspace, env, log, registry::with_ca_file(r.ca_file));
    std::vector<double> predictions;
    std::size_t rows = 0;
    bool with_probabilities = r.probabilities;
    if (lower_ext(r.input) == ".csv" || fs::is_directory(r.input)) {
        // The same loader as aml-score: columns matched by name, clear errors with file/line.
        auto table = data::load_numeric_table(r.input, model::bounded_table_request(src->columns.names(), "", false));
        rows = table.rows;
        if (rows > 0) predictions = src->model->predict_rows(table.features, table.rows);
    } else {
        std::string body;
        try {
            body = read_file(r.input);
        } catch (const error&) {
            throw error(error_kind::not_found, "cannot read input file").in_file(r.input);
        }
        decoded_rows d;
        try {
            decode_payload(body, src->columns, d);
        } catch (error& e) {
            e.in_file(r.input);
            throw;
        }
        rows = d.rows;
        if (rows > 0) predictions = src->model->predict_rows(d.values, d.rows);
        with_probabilities = with_probabilities || wants_probabilities(body);
    }
    json::object result{{"model", r.model}, {"rows", rows}};
    if (const auto* classes = src->model->classes()) return write_classes(r, log, std::move(result), predictions, *classes, with_probabilities);
    if (r.output.empty()) {
        json::array arr;
        for (double p : predictions) arr.emplace_back(std::stod(float_text(p).empty() ? "0" : float_text(p)));
        result["predictions"] = std::move(arr);
        return result;
    }
    std::string out;
    if (lower_ext(r.output) == ".csv") {
        out = "predicted\n";
        for (double p : predictions) out += float_text(p) + "\n";
    } else {
        out = "[";
        for (std::size_t i = 0; i < predictions.size(); ++i) {
            if (i) out += ',';
            auto t = float_text(predictions[i]);
            out += t.empty() ? "null" : t;
        }
        out += "]\n";
    }
    if (r.output.has_parent_path()) fs::create_directories(r.output.parent_path());
    write_file_atomic(r.output, out);
    result["output"] = r.output.string();
    log.info("predicted " + std::to_string(rows) + " rows -> " + r.output.string());
    return result;
}

json::object run_serve(const serve_request& request, const env_lookup& env, logger& log) {
    serve_request r = request;
    const bool nothing_given = r.model.empty() && r.deployments.empty() && r.state_file.empty();
    std::optional<azureml::container_settings> container;
    if (nothing_given) container = azureml::container_settings_from_env(env);
    if (container) {
        r.model = container->model_dir.string();
        if (r.host.empty()) r.host = "0.0.0.0";
        if (r.threads == 0) r.threads = container->threads;
        if (r.request_timeout_ms == 0) r.request_timeout_ms = container->request_timeout_ms;
        r.drift = r.drift || container->drift;
        log.info("Azure ML container: serving " + r.model + " (AZUREML_MODEL_DIR), scoring timeout " +
                 std::to_string(r.request_timeout_ms) + " ms");
    } else if (r.request_timeout_ms == 0) {
        r.request_timeout_ms = azureml::scoring_timeout_from_env(env).value_or(0);
    }
    if (r.host.empty()) r.host = "127.0.0.1";

    service_options so;
    so.scoring_timeout = std::chrono::milliseconds(r.request_timeout_ms);
    so.drift = r.drift;
    if (!r.key_file.empty()) {
        std::string key;
        try {
            key = trim(read_file(r.key_file));
        } catch (const error&) {
            throw error(error_kind::not_found, "cannot read the key file").in_file(r.key_file);
        }
        if (key.empty()) throw error(error_kind::bad_input, "the key file is empty").in_file(r.key_file);
        so.api_key = key;
    }
    so.endpoint_name = r.endpoint_name;
    so.state_file = r.state_file;
    so.routing_seed = r.routing_seed ? r.routing_seed : std::random_device{}();

    std::vector<std::pair<std::string, std::string>> deployments;
    if (!r.model.empty()) deployments.emplace_back("default", r.model);
    for (const auto& d : r.deployments) {
        auto [name, source] = split_key_value(d, "--deployment", value_rule::non_empty, "name=<registry URI|model folder>");
        deployments.emplace_back(std::move(name), std::move(*source));
    }

    scoring_service service(so, make_model_loader(r.workspace, env, log, registry::with_ca_file(r.ca_file)), &log);
    server::server_config cfg;
    cfg.host = r.host;
    cfg.port = r.port;
    cfg.log = &log;
    cfg.threads = r.threads ? r.threads : std::max(1u, std::thread::hardware_concurrency());
    cfg.max_body = r.max_body;
    cfg.max_connections = r.max_connections;
    cfg.header_timeout = std::chrono::milliseconds(r.header_timeout_ms);
    cfg.body_timeout = std::chrono::milliseconds(r.body_timeout_ms);
    server::http_server srv(cfg, service.handler());
    srv.stop_on_signals([&service, &log](int signo) {
        service.set_draining();
        log.info("signal " + std::to_string(signo) + ": draining");
    });
    // Listen first, load second: probes see 503 on GET / while the models load, then 200.
    service.set_loading(true);
    srv.start();
    if (!r.port_file.empty()) write_file_atomic(r.port_file, std::to_string(srv.port()) + "\n");
    try {
        if (deployments.empty()) {
            if (!service.restore_state()) {
                throw error(error_kind::usage, "nothing to serve: give --model, --deployment name=<uri|folder>, an existing --state-file, or set AZUREML_MODEL_DIR");
            }
        } else {
            for (const auto& [name, source] : deployments) service.deploy(name, source);
            traffic_map traffic;
            if (!r.traffic.empty()) {
                traffic = to_map(parse_weights(r.traffic, "traffic"));
            } else if (deployments.size() == 1) {
                traffic[deployments.front().first] = 100;
            } else {
                throw error(error_kind::usage, "--traffic is required with several deployments, e.g. --traffic blue=70,green=30").on_field("traffic");
            }
            std::optional<traffic_map> mirror;
            if (!r.mirror.empty()) mirror = to_map(parse_weights(r.mirror, "mirror"));
            try {
                service.set_traffic(traffic, mirror);
            } catch (const error& e) {
                throw error(error_kind::usage, std::string(e.what()));
            }
        }
    } catch (...) {
        srv.stop();
        throw;
    }
    service.set_loading(false);
    log.info("listening on http://" + r.host + ":" + std::to_string(srv.port()) + " with " + std::to_string(cfg.threads) + " threads");
    srv.wait();
    auto stats = srv.stats();
    json::array names;
    for (const auto& d : service.deployments()) names.emplace_back(boost::json::string(d.name));
    log.info("stopped after " + std::to_string(stats.requests) + " requests");
    return json::object{{"port", srv.port()},
                        {"azureml_container", container.has_value()},
                        {"requests", stats.requests},
                        {"connections", stats.connections_accepted},
                        {"timeouts", stats.timeouts},
                        {"deployments", std::move(names)}};
}

}  // namespace amlops::serve
