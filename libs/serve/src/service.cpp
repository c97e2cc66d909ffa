// The scoring service: routing snapshot, scoring hot path, admin API, metrics and swagger.
// Hot path per request: one snapshot copy (a mutex + refcount), one lock-free traffic draw, the
// payload decode into a thread-local buffer, the model's fast predictor, one output string.
#include "amlops/serve/service.hpp"
#include "amlops/serve/class_output.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/environment.hpp"
#include "amlops/core/error.hpp"
#include "amlops/core/json.hpp"
#include "amlops/deploy/traffic.hpp"
#include "amlops/model/model.hpp"
#include "amlops/serve/admin_api.hpp"
#include "drift_metrics.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>

namespace amlops::serve {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// splitmix64: a counter-based generator, so the sequence of draws depends only on the seed and
// the number of draws, not on thread timing.
std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

void append_float(std::string& out, double v) {
    if (!std::isfinite(v)) {
        out += "null";
        return;
    }
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<float>(v));
    out.append(buf, ec == std::errc{} ? end : buf);
}

enum route_id : std::size_t { r_root, r_score, r_invocations, r_swagger, r_metrics, r_admin, r_live, r_ready, r_other, r_count };
constexpr std::array<std::string_view, r_count> route_names = {"/", "/score", "/invocations", "/swagger.json",
                                                               "/metrics", "/admin", "/live", "/ready", "other"};
constexpr std::array<unsigned, 14> known_statuses = {200, 201, 400, 401, 403, 404, 405, 409, 413, 415, 500, 503, 504, 0};
constexpr std::array<double, 13> latency_buckets = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,    0.25,  0.5,   1.0,   2.5,   5.0};

std::size_t status_index(unsigned s) {
    for (std::size_t i = 0; i + 1 < known_statuses.size(); ++i) {
        if (known_statuses[i] == s) return i;
    }
    return known_statuses.size() - 1;
}

route_id route_of(std::string_view path) {
    if (path == "/") return r_root;
    if (path == "/score") return r_score;
    if (path == "/invocations") return r_invocations;
    if (path == "/swagger.json") return r_swagger;
    if (path == "/metrics") return r_metrics;
    if (path == "/live") return r_live;
    if (path == "/ready") return r_ready;
    if (path.substr(0, admin::prefix.size()) == admin::prefix || path == "/admin") return r_admin;
    return r_other;
}

// A request id: a per-process random prefix and a counter (cheap and unique, unlike a full
// random uuid per request).
std::string next_request_id() {
    static const std::string prefix = random_uuid().substr(0, 24);
    static std::atomic<std::uint64_t> counter{0};
    char buf[16];
    auto n = counter.fetch_add(1, std::memory_order_relaxed);
    std::snprintf(buf, sizeof buf, "%012llx", static_cast<unsigned long long>(n & 0xFFFFFFFFFFFFull));
    return prefix + buf;
}

unsigned status_for(const error& e) {
    switch (e.kind()) {
    case error_kind::usage:
    case error_kind::bad_input:
    case error_kind::config: return 400;
    case error_kind::not_found: return 404;
    case error_kind::rejected: return 409;
    case error_kind::auth: return 401;
    default: return 500;
    }
}

json::object traffic_json(const traffic_map& t) {
    json::object o;
    for (const auto& [k, v] : t) o[k] = v;
    return o;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

struct scoring_service::metrics {
    std::array<std::array<std::atomic<std::uint64_t>, known_statuses.size()>, r_count> requests{};
    std::array<std::atomic<std::uint64_t>, latency_buckets.size() + 1> latency{};  // last: +Inf
    std::atomic<std::uint64_t> latency_sum_ns{0};
    std::atomic<std::uint64_t> latency_count{0};
    std::atomic<std::int64_t> in_flight{0};
    std::atomic<std::uint64_t> rows{0};
    std::atomic<std::uint64_t> mirror_dropped{0};
};

/// One deployment inside a snapshot. Counters are shared across snapshots.
struct deployment_entry {
    std::string name;
    std::string key;  // lower-case name
    std::shared_ptr<const loaded_source> model;
    int traffic = 0;
    int mirror = 0;
    std::shared_ptr<std::atomic<std::uint64_t>> served = std::make_shared<std::atomic<std::uint64_t>>(0);
    std::shared_ptr<std::atomic<std::uint64_t>> mirrored = std::make_shared<std::atomic<std::uint64_t>>(0);
    std::shared_ptr<drift::monitor> drift;  // with service_options::drift and a profile; reset by a new model
};

struct scoring_service::state {
    std::vector<deployment_entry> deployments;  // sorted by key
    traffic_map previous_traffic;
    std::string new_deployment;
    bool has_prior_deployment = false;

    const deployment_entry* find(std::string_view name) const {
        auto k = lower(name);
        for (const auto& d : deployments) {
            if (d.key == k) return &d;
        }
        return nullptr;
    }
    int live_total() const {
        int t = 0;
        for (const auto& d : deployments) t += d.traffic;
        return t;
    }
    traffic_map live() const {
        traffic_map m;
        for (const auto& d : deployments) m[d.name] = d.traffic;
        return m;
    }
    traffic_map mirrors() const {
        traffic_map m;
        for (const auto& d : deployments) {
            if (d.mirror > 0) m[d.name] = d.mirror;
        }
        return m;
    }
};

bool is_valid_deployment_name(std::string_view name) noexcept {
    if (name.size() < 3 || name.size() > 32) return false;
    if (!std::isalpha(static_cast<unsigned char>(name[0]))) return false;
    return std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; });
}

