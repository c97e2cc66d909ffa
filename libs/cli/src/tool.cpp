#include "amlops/cli/tool.hpp"

#include "amlops/core/sha256.hpp"
#include "amlops/core/key_value.hpp"
#include "amlops/core/version.hpp"

#include <cctype>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace amlops::cli {

void context::add_output(const std::string& name, const std::filesystem::path& path) {
    outputs_[name] = json::object{{"path", path.string()}, {"sha256", sha256_file(path)}};
}

void context::add_output(const std::string& name, const std::filesystem::path& path, const std::string& sha256_hex) {
    outputs_[name] = json::object{{"path", path.string()}, {"sha256", sha256_hex}};
}

std::pair<std::string, std::string> parse_key_value(const std::string& text, const std::string& flag) {
    auto [key, value] = split_key_value(text, flag);
    return {std::move(key), std::move(*value)};
}

namespace {

json::object error_document(const error& e) {
    json::object err{{"kind", to_string(e.kind())}, {"message", redact(e.what())}};
    const auto& c = e.context();
    if (c.file) err["file"] = *c.file;
    if (c.line) err["line"] = *c.line;
    if (c.field) err["field"] = *c.field;
    if (c.http_status) err["http_status"] = *c.http_status;
    if (c.service_code) err["service_code"] = *c.service_code;
    if (c.request_id) err["request_id"] = *c.request_id;
    return err;
}

// Takes the document by value: converting a const object& to json::value would deep-copy every
// element, which is most of the cost for large results (10,000 registry versions).
void print_document(json::object doc) {
    std::string text = json::pretty(json::value(std::move(doc)));
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

// Switches are plain (`--no-fail`), but an Azure ML component cannot make a flag appear or not
// from a boolean input, so `--switch=true|false` (also 1/0, yes/no) is accepted for every switch:
// true becomes the bare switch, false drops it. argv[0] is dropped, as command_line_parser expects.
std::vector<std::string> bind_switch_values(int argc, const char* const* argv, const po::options_description& all) {
    std::vector<std::string> out;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        const auto eq = arg.find('=');
        if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
            const std::string name = arg.substr(2, eq - 2);
            const auto* option = all.find_nothrow(name, false);
            if (option && option->semantic()->max_tokens() == 0 &&
                dynamic_cast<const po::typed_value<bool>*>(option->semantic().get())) {
                std::string value = arg.substr(eq + 1);
                for (auto& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                if (value == "true" || value == "1" || value == "yes") out.push_back("--" + name);
                else if (value != "false" && value != "0" && value != "no")
                    throw error(error_kind::usage, "expected true or false, got '" + arg.substr(eq + 1) + "'").on_field("--" + name);
                continue;
            }
        }
        if (arg == "--") {
            for (; i < argc; ++i) out.emplace_back(argv[i]);
            break;
        }
        out.push_back(std::move(arg));
    }
    return out;
}

json::object header(const tool_info& info, std::string_view status) {
    return json::object{{"tool", info.name}, {"version", version()}, {"status", status}};
}

}  // namespace

