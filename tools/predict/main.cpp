// aml-predict: predictions from a model folder or registry URI, one-shot (default verb) or as an
// Azure ML / MLflow compatible scoring server (`aml-predict serve`).
#include "amlops/cli/tool.hpp"
#include "amlops/serve/commands.hpp"

namespace {

namespace po = amlops::cli::po;
using amlops::serve::predict_request;
using amlops::serve::serve_request;

// Paths as strings: program_options reads std::filesystem::path with std::quoted.
struct predict_options { std::string model, input, output, workspace; };
struct serve_options { serve_request r; std::string key_file, state_file, port_file, workspace; };

void describe_predict(amlops::cli::option_spec& s, predict_options& o) {
    s.options.add_options()
        ("model", po::value(&o.model)->required()->value_name("URI|DIR"), "registry URI or MLflow model folder")
        ("input", po::value(&o.input)->required()->value_name("FILE"), "rows.csv (columns by name) or rows.json (any scoring payload)")
        ("output,o", po::value(&o.output)->value_name("FILE"), "predictions file (.csv: a 'predicted' column; else a JSON array)")
        ("workspace", po::value(&o.workspace)->value_name("DIR"), "registry workspace (default $AMLOPS_HOME or ./.amlops)");
}

void describe_serve(amlops::cli::option_spec& s, serve_options& o) {
    auto& r = o.r;
    s.options.add_options()
        ("model", po::value(&r.model)->value_name("URI|DIR"), "serve one model as deployment 'default' at 100%")
        ("deployment", po::value(&r.deployments)->composing()->value_name("NAME=URI|DIR"), "a deployment (repeatable)")
        ("traffic", po::value(&r.traffic)->value_name("N=P,..."), "live traffic, e.g. blue=70,green=30 (sum 100)")
        ("mirror", po::value(&r.mirror)->value_name("N=P,..."), "mirror traffic, e.g. green=10 (sum <= 50)")
        ("host", po::value(&r.host)->value_name("ADDR"), "address to listen on (default 127.0.0.1; 0.0.0.0 when serving AZUREML_MODEL_DIR)")
        ("port", po::value(&r.port)->default_value(r.port), "port (0: ephemeral, see --port-file)")
        ("port-file", po::value(&o.port_file)->value_name("FILE"), "write the bound port here once listening")
        ("threads", po::value(&r.threads)->default_value(0), "I/O threads (0: one per core)")
        ("key-file", po::value(&o.key_file)->value_name("FILE"), "require 'Authorization: Bearer <key>' with this key")
        ("max-body", po::value(&r.max_body)->default_value(r.max_body)->value_name("BYTES"), "larger request bodies get 413")
        ("max-connections", po::value(&r.max_connections)->default_value(r.max_connections), "open connections; more get 503")
        ("header-timeout-ms", po::value(&r.header_timeout_ms)->default_value(r.header_timeout_ms), "idle/header read timeout")
        ("body-timeout-ms", po::value(&r.body_timeout_ms)->default_value(r.body_timeout_ms), "body read timeout")
        ("state-file", po::value(&o.state_file)->value_name("FILE"), "deployment_state.json: persisted, restored when no model is given")
        ("endpoint-name", po::value(&r.endpoint_name)->default_value(r.endpoint_name), "endpoint name in the state file")
        ("request-timeout-ms", po::value(&r.request_timeout_ms)->value_name("N"), "scoring deadline, 504 after it (default $SCORING_TIMEOUT_MS, else none)")
        ("routing-seed", po::value(&r.routing_seed)->default_value(0), "seed of the traffic draw (0: random)")
        ("workspace", po::value(&o.workspace)->value_name("DIR"), "registry workspace (default $AMLOPS_HOME or ./.amlops)");
}

}  // namespace

int main(int argc, char** argv) {
    predict_options p;
    serve_options s;
    std::vector<amlops::cli::subcommand> verbs{
        {"predict", "predict the rows of a file", "--model URI|DIR --input FILE [--output FILE]",
         [&](amlops::cli::option_spec& spec) { describe_predict(spec, p); },
         [&](amlops::cli::context& ctx) -> amlops::json::value {
             return amlops::serve::run_predict({p.model, p.input, p.output, p.workspace}, ctx.env(), ctx.log());
         }},
        {"serve", "run the scoring server until SIGTERM/SIGINT", "[--model URI|DIR | --deployment NAME=URI|DIR... | (none: $AZUREML_MODEL_DIR)] [options]",
         [&](amlops::cli::option_spec& spec) { describe_serve(spec, s); },
         [&](amlops::cli::context& ctx) -> amlops::json::value {
             s.r.key_file = s.key_file;
             s.r.state_file = s.state_file;
             s.r.port_file = s.port_file;
             s.r.workspace = s.workspace;
             return amlops::serve::run_serve(s.r, ctx.env(), ctx.log());
         }}};
    return amlops::cli::run_subcommands(argc, argv, {"aml-predict", "Predict with an MLflow model: one-shot or as a scoring server.", "[serve] [options]", ""},
                                        verbs, "predict");
}