bool keys_equal(std::string_view presented, std::string_view expected) noexcept {
    // Walk the expected key in full whatever is presented, folding every difference (and a length
    // mismatch) into one accumulator: the time does not reveal how long a matching prefix is.
    unsigned char diff = presented.size() == expected.size() ? 0 : 1;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        unsigned char p = i < presented.size() ? static_cast<unsigned char>(presented[i]) : 0;
        diff = static_cast<unsigned char>(diff | (p ^ static_cast<unsigned char>(expected[i])));
    }
    return diff == 0;
}

scoring_service::scoring_service(service_options options, model_loader loader, logger* log)
    : options_(std::move(options)), loader_(std::move(loader)), log_(log),
      state_(std::make_shared<state>()), metrics_(std::make_unique<metrics>()) {
    if (!options_.mirror_runner) {
        mirror_thread_ = std::thread([this] { mirror_worker(); });
    }
}

scoring_service::~scoring_service() {
    {
        std::lock_guard lock(mirror_mu_);
        mirror_stop_ = true;
    }
    mirror_cv_.notify_all();
    if (mirror_thread_.joinable()) mirror_thread_.join();
}

server::handler scoring_service::handler() {
    return [this](const server::request& req) { return handle(req); };
}

std::shared_ptr<const scoring_service::state> scoring_service::snapshot() const {
    std::lock_guard lock(state_mu_);
    return state_;
}

// ---------------------------------------------------------------------------------------------
// request entry point

server::response scoring_service::handle(const server::request& req) {
    const auto start = std::chrono::steady_clock::now();
    auto path = req.path();
    const route_id route = route_of(path);
    ++metrics_->in_flight;

    const auto id_header = req.header_value(admin::request_id_header);
    const std::string request_id = id_header.empty() ? next_request_id() : std::string(id_header);
    server::response res;
    try {
        res = dispatch(req, path);
    } catch (const error& e) {
        res = server::error_response(status_for(e), e.what());
    } catch (const std::exception& e) {
        // Answered with a generic 500, so the cause must reach the log, findable by the request id.
        if (log_) log_->error("request " + request_id + " " + req.method + " " + std::string(path) + " failed: " + e.what());
        res = server::error_response(500, "internal error while handling the request");
    }

    res.set(std::string(admin::request_id_header), request_id);

    --metrics_->in_flight;
    metrics_->requests[route][status_index(res.status)].fetch_add(1, std::memory_order_relaxed);
    if (route == r_score || route == r_invocations) {
        const auto ns = static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
        const double s = static_cast<double>(ns) * 1e-9;
        std::size_t b = 0;
        while (b < latency_buckets.size() && s > latency_buckets[b]) ++b;
        metrics_->latency[b].fetch_add(1, std::memory_order_relaxed);
        metrics_->latency_sum_ns.fetch_add(ns, std::memory_order_relaxed);
        metrics_->latency_count.fetch_add(1, std::memory_order_relaxed);
    }
    return res;
}

