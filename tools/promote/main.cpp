// aml-promote: copy a vetted model version from one registry to another (dev -> prod) with hash
// verification and lineage; refuses (exit 3) when a gate fails.
#include "amlops/cli/tool.hpp"
#include "amlops/cli/vocabulary.hpp"
#include "amlops/core/key_value.hpp"
#include "amlops/registry/operations.hpp"
#include "amlops/workspace/workspace.hpp"

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
        ("alias", po::value(&o.alias)->value_name("ALIAS"), "source alias, e.g. champion (or --model-version)")
        ("require-tag", po::value(&o.require_tags)->composing()->value_name("K[=V]"), "refuse unless the source has this tag (repeatable)")
        ("set-alias", po::value(&o.set_alias)->value_name("ALIAS"), "move this alias in the target registry to the promoted version")
        ("output,o", po::value(&o.output)->value_name("DIR"), "folder for promoted.json");
    amlops::cli::add_model_version(s, o.version, true);
    amlops::cli::add_workspace(s, o.home, {"home"});
    amlops::cli::add_ca_file(s, o.ca_file);
}

json::value run(const options& o, amlops::cli::context& ctx) {
    reg::promote_request req;
    req.from = o.from;
    req.to = o.to;
    req.name = o.model;
    if (o.version) req.version = o.version;
    if (!o.alias.empty()) req.alias = o.alias;
    for (const auto& t : o.require_tags) req.required_tags.push_back(amlops::split_key_value(t, "--require-tag", amlops::value_rule::optional, "K[=V]"));
    if (!o.set_alias.empty()) req.set_alias = o.set_alias;
    req.actor = reg::detect_actor(ctx.env());
    const auto out = reg::promote(reg::workspace::from_environment(amlops::cli::workspace_root(o.home, ctx.env()), ctx.env(), ctx.log(),
                                                                   amlops::registry::with_ca_file(amlops::cli::ca_file(o.ca_file, ctx.env()))), req);
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
         "[--from dev] [--to prod] --model NAME (--model-version N | --alias A) [--require-tag K[=V]]... [--set-alias A]",
         "Idempotent: promoting the same source version again returns the existing target version.\n"
         "Refusals (exit 3): a required tag is missing or different, the source is archived, a hash does not match.\n"
         "Example: aml-promote --from dev --to prod --model taxi-fare --alias champion --require-tag decision=approve --set-alias champion"},
        describe, run);
}
