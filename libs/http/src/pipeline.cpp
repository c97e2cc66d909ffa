#include "amlops/http/pipeline.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <random>
#include <thread>

namespace amlops::http {

// ------------------------------------------------------------------------------- client id

client_request_id_policy::client_request_id_policy(std::function<std::string()> id_source)
    : id_source_(id_source ? std::move(id_source) : std::function<std::string()>(random_uuid)) {}

response client_request_id_policy::send(request& req, const next_policy& next) {
    if (!req.headers.contains("x-ms-client-request-id")) req.headers.set("x-ms-client-request-id", id_source_());
    return next(req);
}

// ------------------------------------------------------------------------------ user agent

user_agent_policy::user_agent_policy(std::string user_agent) : user_agent_(std::move(user_agent)) {}

response user_agent_policy::send(request& req, const next_policy& next) {
    if (!req.headers.contains("user-agent")) req.headers.set("User-Agent", user_agent_);
    return next(req);
}

// ----------------------------------------------------------------------------------- retry

namespace {

std::optional<double> parse_number(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    double v = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || p != text.data() + text.size() || !(v >= 0) || !std::isfinite(v)) return std::nullopt;
    return v;
}

/// IMF-fixdate (RFC 9110 §5.6.7), the only HTTP date form servers may send today.
std::optional<std::chrono::system_clock::time_point> parse_http_date(const std::string& text) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == nullptr || *end != '\0') return std::nullopt;
    const std::time_t t = timegm(&tm);
    if (t == static_cast<std::time_t>(-1)) return std::nullopt;
    return std::chrono::system_clock::from_time_t(t);
}

std::chrono::milliseconds to_ms(double ms) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(ms)));
}

double default_jitter(double lo, double hi) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(lo, hi)(rng);
}

}  // namespace

retry_policy::retry_policy(retry_options options) : options_(std::move(options)) {
    if (!options_.now) options_.now = [] { return std::chrono::steady_clock::now(); };
    if (!options_.wall_now) options_.wall_now = [] { return std::chrono::system_clock::now(); };
    if (!options_.sleep) options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    if (!options_.jitter) {
        const double lo = options_.jitter_min, hi = options_.jitter_max;
        options_.jitter = [lo, hi] { return default_jitter(lo, hi); };
    }
}

std::optional<std::chrono::milliseconds> retry_policy::server_delay(const fields& headers,
                                                                    std::chrono::system_clock::time_point wall_now) {
    for (const char* name : {"retry-after-ms", "x-ms-retry-after-ms"})
        if (auto v = headers.get(name))
            if (auto ms = parse_number(*v)) return to_ms(*ms);
    if (auto v = headers.get("retry-after")) {
        if (auto s = parse_number(*v)) return to_ms(*s * 1000.0);
        if (auto when = parse_http_date(*v)) {
            const auto d = std::chrono::duration_cast<std::chrono::milliseconds>(*when - wall_now);
            return std::max(d, std::chrono::milliseconds(0));
        }
    }
    return std::nullopt;
}

std::chrono::milliseconds retry_policy::backoff(int retry, double jitter_factor) const {
    const double ms = static_cast<double>(options_.base_delay.count()) * std::pow(options_.multiplier, retry) * jitter_factor;
    return std::min(to_ms(ms), options_.max_delay);
}

response retry_policy::send(request& req, const next_policy& next) {
    const auto start = options_.now();
    auto within_budget = [&](std::chrono::milliseconds delay) {
        return options_.now() - start + delay <= options_.max_elapsed;
    };
    for (int retry = 0;; ++retry) {
        request attempt = req;  // later policies may modify it; every attempt starts from the original
        std::chrono::milliseconds delay{};
        try {
            response res = next(attempt);
            const bool retryable = std::find(options_.statuses.begin(), options_.statuses.end(), res.status) !=
                                   options_.statuses.end();
            if (!retryable || retry >= options_.max_retries) return res;
            delay = server_delay(res.headers, options_.wall_now()).value_or(backoff(retry, options_.jitter()));
            if (!within_budget(delay)) return res;
        } catch (const transport_error& e) {
            if (!e.retryable()) throw;
            const std::string note = " (gave up after " + std::to_string(retry + 1) + " attempt" + (retry ? "s" : "") + ")";
            if (retry >= options_.max_retries) throw transport_error(e.what() + note, true);
            delay = backoff(retry, options_.jitter());
            if (!within_budget(delay)) throw transport_error(e.what() + note, true);
        }
        options_.sleep(delay);
    }
}

// ---------------------------------------------------------------------------------- bearer

bearer_token_policy::bearer_token_policy(std::shared_ptr<token_credential> credential, std::string scope)
    : credential_(std::move(credential)), scope_(std::move(scope)) {
    if (!credential_) throw error(error_kind::internal, "bearer_token_policy needs a credential");
}