server::response scoring_service::dispatch(const server::request& req, std::string_view path) {
    const route_id route = route_of(path);
    auto method_not_allowed = [](std::string_view allow) {
        auto r = server::error_response(405, "method not allowed; use " + std::string(allow));
        r.set("Allow", std::string(allow));
        return r;
    };
    auto authorized = [&]() {
        if (!options_.api_key) return true;
        auto auth = req.header_value("authorization");
        constexpr std::string_view bearer = "Bearer ";
        if (auth.size() < bearer.size() || lower(auth.substr(0, bearer.size())) != "bearer ") return false;
        return keys_equal(auth.substr(bearer.size()), *options_.api_key);
    };
    auto unauthorized = [] {
        auto r = server::error_response(401, "missing or invalid key: send 'Authorization: Bearer <key>'");
        r.set("WWW-Authenticate", "Bearer");
        return r;
    };

    switch (route) {
    case r_root:
    case r_ready:
        if (req.method != "GET" && req.method != "HEAD") return method_not_allowed("GET");
        return health();
    case r_live:
        if (req.method != "GET" && req.method != "HEAD") return method_not_allowed("GET");
        return alive();
    case r_score:
    case r_invocations:
        if (req.method != "POST") return method_not_allowed("POST");
        if (!authorized()) return unauthorized();
        return score(req, route == r_invocations);
    case r_swagger:
        if (req.method != "GET") return method_not_allowed("GET");
        return swagger();
    case r_metrics:
        if (req.method != "GET") return method_not_allowed("GET");
        return metrics_text();
    case r_admin:
        if (options_.api_key) {
            if (!authorized()) return unauthorized();
        } else if (!req.remote_is_loopback) {
            return server::error_response(403, "the admin API is available from loopback only (or with --key-file)");
        }
        return admin(req);
    default: return server::error_response(404, "no route " + std::string(path));
    }
}

// ---------------------------------------------------------------------------------------------
// scoring

server::response scoring_service::score(const server::request& req, bool mlflow) {
    const auto now = [this] { return options_.clock ? options_.clock() : std::chrono::steady_clock::now(); };
    const auto started = now();
    const auto timeout = options_.scoring_timeout;
    const auto timed_out = [&] { return timeout.count() > 0 && now() - started > timeout; };
    const auto timeout_response = [&] {
        return server::error_response(504, "scoring timed out after " + std::to_string(timeout.count()) +
                                               " ms (the scoring timeout, SCORING_TIMEOUT_MS)");
    };
    auto st = snapshot();
    const deployment_entry* target = nullptr;
    auto wanted = req.header_value(admin::deployment_header);
    const std::uint64_t draw = splitmix64(options_.routing_seed ^ draw_counter_.fetch_add(1, std::memory_order_relaxed));
    if (!wanted.empty()) {
        target = st->find(wanted);
        if (!target) return server::error_response(404, "no deployment named '" + std::string(wanted) + "'");
    } else {
        if (st->live_total() <= 0) {
            return server::error_response(503, st->deployments.empty() ? "no deployment is loaded"
                                                                       : "no deployment has traffic");
        }
        int pick = static_cast<int>(draw % 100);
        for (const auto& d : st->deployments) {
            if (pick < d.traffic) {
                target = &d;
                break;
            }
            pick -= d.traffic;
        }
        if (!target) target = &st->deployments.back();  // unreachable when the sum is 100
    }

    thread_local decoded_rows rows;
    decode_payload(req.body, target->model->columns, rows);
    std::vector<double> predictions;
    // One thread per request: the server already runs a request per core, and spawning threads
    // per request costs more than it saves.
    if (timeout.count() <= 0) {
        if (rows.rows > 0) predictions = target->model->model->predict_rows(rows.values, rows.rows, 1);
    } else {
        // Chunks small enough that a request stops soon after its deadline, large enough that
        // the clock reads cost nothing next to the trees.
        constexpr std::size_t chunk_rows = 4096;
        const std::size_t width = rows.rows ? rows.values.size() / rows.rows : 0;
        predictions.reserve(rows.rows);
        for (std::size_t first = 0; first < rows.rows; first += chunk_rows) {
            if (timed_out()) return timeout_response();
            const std::size_t n = std::min(chunk_rows, rows.rows - first);
            auto part = target->model->model->predict_rows(std::span<const float>(rows.values).subspan(first * width, n * width), n, 1);
            predictions.insert(predictions.end(), part.begin(), part.end());
        }
        if (timed_out()) return timeout_response();
    }
    metrics_->rows.fetch_add(rows.rows, std::memory_order_relaxed);
    target->served->fetch_add(1, std::memory_order_relaxed);
    if (target->drift) target->drift->observe(rows.values, rows.rows);

    server::response res;
    res.body.reserve(predictions.size() * 12 + 24);
    res.body = mlflow ? "{\"predictions\":[" : "[";
    if (const auto* classes = target->model->model->classes()) {
        append_class_json(res.body, predictions, *classes, wants_probabilities(req.body));
    } else {
        for (std::size_t i = 0; i < predictions.size(); ++i) {
            if (i) res.body += ',';
            append_float(res.body, predictions[i]);
        }
    }
    res.body += mlflow ? "]}" : "]";
    res.set(std::string(admin::deployment_header), target->name);

    // Mirror copies only for traffic the router chose (Azure mirrors live traffic, not
    // header-targeted calls); an independent draw per mirror deployment.
    if (wanted.empty()) {
        for (const auto& d : st->deployments) {
            if (d.mirror <= 0 || &d == target) continue;
            const auto m = splitmix64(draw ^ std::hash<std::string>{}(d.key));
            if (static_cast<int>(m % 100) < d.mirror) {
                d.mirrored->fetch_add(1, std::memory_order_relaxed);
                mirror(d.model, d.name, req.body);
            }
        }
    }
    return res;
}

