#include "amlops/cli/vocabulary.hpp"

#include "amlops/core/error.hpp"

#include <algorithm>
#include <limits>
#include <sstream>

namespace amlops::cli {

void require_range(const std::string& flag, std::int64_t value, std::int64_t min, std::int64_t max) {
    if (value >= min && value <= max) return;
    throw error(error_kind::usage, "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
                                       ", got " + std::to_string(value))
        .on_field(flag);
}

void add_workspace(option_spec& s, std::string& dir, std::initializer_list<const char*> old_names) {
    s.options.add_options()("workspace", po::value(&dir)->value_name("DIR"),
                            "amlops workspace: registries, runs, step cache (default $AMLOPS_HOME, else ./.amlops)");
    for (const char* old : old_names) add_alias(s, old, "workspace", dir);
}

std::filesystem::path workspace_root(const std::string& dir, const env_lookup& env) {
    if (!dir.empty()) return dir;
    if (auto home = env("AMLOPS_HOME"); home && !home->empty()) return *home;
    return ".amlops";
}

void add_ca_file(option_spec& s, std::string& file) {
    s.options.add_options()("ca-file",
                            po::value(&file)->value_name("FILE")->notifier([](const std::string& path) {
                                std::error_code ec;
                                if (!std::filesystem::is_regular_file(path, ec))
                                    throw error(error_kind::usage, "CA file does not exist").in_file(path).on_field("--ca-file");
                            }),
                            "PEM CA bundle trusted for TLS to Azure (private endpoints, TLS-inspecting proxies) instead of "
                            "the system store (default $AMLOPS_CA_FILE)");
}

std::filesystem::path ca_file(const std::string& file, const env_lookup& env) {
    if (!file.empty()) return file;
    if (auto inherited = env("AMLOPS_CA_FILE"); inherited && !inherited->empty()) return *inherited;
    return {};
}

void add_model_version(option_spec& s, std::int64_t& version, bool version_alias) {
    auto store = [&version](const std::string& flag) {
        return [&version, flag](std::int64_t v) {
            require_range(flag, v, 1, std::numeric_limits<std::int64_t>::max());
            version = v;
        };
    };
    s.options.add_options()("model-version", po::value<std::int64_t>()->value_name("N")->notifier(store("--model-version")),
                            "model version number");
    if (version_alias) {
        s.hidden.add_options()("version", po::value<std::int64_t>()->notifier(store("--version")), "");
        s.deprecated.emplace_back("version", "model-version");
    }
}

namespace {

void require_real_range(const std::string& flag, double v, double min, double max) {
    if (!(v >= min && v <= max)) {  // written as a negation so NaN fails too
        std::ostringstream msg;
        msg << "expected a number between " << min << " and " << max << ", got " << v;
        throw error(error_kind::usage, msg.str()).on_field(flag);
    }
}

}  // namespace

void add_fraction(option_spec& s, const std::string& name, double& value, double min, double max, const std::string& help) {
    std::ostringstream shown;
    shown << value;
    s.options.add_options()(name.c_str(),
                            po::value<double>()
                                ->default_value(value, shown.str())
                                ->value_name("R")
                                ->notifier([&value, name, min, max](double v) {
                                    require_real_range("--" + name, v, min, max);
                                    value = v;
                                }),
                            help.c_str());
}

void add_limit(option_spec& s, const std::string& name, std::optional<double>& value, double min, double max,
               const std::string& help) {
    s.options.add_options()(name.c_str(),
                            po::value<double>()->value_name("X")->notifier([&value, name, min, max](double v) {
                                require_real_range("--" + name, v, min, max);
                                value = v;
                            }),
                            help.c_str());
}

void add_choice(option_spec& s, const std::string& name, std::string& value, std::vector<std::string> choices,
                const std::string& help) {
    std::string placeholder;
    for (const auto& c : choices) placeholder += (placeholder.empty() ? "" : "|") + c;
    auto v = po::value<std::string>()->value_name(placeholder)->notifier([&value, name, choices, placeholder](const std::string& given) {
        if (std::find(choices.begin(), choices.end(), given) == choices.end())
            throw error(error_kind::usage, "expected " + placeholder + ", got '" + given + "'").on_field("--" + name);
        value = given;
    });
    if (!value.empty()) v->default_value(value);
    s.options.add_options()(name.c_str(), v, help.c_str());
}

}  // namespace amlops::cli
