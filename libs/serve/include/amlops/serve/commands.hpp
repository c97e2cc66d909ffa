#pragma once
// The two commands of aml-predict as library calls, so the tool's main only binds flags:
// one-shot prediction of a file, and the long-running scoring server.

#include "amlops/core/environment.hpp"
#include "amlops/core/json.hpp"
#include "amlops/core/log.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace amlops::serve {

/// Inputs of run_predict().
struct predict_request {
    std::string model;                 ///< registry URI or model folder
    std::filesystem::path input;       ///< rows.json (any payload form of payload.hpp) or rows.csv
    std::filesystem::path output;      ///< empty: predictions only in the result; *.csv: a
                                       ///< `predicted` column (like aml-score); else a JSON array
    std::filesystem::path workspace;   ///< registry workspace root (empty: default)
    std::filesystem::path ca_file;     ///< PEM CA bundle for TLS to Azure (empty: default trust)
    bool probabilities = false;        ///< a classifier: also each class's probability (class_output.hpp)
};

/// Predicts every row of `input`. A .csv input is matched by column name like aml-score (the
/// same loader), anything else is decoded as a JSON scoring payload. Returns {model, rows,
/// predictions (when no output file), output}. Throws amlops::error (bad_input naming the
/// problem, not_found for a missing file/model).
json::object run_predict(const predict_request& r, const env_lookup& env, logger& log);

/// Inputs of run_serve().
struct serve_request {
    std::string host;                           ///< empty: 127.0.0.1, or 0.0.0.0 as an Azure ML
                                                ///< container (the platform probes from outside)
    std::uint16_t port = 5001;
    unsigned threads = 0;                       ///< 0: hardware concurrency
    std::string model;                          ///< single deployment named `default` at 100%
    std::vector<std::string> deployments;       ///< "name=<uri|folder>", repeatable
    std::string traffic;                        ///< "blue=70,green=30"; default: 100% to the
                                                ///< only deployment, else required
    std::string mirror;                         ///< "green=10"
    std::filesystem::path key_file;             ///< Bearer key (file content, trimmed)
    std::size_t max_body = 10u << 20;
    std::size_t max_connections = 10000;
    unsigned header_timeout_ms = 10000;
    unsigned body_timeout_ms = 30000;
    std::filesystem::path state_file;           ///< deployment_state.json (restored when no model given)
    std::filesystem::path port_file;            ///< the bound port is written here once listening
    std::filesystem::path workspace;
    std::string endpoint_name = "local";
    std::uint64_t routing_seed = 0;             ///< 0: random
    unsigned request_timeout_ms = 0;            ///< 0: SCORING_TIMEOUT_MS, else none (180 s
                                                ///< as an Azure ML container)
    std::filesystem::path ca_file;              ///< PEM CA bundle for TLS to Azure (empty: default trust)
    bool drift = false;                         ///< /metrics reports PSI and KS (service_options::drift)
};

/// Runs the server until SIGTERM/SIGINT, then drains (readiness 503, in-flight requests finish)
/// and returns {port, requests, connections, deployments}. With nothing to serve given (no model,
/// deployment or state file) and AZUREML_MODEL_DIR set, it runs as an Azure ML custom container
/// (azureml_container.hpp): that model, on all interfaces, with the platform's timeout. Throws amlops::error for bad flags,
/// a model that cannot be loaded or a port that cannot be bound.
json::object run_serve(const serve_request& r, const env_lookup& env, logger& log);

/// Parses "a=70,b=30" into a traffic map; throws error(usage) naming `flag`.
std::vector<std::pair<std::string, int>> parse_weights(const std::string& text, const std::string& flag);

}  // namespace amlops::serve