void scoring_service::mirror(std::shared_ptr<const loaded_source> target, const std::string& name, std::string body) {
    auto task = [target = std::move(target), body = std::move(body), name, log = log_] {
        try {
            decoded_rows r;
            decode_payload(body, target->columns, r);
            if (r.rows > 0) (void)target->model->predict_rows(r.values, r.rows, 1);
        } catch (const std::exception& e) {
            if (log) log->debug("mirror to " + name + " failed: " + e.what());
        }
    };
    if (options_.mirror_runner) {
        options_.mirror_runner(std::move(task));
        return;
    }
    {
        std::lock_guard lock(mirror_mu_);
        if (mirror_queue_.size() >= options_.max_mirror_queue) {
            ++metrics_->mirror_dropped;
            return;
        }
        mirror_queue_.emplace_back(std::move(task));
    }
    mirror_cv_.notify_one();
}

void scoring_service::mirror_worker() {
    std::vector<std::function<void()>> batch;
    for (;;) {
        {
            std::unique_lock lock(mirror_mu_);
            mirror_cv_.wait(lock, [&] { return mirror_stop_ || !mirror_queue_.empty(); });
            if (mirror_stop_) return;
            batch.swap(mirror_queue_);
        }
        for (auto& t : batch) t();
        batch.clear();
    }
}

// ---------------------------------------------------------------------------------------------
// health, swagger, metrics

server::response scoring_service::alive() const {
    server::response res;
    res.body = R"({"status":"alive"})";
    return res;
}

server::response scoring_service::health() const {
    auto st = snapshot();
    server::response res;
    if (draining_.load()) {
        return server::error_response(503, "draining: the server is shutting down");
    }
    if (loading_.load() || st->deployments.empty()) return server::error_response(503, "loading: no model is ready yet");
    json::object o{{"status", "ready"}};
    json::array deps;
    for (const auto& d : st->deployments) deps.emplace_back(boost::json::string(d.name));
    o["deployments"] = std::move(deps);
    res.body = boost::json::serialize(o);
    return res;
}

