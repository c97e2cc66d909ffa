#pragma once
// The scoring service behind `aml-predict serve`: a pure request -> response function (plugged
// into amlops::server::http_server) over a set of deployments with Azure ML routing semantics.
//
// Routes (admin routes: see admin_api.hpp):
//   GET  /               liveness/readiness: 200 {"status":"ready",...} once a deployment with
//                        traffic (or any deployment) is loaded; 503 while none is, or draining.
//   GET  /ready          the same readiness answer under the Azure ML custom-container route.
//   GET  /live           liveness: 200 while the process serves at all, also while loading or
//                        draining (a failed liveness probe makes Azure ML restart the container).
//   POST /score          Azure ML: payload (payload.hpp) -> 200 JSON array of predictions.
//   POST /invocations    MLflow:   payload -> 200 {"predictions": [...]}.
//   GET  /swagger.json   OpenAPI 2.0 document of the scoring routes from the model signature.
//   GET  /metrics        Prometheus text format (version 0.0.4).
//   Anything else: 404; a known route with another method: 405 (with Allow).
// Every response carries x-request-id (echoed, or a generated uuid) and scoring responses
// azureml-model-deployment. With an API key configured, /score, /invocations and /admin/* need
// `Authorization: Bearer <key>` (401 otherwise); / , /swagger.json and /metrics stay open for
// probes and scrapers.
//
// Thread safety: handle() may run concurrently on any number of threads, also concurrently with
// the admin operations (load/unload/set_traffic), which swap an immutable routing snapshot, so
// requests in flight finish on the models they started with.

#include "amlops/core/log.hpp"
#include "amlops/serve/payload.hpp"
#include "amlops/server/http_server.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace amlops::model {
class loaded_model;
}
namespace amlops::drift {
struct profile;
}

namespace amlops::serve {

/// A model ready to serve, as produced by a model_loader. Immutable once built.
struct loaded_source {
    std::string source;         ///< as given: registry URI or folder
    std::string model_name;     ///< registry name, or the folder's name
    std::string model_version;  ///< registry version, or "" for a folder
    std::shared_ptr<const model::loaded_model> model;
    column_set columns;                      ///< model input columns (signature order)
    std::vector<std::string> column_types;   ///< MLflow type per column ("double", "long", ...)
    std::shared_ptr<const drift::profile> profile;  ///< training profile (profile.json); null: none
};

/// Turns a model source (registry URI or folder) into a loaded model. Throws amlops::error
/// (not_found for an absent folder/version, bad_input for an invalid one).
using model_loader = std::function<std::shared_ptr<const loaded_source>(const std::string& source)>;

/// Runs a task off the request path (mirror traffic). Must not block the caller for long.
using task_runner = std::function<void(std::function<void()>)>;

/// Traffic percentages by deployment name.
using traffic_map = std::map<std::string, int>;

/// Service settings.
struct service_options {
    std::optional<std::string> api_key;       ///< Bearer key; nullopt = no auth (admin: loopback only)
    std::string endpoint_name = "local";      ///< for the state file
    std::filesystem::path state_file;         ///< empty: state is not persisted
    std::uint64_t routing_seed = 0;           ///< seed of the traffic draw (deterministic per seed)
    task_runner mirror_runner;                ///< empty: a built-in background thread
    std::size_t max_mirror_queue = 1024;      ///< mirror copies beyond this many queued are dropped
    /// Scoring deadline per request (0: none). Past it the request gets 504 instead of finishing
    /// work whose caller has gone: rows are predicted in chunks and the clock checked in between.
    std::chrono::milliseconds scoring_timeout{0};
    std::function<std::chrono::steady_clock::time_point()> clock;  ///< empty: steady_clock::now
    /// Count scored rows against each model's training profile; /metrics reports PSI and KS per
    /// feature since the deployment was loaded (docs/drift.md). Off: no cost per request.
    bool drift = false;
};

/// One deployment as the admin API reports it.
struct deployment_info {
    std::string name;
    std::shared_ptr<const loaded_source> model;
    int traffic = 0;
    int mirror_traffic = 0;
};

/// The service. Not copyable; owns the mirror worker (if built-in).
class scoring_service {
public:
    scoring_service(service_options options, model_loader loader, logger* log = nullptr);
    scoring_service(const scoring_service&) = delete;
    scoring_service& operator=(const scoring_service&) = delete;
    ~scoring_service();

    /// The request handler (thread-safe). Never throws.
    server::response handle(const server::request& req);
    /// A handler object bound to this service, for http_server.
    server::handler handler();

    /// Loads `source` and creates or replaces deployment `name` (traffic unchanged; see
    /// admin_api.hpp). Returns true when the deployment was created. Throws amlops::error:
    /// bad_input for a bad name, whatever the loader throws.
    bool deploy(const std::string& name, const std::string& source);
    /// Removes a deployment. Throws error(not_found) for an unknown name, error(rejected) while
    /// it has live or mirror traffic.
    void undeploy(const std::string& name);
    /// Sets traffic (and mirror traffic unless nullopt) with Azure's rules (admin_api.hpp).
    /// Throws error(bad_input) naming the broken rule, error(not_found) for an unknown deployment.
    void set_traffic(const traffic_map& traffic, const std::optional<traffic_map>& mirror);

    /// Current live and mirror traffic (live lists every deployment, mirror only non-zero).
    std::pair<traffic_map, traffic_map> traffic() const;
    /// Deployments sorted by name.
    std::vector<deployment_info> deployments() const;

    /// Readiness: 503 from GET / once draining begins (call on SIGTERM).
    void set_draining() noexcept { draining_ = true; }
    /// Readiness: 503 from GET / while the startup models load (GET / is also 503 while no
    /// deployment exists at all).
    void set_loading(bool loading) noexcept { loading_ = loading; }

    /// Restores deployments and traffic from options.state_file if it exists (see
    /// admin_api.hpp). Returns false when there was no file. Throws like deploy().
    bool restore_state();

    struct state;    ///< routing snapshot (implementation detail)
    struct metrics;  ///< counters (implementation detail)

private:
    server::response dispatch(const server::request& req, std::string_view route_key);
    server::response score(const server::request& req, bool mlflow);
    server::response admin(const server::request& req);
    server::response health() const;
    server::response alive() const;
    server::response swagger() const;
    server::response metrics_text() const;
    std::shared_ptr<const state> snapshot() const;
    void publish(std::shared_ptr<const state> next, const std::string& new_deployment);
    void mirror(std::shared_ptr<const loaded_source> target, const std::string& name, std::string body);
    void mirror_worker();

    service_options options_;
    model_loader loader_;
    logger* log_;
    std::atomic<bool> draining_{false};
    std::atomic<bool> loading_{false};
    std::atomic<std::uint64_t> draw_counter_{0};

    mutable std::mutex state_mu_;      // guards state_ (the pointer, not the snapshot)
    std::shared_ptr<const state> state_;
    std::mutex admin_mu_;              // serializes admin changes (load outside state_mu_)

    std::unique_ptr<metrics> metrics_;

    std::mutex mirror_mu_;
    std::condition_variable mirror_cv_;
    std::vector<std::function<void()>> mirror_queue_;
    bool mirror_stop_ = false;
    std::thread mirror_thread_;
};

/// True when `name` is a valid deployment name: 3-32 characters of letters, digits and '-',
/// starting with a letter.
bool is_valid_deployment_name(std::string_view name) noexcept;

/// Constant-time comparison of a presented key with the expected one (time depends only on the
/// expected key's length).
bool keys_equal(std::string_view presented, std::string_view expected) noexcept;

}  // namespace amlops::serve