int run_tool(int argc, const char* const* argv, const tool_info& info, const describe_fn& describe,
             const run_fn& run, env_lookup env) {
    logger log(info.name);
    option_spec spec;
    std::string log_level_text = "info", log_format_text = "text";
    po::options_description common("Common options");

    try {
        describe(spec);
        // A tool whose own options include --version (aml-promote --version N) keeps it and has no
        // "print the version" flag; its version is still in every JSON result document.
        const bool own_version = spec.options.find_nothrow("version", false) != nullptr;
        // `--version N`, the old spelling of --model-version, is a hidden alias: a bare --version
        // still prints the program version (see the scan below).
        const bool version_alias = spec.hidden.find_nothrow("version", false) != nullptr;
        common.add_options()("help,h", "show this help and exit");
        po::options_description version_flag;
        version_flag.add_options()("version", "print the version and exit");
        common.add_options()
            ("log-level", po::value(&log_level_text)->value_name("LEVEL"), "debug|info|warn|error|quiet (default info)")
            ("log-format", po::value(&log_format_text)->value_name("FORMAT"), "text|json log lines on stderr (default text)")
            ("quiet,q", "only log errors");
        po::options_description all;
        all.add(spec.options).add(spec.hidden).add(common);
        if (!own_version && !version_alias) all.add(version_flag);
        if (!own_version) common.add(version_flag);

        // --help and --version must work even when required options are missing, so look for them
        // before the real parse.
        for (int i = 1; i < argc; ++i) {
            std::string_view a = argv[i];
            if (a == "--") break;
            if (a == "--help" || a == "-h") {
                std::ostringstream out;
                out << "Usage: " << info.name << " " << info.usage << "\n\n" << info.summary << "\n\n"
                    << spec.options << "\n" << common << "\n";
                if (!info.epilog.empty()) out << info.epilog << "\n";
                out << "Exit codes: 0 ok, 1 runtime failure, 2 usage or bad input, 3 check rejected.\n";
                std::cout << out.str() << std::flush;
                return 0;
            }
            const bool version_number_follows =
                version_alias && i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9';
            if (a == "--version" && !own_version && !version_number_follows) {
                std::cout << info.name << " " << version() << " (commit " << build_commit() << ")\n" << std::flush;
                return 0;
            }
        }

        const std::vector<std::string> args = bind_switch_values(argc, argv, all);
        po::variables_map vm;
        po::store(po::command_line_parser(args).options(all).positional(spec.positional).run(), vm);
        po::notify(vm);
        log.set_level(vm.count("quiet") ? log_level::error : parse_log_level(log_level_text));
        if (log_format_text == "json") log.set_format(log_format::json);
        else if (log_format_text != "text")
            throw error(error_kind::usage, "expected text or json, got '" + log_format_text + "'").on_field("--log-format");
        for (const auto& [old_name, new_name] : spec.deprecated)
            if (vm.count(old_name) && !vm[old_name].defaulted())
                log.warn("--" + old_name + " is deprecated; use --" + new_name + " (docs/CLI.md)");

        context ctx(log, std::move(env));
        json::value result = run(ctx);
        if (const auto& text = ctx.replacement(); text && !ctx.rejected()) {
            std::fwrite(text->data(), 1, text->size(), stdout);
            std::fflush(stdout);
            return 0;
        }
        json::object doc = header(info, ctx.rejected() ? "rejected" : "ok");
        doc["outputs"] = ctx.outputs();
        doc["result"] = std::move(result);
        print_document(std::move(doc));
        return ctx.rejected() ? 3 : 0;
    } catch (const po::error& e) {
        error err(error_kind::usage, std::string(e.what()) + " (see " + info.name + " --help)");
        log.error(err.describe());
        json::object doc = header(info, "error");
        doc["error"] = error_document(err);
        print_document(std::move(doc));
        return err.exit_code();
    } catch (const error& e) {
        log.error(e.describe());
        if (e.kind() == error_kind::rejected) {
            // The same shape as a run() that called ctx.reject(): a result with the reasons and
            // the evidence (where the check looked), so scripts read every exit 3 one way.
            json::object doc = header(info, "rejected");
            doc["outputs"] = json::object{};
            doc["result"] = json::object{{"reasons", json::array{json::value(redact(e.what()))}}, {"evidence", error_document(e)}};
            print_document(std::move(doc));
            return e.exit_code();
        }
        json::object doc = header(info, "error");
        doc["error"] = error_document(e);
        print_document(std::move(doc));
        return e.exit_code();
    } catch (const std::bad_alloc&) {
        log.error("out of memory");
        json::object doc = header(info, "error");
        doc["error"] = error_document(error(error_kind::internal, "out of memory"));
        print_document(std::move(doc));
        return 1;
    } catch (const std::exception& e) {
        error err(error_kind::internal, e.what());
        log.error(std::string("internal error: ") + e.what());
        json::object doc = header(info, "error");
        doc["error"] = error_document(err);
        print_document(std::move(doc));
        return 1;
    }
}

int run_subcommands(int argc, const char* const* argv, const tool_info& info,
                    const std::vector<subcommand>& verbs, const std::string& default_verb, env_lookup env) {
    auto find = [&](std::string_view name) -> const subcommand* {
        for (const auto& v : verbs)
            if (v.name == name) return &v;
        return nullptr;
    };
    auto dispatch = [&](const subcommand& verb, int shift) {
        tool_info sub = info;
        // The verb is part of the tool's name whether it was typed or defaulted, so result
        // documents of the same command always say the same `tool`.
        if (!verb.name.empty()) sub.name += " " + verb.name;
        sub.usage = verb.usage;
        sub.summary = verb.summary;
        // argv[0] stays the program; the verb itself is dropped.
        std::vector<const char*> args{argv[0]};
        for (int i = 1 + shift; i < argc; ++i) args.push_back(argv[i]);
        return run_tool(static_cast<int>(args.size()), args.data(), sub, verb.describe, verb.run, env);
    };

    std::string_view first = argc > 1 ? std::string_view(argv[1]) : std::string_view{};
    if (const subcommand* verb = find(first)) return dispatch(*verb, 1);
    const bool wants_help = first == "--help" || first == "-h" || (argc == 1 && default_verb.empty());
    if (wants_help || first == "--version") {
        if (first == "--version") {
            std::cout << info.name << " " << version() << " (commit " << build_commit() << ")\n";
            return 0;
        }
        std::cout << "Usage: " << info.name << " " << info.usage << "\n\n" << info.summary << "\n\nCommands:\n";
        for (const auto& v : verbs) {
            std::string label = v.name + (v.name == default_verb ? " (default)" : "");
            std::cout << "  " << label << std::string(label.size() < 22 ? 22 - label.size() : 1, ' ') << v.summary << "\n";
        }
        if (const subcommand* verb = default_verb.empty() ? nullptr : find(default_verb)) {
            // The default command runs without its name, so its flags belong on this page.
            option_spec spec;
            verb->describe(spec);
            std::cout << "\nOptions of the default command '" << verb->name << "':\n" << spec.options;
        }
        std::cout << "\nRun '" << info.name << " <command> --help' for a command's options.\n";
        if (!info.epilog.empty()) std::cout << "\n" << info.epilog << "\n";
        std::cout << "Exit codes: 0 ok, 1 runtime failure, 2 usage or bad input, 3 check rejected.\n" << std::flush;
        return 0;
    }
    if (!default_verb.empty()) {
        if (const subcommand* verb = find(default_verb)) return dispatch(*verb, 0);
    }
    std::string known;
    for (const auto& v : verbs) known += (known.empty() ? "" : "|") + v.name;
    subcommand unknown{"", "", "", [](option_spec&) {}, [&](context&) -> json::value {
        throw error(error_kind::usage, "unknown command '" + std::string(first) + "' (expected " + known + ")");
    }};
    return dispatch(unknown, 0);
}

}  // namespace amlops::cli