server::response scoring_service::swagger() const {
    auto st = snapshot();
    if (st->deployments.empty()) return server::error_response(503, "no model loaded yet");
    // The deployment with the most traffic describes the endpoint (all slots of one endpoint
    // serve the same signature in practice).
    const deployment_entry* d = &st->deployments.front();
    for (const auto& e : st->deployments) {
        if (e.traffic > d->traffic) d = &e;
    }
    const auto& m = *d->model;
    json::object props;
    json::array required;
    json::array names;
    json::array example_row;
    for (std::size_t i = 0; i < m.columns.size(); ++i) {
        const auto& name = m.columns.names()[i];
        const auto& type = i < m.column_types.size() ? m.column_types[i] : std::string("double");
        const bool integer = type == "long" || type == "integer";
        props[name] = json::object{{"type", integer ? "integer" : "number"},
                                   {"format", integer ? (type == "long" ? "int64" : "int32") : (type == "float" ? "float" : "double")}};
        required.emplace_back(boost::json::string(name));
        names.emplace_back(boost::json::string(name));
        example_row.emplace_back(0);
    }
    json::object row_schema{{"type", "object"}, {"properties", props}, {"required", required}};
    json::object split_schema{
        {"type", "object"},
        {"required", json::array{"columns", "data"}},
        {"properties",
         json::object{{"columns", json::object{{"type", "array"}, {"items", json::object{{"type", "string"}}}, {"example", names}}},
                      {"index", json::object{{"type", "array"}, {"items", json::object{{"type", "integer"}}}}},
                      {"data", json::object{{"type", "array"},
                                            {"items", json::object{{"type", "array"}, {"items", json::object{{"type", "number"}}}}},
                                            {"example", json::array{example_row}}}}}}};
    json::object input{{"type", "object"},
                       {"description", "One of input_data (Azure ML), data, dataframe_split, dataframe_records, instances, inputs (MLflow)"},
                       {"properties",
                        json::object{{"input_data", json::object{{"$ref", "#/definitions/DataFrameSplit"}}},
                                     {"dataframe_split", json::object{{"$ref", "#/definitions/DataFrameSplit"}}},
                                     {"dataframe_records", json::object{{"type", "array"}, {"items", json::object{{"$ref", "#/definitions/InputRow"}}}}},
                                     {"data", json::object{{"type", "array"}, {"items", json::object{{"type", "array"}, {"items", json::object{{"type", "number"}}}}}}},
                                     {"instances", json::object{{"type", "array"}, {"items", json::object{{"$ref", "#/definitions/InputRow"}}}}},
                                     {"inputs", json::object{{"type", "object"}}}}}};
    // A classifier answers each row with its fare-class label (or, when the payload asks for
    // probabilities, {"label", "probabilities"}): the output items say so, not "number".
    json::object prediction_item{{"type", "number"}, {"format", "double"}};
    if (const auto* classes = m.model->classes()) {
        json::array labels;
        for (const auto& l : classes->labels()) labels.emplace_back(boost::json::string(l));
        prediction_item = json::object{{"type", "string"},
                                       {"enum", std::move(labels)},
                                       {"description", "the row's fare class; with \"params\": {\"probabilities\": true} an object "
                                                       "{\"label\": ..., \"probabilities\": {class: p}} instead"}};
    }
    auto op = [](std::string id, std::string output_ref) {
        return json::object{
            {"post",
             json::object{{"operationId", id},
                          {"consumes", json::array{"application/json"}},
                          {"produces", json::array{"application/json"}},
                          {"parameters", json::array{json::object{{"name", "body"}, {"in", "body"}, {"required", true},
                                                                  {"schema", json::object{{"$ref", "#/definitions/ServiceInput"}}}}}},
                          {"responses", json::object{{"200", json::object{{"description", "predictions"}, {"schema", json::object{{"$ref", output_ref}}}}},
                                                     {"400", json::object{{"description", "invalid payload; the message names the problem"}}},
                                                     {"401", json::object{{"description", "missing or invalid key"}}}}}}}};
    };
    json::object doc{
        {"swagger", "2.0"},
        {"info", json::object{{"title", "amlops scoring endpoint"},
                              {"description", "Model " + m.model_name + (m.model_version.empty() ? "" : " version " + m.model_version)},
                              {"version", "1.0"}}},
        {"schemes", json::array{"http"}},
        {"paths", json::object{{"/score", op("RunMLService", "#/definitions/ServiceOutput")},
                               {"/invocations", op("Invocations", "#/definitions/MLflowOutput")}}},
        {"definitions",
         json::object{{"InputRow", row_schema},
                      {"DataFrameSplit", split_schema},
                      {"ServiceInput", input},
                      {"ServiceOutput", json::object{{"type", "array"}, {"items", prediction_item}}},
                      {"MLflowOutput", json::object{{"type", "object"},
                                                    {"properties", json::object{{"predictions", json::object{{"type", "array"}, {"items", prediction_item}}}}}}}}}};
    server::response res;
    res.body = boost::json::serialize(doc);
    return res;
}

