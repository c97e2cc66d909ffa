// aml-predict: predictions from a model folder or registry URI, one-shot (default verb) or as an
// Azure ML / MLflow compatible scoring server (`aml-predict serve`).
#include "amlops/cli/tool.hpp"
#include "amlops/cli/vocabulary.hpp"
#include "amlops/serve/commands.hpp"

namespace {

namespace po = amlops::cli::po;
using amlops::serve::serve_request;

// Paths as strings: program_options reads std::filesystem::path with std::quoted.
struct predict_options { std::string model, input, output, workspace, ca_file; bool probabilities = false; };
struct serve_options { serve_request r; std::string key_file, state_file, port_file, workspace, ca_file; };

void describe_predict(amlops::cli::option_spec& s, predict_options& o) {
    s.options.add_options()
        ("model", po::value(&o.model)->required()->value_name("URI|DIR"), "registry URI or MLflow model folder")
        ("input", po::value(&o.input)->required()->value_name("FILE"), "rows.csv (columns by name) or rows.json (any scoring payload)")
        ("output,o", po::value(&o.output)->value_name("FILE"), "predictions file (.csv: a 'predicted' column; else a JSON array)")
        ("probabilities", po::bool_switch(&o.probabilities), "a classifier: each class's probability too (a payload may ask with params.probabilities)");
    amlops::cli::add_workspace(s, o.workspace);
    amlops::cli::add_ca_file(s, o.ca_file);
}

void describe_serve(amlops::cli::option_spec& s, serve_options& o) {
    auto& r = o.r;
    s.options.add_options()
        ("model", po::value(&r.model)->value_name("URI|DIR"), "serve one model as deployment 'default' at 100%")
        ("deployment", po::value(&r.deployments)->composing()->value_name("NAME=URI|DIR"), "a deployment (repeatable)")
        ("traffic", po::value(&r.traffic)->value_name("N=P,..."), "live traffic, e.g. blue=70,green=30 (sum 100)")
        ("mirror", po::value(&r.mirror)->value_name("N=P,..."), "mirror traffic, e.g. green=10 (sum <= 50)")
        ("host", po::value(&r.host)->value_name("HOST"), "address to listen on (default 127.0.0.1; 0.0.0.0 when serving AZUREML_MODEL_DIR)")
        ("port-file", po::value(&o.port_file)->value_name("FILE"), "write the bound port here once listening")
        ("key-file", po::value(&o.key_file)->value_name("FILE"), "require 'Authorization: Bearer <key>' with this key")
        ("state-file", po::value(&o.state_file)->value_name("FILE"), "deployment_state.json: persisted, restored when no model is given")
        ("endpoint-name", po::value(&r.endpoint_name)->default_value(r.endpoint_name)->value_name("NAME"), "endpoint name in the state file")
        ("routing-seed", po::value(&r.routing_seed)->default_value(0)->value_name("N"), "seed of the traffic draw (0: random)")
        ("drift", po::bool_switch(&r.drift), "/metrics: PSI and KS per feature of the rows since load vs the training profile");
    namespace cli = amlops::cli;
    cli::add_bounded(s, "port", r.port, 0, 65535, "PORT", "port (0: ephemeral, see --port-file; default 5001)");
    cli::add_threads(s, r.threads, "I/O threads", "0");
    cli::add_bounded(s, "max-body", r.max_body, 1, std::int64_t{1} << 32, "BYTES", "larger request bodies get 413 (default 10 MiB)");
    cli::add_bounded(s, "max-connections", r.max_connections, 1, 1'000'000, "N", "open connections; more get 503 (default 10000)");
    cli::add_bounded(s, "header-timeout-ms", r.header_timeout_ms, 1, 3'600'000, "MS", "idle/header read timeout (default 10000)");
    cli::add_bounded(s, "body-timeout-ms", r.body_timeout_ms, 1, 3'600'000, "MS", "body read timeout (default 30000)");
    cli::add_bounded(s, "request-timeout-ms", r.request_timeout_ms, 1, 3'600'000, "MS", "scoring deadline, 504 after it (default $SCORING_TIMEOUT_MS, else none)");
    cli::add_workspace(s, o.workspace);
    cli::add_ca_file(s, o.ca_file);
}

}  // namespace

int main(int argc, char** argv) {
    predict_options p;
    serve_options s;
    std::vector<amlops::cli::subcommand> verbs{
        {"predict", "predict the rows of a file", "--model URI|DIR --input FILE [--output FILE]",
         [&](amlops::cli::option_spec& spec) { describe_predict(spec, p); },
         [&](amlops::cli::context& ctx) -> amlops::json::value {
             return amlops::serve::run_predict({p.model, p.input, p.output, p.workspace, amlops::cli::ca_file(p.ca_file, ctx.env()), p.probabilities}, ctx.env(), ctx.log());
         }},
        {"serve", "run the scoring server until SIGTERM/SIGINT", "[--model URI|DIR | --deployment NAME=URI|DIR... | (none: $AZUREML_MODEL_DIR)] [options]",
         [&](amlops::cli::option_spec& spec) { describe_serve(spec, s); },
         [&](amlops::cli::context& ctx) -> amlops::json::value {
             s.r.key_file = s.key_file;
             s.r.state_file = s.state_file;
             s.r.port_file = s.port_file;
             s.r.workspace = s.workspace;
             s.r.ca_file = amlops::cli::ca_file(s.ca_file, ctx.env());
             return amlops::serve::run_serve(s.r, ctx.env(), ctx.log());
         }}};
    return amlops::cli::run_subcommands(argc, argv, {"aml-predict", "Predict with an MLflow model: one-shot or as a scoring server.", "[serve] [options]", ""},
                                        verbs, "predict");
}
