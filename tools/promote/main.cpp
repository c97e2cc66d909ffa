// aml-promote: copy a vetted model version from one registry to another (dev -> prod) with hash
// verification and lineage; refuses (exit 3) when a gate fails.
#include "amlops/azureml/azureml_registry.hpp"
#include "amlops/cli/tool.hpp"
#include "amlops/registry/operations.hpp"

namespace {

namespace reg = amlops::registry;
namespace json = amlops::json;

struct options {
    std::string from = "dev", to = "prod", model, alias, set_alias, output, home, ca_file;
    std::int64_t version = 0;
    std::vector<std::string> require_tags;
};

void describe(amlops::cli::option_spec& s, options& o) {
    namespace po = amlops::cli::po;
    s.options.add_options()
        ("from", po::value(&o.from)->default_value("dev")->value_name("REGISTRY"), "source registry")
        ("to", po::value(&o.to)->default_value("prod")->value_name("REGISTRY"), "target registry")
        ("model", po::value(&o.model)->required()->value_name("NAME"), "model name, e.g. taxi-fare")
        ("version", po::value(&o.version)->value_name("N"), "source version (or --alias)")
        ("alias", po::value(&o.alias)->value_name("ALIAS"), "source alias, e.g. champion (or --version)")
        ("require-tag", po::value(&o.require_tags)->composing()->value_name("K[=V]"), "refuse unless the source has this tag (repeatable)")
        ("set-alias", po::value(&o.set_alias)->value_name("ALIAS"), "move this alias in the target registry to the promoted version")
        ("output,o", po::value(&o.output)->value_name("DIR"), "folder for promoted.json")
        ("home", po::value(&o.home)->value_name("DIR"), "workspace folder (default $AMLOPS_HOME or ./.amlops)")
        ("ca-file", po::value(&o.ca_file)->value_name("FILE"), "PEM CA bundle trusted for Azure (private endpoints) instead of the system store");
}

json::value run(const options& o, amlops::cli::context& ctx) {
    reg::promote_request req;
    req.from = o.from;
    req.to = o.to;
    req.name = o.model;
    if (o.version) req.version = o.version;
    if (!o.alias.empty()) req.alias = o.alias;
    for (const auto& t : o.require_tags) {
        const auto eq = t.find('=');
        req.required_tags.emplace_back(t.substr(0, eq), eq == std::string::npos ? std::nullopt : std::optional(t.substr(eq + 1)));
    }
    if (!o.set_alias.empty()) req.set_alias = o.set_alias;
    req.actor = reg::detect_actor(ctx.env());
    if (!o.ca_file.empty()) amlops::azureml::use_ca_file(o.ca_file);
    const auto out = reg::promote(reg::workspace::from_environment(o.home, ctx.env(), ctx.log()), req);
    ctx.log().info((out.created ? "promoted " : "already promoted: ") + out.source.uri().to_string() + " -> " +
                   out.target.uri().to_string());
    json::object result{{"source", out.source.uri().to_string()},
                        {"uri", out.target.uri().to_string()},
                        {"name", out.target.name},
                        {"version", out.target.version},
                        {"sha256", out.target.manifest_sha256},
                        {"created", out.created},
                        {"aliases", reg::to_json(out.target)["aliases"]}};
    if (!o.output.empty()) {
        const auto path = std::filesystem::path(o.output) / "promoted.json";
        json::write_file(path, result);
        ctx.add_output("promoted", path);
    }
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    return amlops::cli::run_tool<options>(
        argc, argv,
        {"aml-promote", "Promote a model version between registries (dev -> prod) with hash verification and lineage.",
         "[--from dev] [--to prod] --model NAME (--version N | --alias A) [--require-tag K[=V]]... [--set-alias A]",
         "Idempotent: promoting the same source version again returns the existing target version.\n"
         "Refusals (exit 3): a required tag is missing or different, the source is archived, a hash does not match.\n"
         "Example: aml-promote --from dev --to prod --model taxi-fare --alias champion --require-tag decision=approve --set-alias champion"},
        describe, run);
}