server::response scoring_service::metrics_text() const {
    std::string out;
    out.reserve(4096);
    auto line = [&](const std::string& s) {
        out += s;
        out += '\n';
    };
    line("# HELP amlops_http_requests_total HTTP requests handled, by route and status.");
    line("# TYPE amlops_http_requests_total counter");
    for (std::size_t r = 0; r < r_count; ++r) {
        for (std::size_t s = 0; s < known_statuses.size(); ++s) {
            auto n = metrics_->requests[r][s].load(std::memory_order_relaxed);
            if (n == 0) continue;
            std::string code = known_statuses[s] ? std::to_string(known_statuses[s]) : "other";
            line("amlops_http_requests_total{route=\"" + std::string(route_names[r]) + "\",status=\"" + code + "\"} " + std::to_string(n));
        }
    }
    line("# HELP amlops_request_duration_seconds Time to handle a scoring request (decode, predict, encode).");
    line("# TYPE amlops_request_duration_seconds histogram");
    std::uint64_t cum = 0;
    for (std::size_t b = 0; b <= latency_buckets.size(); ++b) {
        cum += metrics_->latency[b].load(std::memory_order_relaxed);
        char le[32];
        if (b < latency_buckets.size()) {
            auto [e, ec] = std::to_chars(le, le + sizeof le, latency_buckets[b]);
            *e = '\0';
            (void)ec;
        } else {
            std::snprintf(le, sizeof le, "+Inf");
        }
        line("amlops_request_duration_seconds_bucket{le=\"" + std::string(le) + "\"} " + std::to_string(cum));
    }
    char sum[40];
    std::snprintf(sum, sizeof sum, "%.9f", static_cast<double>(metrics_->latency_sum_ns.load()) * 1e-9);
    line("amlops_request_duration_seconds_sum " + std::string(sum));
    line("amlops_request_duration_seconds_count " + std::to_string(metrics_->latency_count.load()));
    line("# HELP amlops_requests_in_flight Requests being handled right now.");
    line("# TYPE amlops_requests_in_flight gauge");
    // This scrape itself is in flight; report the others.
    line("amlops_requests_in_flight " + std::to_string(std::max<std::int64_t>(0, metrics_->in_flight.load() - 1)));
    line("# HELP amlops_rows_scored_total Rows predicted.");
    line("# TYPE amlops_rows_scored_total counter");
    line("amlops_rows_scored_total " + std::to_string(metrics_->rows.load()));
    auto st = snapshot();
    line("# HELP amlops_model_info The model behind each deployment (value 1).");
    line("# TYPE amlops_model_info gauge");
    for (const auto& d : st->deployments) {
        line("amlops_model_info{deployment=\"" + d.name + "\",model_name=\"" + d.model->model_name + "\",model_version=\"" +
             d.model->model_version + "\"} 1");
    }
    line("# HELP amlops_deployment_traffic_percent Live and mirror traffic per deployment.");
    line("# TYPE amlops_deployment_traffic_percent gauge");
    for (const auto& d : st->deployments) {
        line("amlops_deployment_traffic_percent{deployment=\"" + d.name + "\",kind=\"live\"} " + std::to_string(d.traffic));
        line("amlops_deployment_traffic_percent{deployment=\"" + d.name + "\",kind=\"mirror\"} " + std::to_string(d.mirror));
    }
    line("# HELP amlops_deployment_requests_total Scoring requests answered by each deployment.");
    line("# TYPE amlops_deployment_requests_total counter");
    for (const auto& d : st->deployments) line("amlops_deployment_requests_total{deployment=\"" + d.name + "\"} " + std::to_string(d.served->load()));
    line("# HELP amlops_mirror_requests_total Requests copied to each mirror deployment.");
    line("# TYPE amlops_mirror_requests_total counter");
    for (const auto& d : st->deployments) line("amlops_mirror_requests_total{deployment=\"" + d.name + "\"} " + std::to_string(d.mirrored->load()));
    line("# HELP amlops_mirror_dropped_total Mirror copies dropped because the mirror queue was full.");
    line("# TYPE amlops_mirror_dropped_total counter");
    line("amlops_mirror_dropped_total " + std::to_string(metrics_->mirror_dropped.load()));
    if (options_.drift) {
        std::vector<drift_metric_source> sources;
        for (const auto& d : st->deployments) sources.push_back({d.name, d.drift.get()});
        append_drift_metrics(out, sources);
    }
    server::response res;
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body = std::move(out);
    return res;
}

// ---------------------------------------------------------------------------------------------
// admin operations

void scoring_service::publish(std::shared_ptr<const state> next, const std::string& new_deployment) {
    (void)new_deployment;
    {
        std::lock_guard lock(state_mu_);
        state_ = next;
    }
    if (options_.state_file.empty()) return;
    json::object deps;
    for (const auto& d : next->deployments) deps[d.name] = json::object{{"model", d.model->source}};
    const deployment_entry* nd = next->find(next->new_deployment);
    json::object doc{{"endpoint_name", options_.endpoint_name},
                     {"current_traffic", traffic_json(next->live())},
                     {"previous_traffic", traffic_json(next->previous_traffic)},
                     {"mirror_traffic", traffic_json(next->mirrors())},
                     {"new_deployment", next->new_deployment},
                     {"has_prior_deployment", next->has_prior_deployment},
                     {"model_name", nd ? nd->model->model_name : ""},
                     {"model_version", nd ? nd->model->model_version : ""},
                     {"model_source", nd ? nd->model->source : ""},
                     {"deployments", deps}};
    json::write_file(options_.state_file, doc);
}