response bearer_token_policy::send(request& req, const next_policy& next) {
    req.headers.set("Authorization", "Bearer " + credential_->get_token(scope_).token);
    return next(req);
}

// --------------------------------------------------------------------------------- logging

log_allow_list log_allow_list::defaults() {
    return {
        {"x-ms-request-id", "x-ms-client-request-id", "x-ms-return-client-request-id", "x-ms-correlation-request-id",
         "x-ms-routing-request-id", "x-ms-version", "x-ms-blob-type", "x-ms-error-code", "traceparent", "request-id",
         "accept", "cache-control", "connection", "content-length", "content-type", "content-md5", "date", "etag",
         "expires", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "last-modified",
         "pragma", "retry-after", "retry-after-ms", "x-ms-retry-after-ms", "server", "transfer-encoding",
         "user-agent", "metadata"},
        {"api-version", "comp", "restype", "blockid", "sv", "sp", "sr", "st", "se", "spr", "resource",
         "audience", "$top", "$filter", "orderBy", "listViewType"},
    };
}

logging_policy::logging_policy(amlops::logger& log, log_allow_list allow,
                               std::function<std::chrono::steady_clock::time_point()> now)
    : log_(log), allow_(std::move(allow)),
      now_(now ? std::move(now) : std::function<std::chrono::steady_clock::time_point()>(std::chrono::steady_clock::now)) {}

namespace {
bool allowed(const std::vector<std::string>& list, std::string_view name) {
    return std::any_of(list.begin(), list.end(), [&](const std::string& a) { return iequals(a, name); });
}
}  // namespace

std::string logging_policy::redact_url(const std::string& text) const {
    const auto q = text.find('?');
    if (q == std::string::npos) return text;
    std::string out = text.substr(0, q + 1);
    std::string_view query(text);
    query.remove_prefix(q + 1);
    bool first = true;
    while (true) {
        const auto amp = query.find('&');
        const std::string_view part = query.substr(0, amp);
        const auto eq = part.find('=');
        const std::string_view name = part.substr(0, eq);
        if (!first) out.push_back('&');
        first = false;
        out.append(name);
        if (eq != std::string_view::npos) {
            out.push_back('=');
            if (allowed(allow_.query_parameters, name)) out.append(part.substr(eq + 1));
            else out.append("REDACTED");
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return out;
}

std::string logging_policy::redact_headers(const fields& headers) const {
    std::string out;
    for (const auto& [name, value] : headers) {
        out += "\n  " + name + ": " + (allowed(allow_.headers, name) ? value : std::string("REDACTED"));
    }
    return out;
}

response logging_policy::send(request& req, const next_policy& next) {
    const bool debug = log_.level() <= log_level::debug;
    const std::string line = req.method + " " + redact_url(req.url);
    if (debug) log_.debug("HTTP request: " + line + redact_headers(req.headers));
    const auto start = now_();
    try {
        response res = next(req);
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now_() - start).count();
        if (debug)
            log_.debug("HTTP response: " + line + " -> " + std::to_string(res.status) + " in " + std::to_string(ms) +
                       " ms" + redact_headers(res.headers));
        return res;
    } catch (const amlops::error& e) {
        log_.warn("HTTP " + line + " failed: " + e.what());
        throw;
    }
}

// -------------------------------------------------------------------------------- pipeline

pipeline::pipeline(std::vector<std::shared_ptr<policy>> policies, std::shared_ptr<transport> inner)
    : policies_(std::move(policies)), inner_(std::move(inner)) {
    if (!inner_) throw error(error_kind::internal, "pipeline needs a transport");
}

response pipeline::send(const request& req) {
    request copy = req;
    return run(0, copy);
}

response pipeline::run(std::size_t index, request& req) const {
    if (index == policies_.size()) return inner_->send(req);
    return policies_[index]->send(req, next_policy([this, index](request& r) { return run(index + 1, r); }));
}

std::shared_ptr<pipeline> make_pipeline(pipeline_options options, std::shared_ptr<transport> inner) {
    std::vector<std::shared_ptr<policy>> policies;
    policies.push_back(std::make_shared<client_request_id_policy>(std::move(options.request_id_source)));
    policies.push_back(std::make_shared<user_agent_policy>(std::move(options.user_agent)));
    policies.push_back(std::make_shared<retry_policy>(std::move(options.retry)));
    if (options.credential)
        policies.push_back(std::make_shared<bearer_token_policy>(std::move(options.credential), std::move(options.scope)));
    if (options.log) policies.push_back(std::make_shared<logging_policy>(*options.log, std::move(options.allow)));
    return std::make_shared<pipeline>(std::move(policies), std::move(inner));
}

}  // namespace amlops::http