bool scoring_service::deploy(const std::string& name, const std::string& source) {
    if (!is_valid_deployment_name(name)) {
        throw error(error_kind::bad_input, "invalid deployment name '" + name +
                                               "': use 3-32 letters, digits and '-', starting with a letter")
            .on_field("name");
    }
    std::lock_guard admin_lock(admin_mu_);
    auto loaded = loader_(source);  // slow part, outside state_mu_: scoring continues meanwhile
    auto cur = snapshot();
    auto next = std::make_shared<state>(*cur);
    next->previous_traffic = cur->live();
    next->has_prior_deployment = cur->live_total() > 0;
    next->new_deployment = name;
    bool created = true;
    for (auto& d : next->deployments) {
        if (d.key == lower(name)) {
            d.model = loaded;
            d.drift = options_.drift ? drift_monitor_for(*loaded) : nullptr;
            created = false;
            next->new_deployment = d.name;
        }
    }
    if (created) {
        deployment_entry e;
        e.name = name;
        e.key = lower(name);
        e.model = loaded;
        e.drift = options_.drift ? drift_monitor_for(*loaded) : nullptr;
        next->deployments.push_back(std::move(e));
        std::sort(next->deployments.begin(), next->deployments.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    }
    publish(next, name);
    if (log_) log_->info(std::string(created ? "created" : "updated") + " deployment " + name + " from " + source);
    return created;
}

void scoring_service::undeploy(const std::string& name) {
    std::lock_guard admin_lock(admin_mu_);
    auto cur = snapshot();
    const auto* d = cur->find(name);
    if (!d) throw error(error_kind::not_found, "no deployment named '" + name + "'");
    if (d->traffic > 0 || d->mirror > 0) {
        throw error(error_kind::rejected, "deployment '" + d->name + "' still has " + std::to_string(d->traffic) +
                                              "% live and " + std::to_string(d->mirror) + "% mirror traffic; set it to 0 first");
    }
    auto next = std::make_shared<state>(*cur);
    next->previous_traffic = cur->live();
    auto key = d->key;
    std::erase_if(next->deployments, [&](const deployment_entry& e) { return e.key == key; });
    publish(next, {});
    if (log_) log_->info("deleted deployment " + name);
}

void scoring_service::set_traffic(const traffic_map& traffic, const std::optional<traffic_map>& mirror) {
    std::lock_guard admin_lock(admin_mu_);
    auto cur = snapshot();
    auto known = [&](const traffic_map& m, std::string_view what) {
        for (const auto& [k, v] : m)
            if (!cur->find(k)) throw error(error_kind::not_found, std::string(what) + " names unknown deployment '" + k + "'").on_field(std::string(what));
    };
    known(traffic, "traffic");
    if (mirror) known(*mirror, "mirror_traffic");
    // Azure ML's rules (ranges, live sum 100, mirror sum at most 50) live in libs/deploy; every
    // deployment takes part, at 0 when the body leaves it out.
    deploy::endpoint_traffic proposed{traffic, mirror.value_or(traffic_map{})};
    for (const auto& d : cur->deployments) proposed.traffic.try_emplace(d.name, 0);
    deploy::validate(proposed);
    auto next = std::make_shared<state>(*cur);
    next->previous_traffic = cur->live();
    for (auto& d : next->deployments) {
        d.traffic = 0;
        for (const auto& [k, v] : traffic) {
            if (lower(k) == d.key) d.traffic = v;
        }
        if (mirror) {
            d.mirror = 0;
            for (const auto& [k, v] : *mirror) {
                if (lower(k) == d.key) d.mirror = v;
            }
        }
    }
    publish(next, {});
    if (log_) log_->info("traffic set");
}

std::pair<traffic_map, traffic_map> scoring_service::traffic() const {
    auto st = snapshot();
    return {st->live(), st->mirrors()};
}

std::vector<deployment_info> scoring_service::deployments() const {
    auto st = snapshot();
    std::vector<deployment_info> out;
    for (const auto& d : st->deployments) out.push_back({d.name, d.model, d.traffic, d.mirror});
    return out;
}

bool scoring_service::restore_state() {
    if (options_.state_file.empty() || !std::filesystem::exists(options_.state_file)) return false;
    auto doc = json::read_file(options_.state_file);
    const std::string origin = options_.state_file.string();
    if (!doc.is_object()) throw error(error_kind::bad_input, "state file is not a JSON object").in_file(options_.state_file);
    const auto& o = doc.get_object();
    auto read_map = [&](std::string_view key) {
        traffic_map m;
        if (const auto* v = o.if_contains(key); v && v->is_object()) {
            for (const auto& [k, x] : v->get_object()) m[std::string(k)] = static_cast<int>(json::to_double(x, key));
        }
        return m;
    };
    if (const auto* deps = o.if_contains("deployments"); deps && deps->is_object()) {
        for (const auto& [name, d] : deps->get_object()) {
            if (!d.is_object()) continue;
            deploy(std::string(name), json::require_string(d.get_object(), "model", origin));
        }
    }
    set_traffic(read_map("current_traffic"), read_map("mirror_traffic"));
    return true;
}

// ---------------------------------------------------------------------------------------------
// admin routes

namespace {

json::object deployment_json(const deployment_info& d) {
    json::array cols;
    for (const auto& c : d.model->columns.names()) cols.emplace_back(boost::json::string(c));
    return json::object{{"name", d.name},
                        {"model", d.model->source},
                        {"model_name", d.model->model_name},
                        {"model_version", d.model->model_version},
                        {"input_columns", cols},
                        {"traffic", d.traffic},
                        {"mirror_traffic", d.mirror_traffic}};
}

traffic_map parse_traffic(const json::value& v, std::string_view what) {
    if (!v.is_object()) throw error(error_kind::bad_input, std::string(what) + " must be an object of name: percent").on_field(std::string(what));
    traffic_map m;
    for (const auto& [k, x] : v.get_object()) {
        if (!x.is_int64() && !x.is_uint64()) {
            throw error(error_kind::bad_input, std::string(what) + " of '" + std::string(k) + "' must be an integer").on_field(std::string(what));
        }
        m[std::string(k)] = static_cast<int>(x.is_int64() ? std::clamp<std::int64_t>(x.get_int64(), -1, 101)
                                                          : static_cast<std::int64_t>(std::min<std::uint64_t>(x.get_uint64(), 101)));
    }
    return m;
}

server::response json_response(const json::value& v, unsigned status = 200) {
    server::response r;
    r.status = status;
    r.body = boost::json::serialize(v);
    return r;
}

}  // namespace

server::response scoring_service::admin(const server::request& req) {
    auto path = req.path();
    const std::string_view deps_prefix = admin::deployments_route;
    if (path == admin::traffic_route) {
        if (req.method == "GET") {
            auto [live, mirror] = traffic();
            return json_response(json::object{{"traffic", traffic_json(live)}, {"mirror_traffic", traffic_json(mirror)}});
        }
        if (req.method != "PUT") {
            auto r = server::error_response(405, "method not allowed; use GET or PUT");
            r.set("Allow", "GET, PUT");
            return r;
        }
        auto body = json::parse(req.body, "request body");
        if (!body.is_object() || !body.get_object().if_contains("traffic")) {
            throw error(error_kind::bad_input, "the body must be {\"traffic\": {...}, \"mirror_traffic\": {...}}");
        }
        const auto& o = body.get_object();
        std::optional<traffic_map> mirror;
        if (const auto* m = o.if_contains("mirror_traffic")) mirror = parse_traffic(*m, "mirror_traffic");
        set_traffic(parse_traffic(o.at("traffic"), "traffic"), mirror);
        auto [live, mir] = traffic();
        return json_response(json::object{{"traffic", traffic_json(live)}, {"mirror_traffic", traffic_json(mir)}});
    }
    if (path == deps_prefix) {
        if (req.method != "GET") {
            auto r = server::error_response(405, "method not allowed; use GET");
            r.set("Allow", "GET");
            return r;
        }
        json::array arr;
        for (const auto& d : deployments()) arr.emplace_back(deployment_json(d));
        return json_response(json::object{{"deployments", arr}});
    }
    if (path.size() > deps_prefix.size() + 1 && path.substr(0, deps_prefix.size()) == deps_prefix && path[deps_prefix.size()] == '/') {
        std::string name(path.substr(deps_prefix.size() + 1));
        if (req.method == "PUT") {
            auto body = json::parse(req.body, "request body");
            if (!body.is_object()) throw error(error_kind::bad_input, "the body must be {\"model\": \"<registry URI or model folder>\"}");
            auto source = json::require_string(body.get_object(), "model", "request body");
            const bool created = deploy(name, source);
            for (const auto& d : deployments()) {
                if (lower(d.name) == lower(name)) return json_response(deployment_json(d), created ? 201 : 200);
            }
            return server::error_response(500, "deployment vanished after loading");
        }
        if (req.method == "DELETE") {
            undeploy(name);
            return json_response(json::object{{"deleted", name}});
        }
        if (req.method == "GET") {
            for (const auto& d : deployments()) {
                if (lower(d.name) == lower(name)) return json_response(deployment_json(d));
            }
            return server::error_response(404, "no deployment named '" + name + "'");
        }
        auto r = server::error_response(405, "method not allowed; use GET, PUT or DELETE");
        r.set("Allow", "GET, PUT, DELETE");
        return r;
    }
    return server::error_response(404, "no admin route " + std::string(path));
}

}  // namespace amlops::serve
