#include "emulator_jobs.hpp"
#include "emulator_util.hpp"

#include "amlops/pipeline/expression.hpp"
#include "amlops/pipeline/process.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

namespace amlops::emulator::detail {
namespace fs = std::filesystem;
namespace pl = amlops::pipeline;
using json::object;

namespace {

std::string str(const object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->as_string());
    return {};
}

const object* obj(const object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_object() ? &v->as_object() : nullptr;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const fs::path& p, const std::string& bytes) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
}

/// "azureml:/subscriptions/..." or "/subscriptions/..." -> lower-cased resource key.
std::string arm_key(std::string ref) {
    if (ref.rfind("azureml:", 0) == 0) ref = ref.substr(8);
    return lower(ref);
}

// Spec enums (mfe.json 2025-09-01): JobType, JobInputType, JobOutputType.
const std::vector<std::string> job_types{"AutoML", "Command", "Sweep", "Pipeline", "Spark"};
const std::vector<std::string> input_types{"literal", "uri_file", "uri_folder", "mltable", "custom_model", "mlflow_model", "triton_model"};
const std::vector<std::string> output_types{"uri_file", "uri_folder", "mltable", "custom_model", "mlflow_model", "triton_model"};
const std::regex asset_name_re("^[a-zA-Z0-9][a-zA-Z0-9\\-_]{0,254}$");

bool in(const std::vector<std::string>& set, const std::string& v) { return std::find(set.begin(), set.end(), v) != set.end(); }

}  // namespace

/// One step of a running pipeline job (a child run in run history).
struct step_run {
    std::string name, run_id, status = "NotStarted", error;
    int exit_code = 0;
    fs::path dir;
    std::map<std::string, fs::path> outputs;
    std::shared_ptr<pl::child_process> child;
};

struct job_routes::job_run {
    std::string key, name, workspace_key, container;  // datastore container of workspaceblobstore
    object props;                                      // properties as PUT
    std::map<std::string, object> components;         // componentId key -> componentSpec
    std::vector<step_run> steps;                       // in jobs-map order
    bool cancel = false;
    std::thread thread;
};

job_routes::job_routes(jobs_context ctx) : ctx_(std::move(ctx)) {
    static std::atomic<int> instances{0};
    const char* tmp = std::getenv("AMLOPS_TEST_TMP");
    scratch_ = fs::path(tmp && *tmp ? tmp : fs::temp_directory_path().string()) /
               ("emulator-jobs-" + std::to_string(::getpid()) + "-" + std::to_string(++instances));
}

job_routes::~job_routes() {
    {
        std::lock_guard lock(ctx_.mutex);
        for (auto& [k, j] : jobs_) {
            j->cancel = true;
            for (auto& s : j->steps)
                if (s.child) s.child->terminate(true);
        }
    }
    for (auto& [k, j] : jobs_)
        if (j->thread.joinable()) j->thread.join();
    std::error_code ec;
    if (!std::getenv("AMLOPS_KEEP_TEST_TMP")) fs::remove_all(scratch_, ec);  // like test::scratch_dir
}

// ------------------------------------------------------------------------------ ARM routes
std::optional<http::response> job_routes::arm(const http::request& req, const std::string& path, const std::vector<std::string>& parts,
                                              std::map<std::string, std::string>& query) {
    static const std::vector<std::string> kinds{"codes", "components", "environments", "data", "computes", "jobs"};
    if (parts.size() < 9 || !in(kinds, parts[8])) return std::nullopt;
    const std::string kind = parts[8];
    const std::string key = lower(path);
    auto get = [&]() {
        auto it = ctx_.resources.find(key);
        if (it == ctx_.resources.end()) return arm_error(404, "ResourceNotFound", "The Resource '" + parts.back() + "' was not found.");
        return json_reply(200, it->second);
    };
    auto body_props = [&](object& props) -> std::optional<http::response> {
        const auto body = json::parse(req.body, "request body");
        const auto* p = body.is_object() ? obj(body.as_object(), "properties") : nullptr;
        if (!p) return arm_error(400, "UserError", "The properties field is required.", "properties");
        props = *p;
        return std::nullopt;
    };
    // Lists (Codes/Components/Environments/Data/Computes/Jobs _List).
    if ((parts.size() == 9 || (parts.size() == 11 && parts[10] == "versions" && kind != "computes" && kind != "jobs")) && req.method == "GET")
        return ctx_.list(key, query, path);
    if (parts.size() >= 10 && !std::regex_match(parts[9], asset_name_re))
        return arm_error(400, "UserError", "Invalid name '" + parts[9] + "'", "name");

    if (kind == "jobs") {
        if (parts.size() == 10 && req.method == "GET") {
            auto it = ctx_.resources.find(key);
            if (it == ctx_.resources.end()) return arm_error(404, "UserError", "Job " + parts[9] + " was not found.");
            return json_reply(200, it->second);
        }
        if (parts.size() == 10 && req.method == "PUT") return put_job(req, path, parts);
        // Jobs_Cancel: "200 or 202"; the job moves to CancelRequested, then Canceled when its
        // running step has stopped.
        if (parts.size() == 11 && parts[10] == "cancel" && req.method == "POST") {
            auto it = jobs_.find(lower(join(parts, 10)));
            if (it == jobs_.end()) return arm_error(404, "UserError", "Job " + parts[9] + " was not found.");
            auto& j = *it->second;
            auto& status = ctx_.resources[j.key]["properties"].as_object()["status"];
            if (status != "Completed" && status != "Failed" && status != "Canceled") {
                j.cancel = true;
                status = "CancelRequested";
                for (auto& s : j.steps)
                    if (s.child) s.child->terminate();
            }
            return http::response{200, "", {}, ""};
        }
        return arm_error(405, "MethodNotAllowed", req.method + " is not supported on " + path);
    }
    if (kind == "computes") {
        if (parts.size() != 10) return arm_error(404, "NotFound", "no route for " + path);
        if (req.method == "GET") return get();
        if (req.method != "PUT") return arm_error(405, "MethodNotAllowed", req.method);
        object props;
        if (auto bad = body_props(props)) return *bad;
        // ComputeResource: Compute is discriminated by computeType (required).
        if (str(props, "computeType").empty()) return arm_error(400, "UserError", "properties.computeType is required.", "properties.computeType");
        props["provisioningState"] = "Succeeded";
        const bool existed = ctx_.resources.count(key) > 0;
        object res{{"id", path}, {"name", parts[9]}, {"type", "Microsoft.MachineLearningServices/workspaces/computes"}, {"properties", props}};
        const auto body = json::parse(req.body, "request body").as_object();
        if (const auto* loc = body.if_contains("location")) res["location"] = *loc;
        ctx_.store(key, res);
        return json_reply(existed ? 200 : 201, res);
    }
    // Asset containers and versions: codes, components, environments, data.
    if (parts.size() == 10) {
        if (req.method == "GET") return get();
        if (req.method != "PUT") return arm_error(405, "MethodNotAllowed", req.method);
        object props;
        if (auto bad = body_props(props)) return *bad;
        object res{{"id", path}, {"name", parts[9]}, {"properties", props}};
        ctx_.store(key, res);
        return json_reply(200, res);
    }
    if (parts.size() == 13 && kind == "codes" && parts[12] == "startPendingUpload" && req.method == "POST")
        return ctx_.start_pending_upload(req, parts);  // CodeVersions_CreateOrGetStartPendingUpload
    if (parts.size() != 12 || parts[10] != "versions") return arm_error(404, "NotFound", "no route for " + path);
    if (req.method == "GET") return get();
    if (req.method != "PUT") return arm_error(405, "MethodNotAllowed", req.method);
    object props;
    if (auto bad = body_props(props)) return *bad;
    if (kind == "codes") {
        // CodeVersion: the codeUri must be a folder of an uploaded pending blob reference.
        const auto uri = str(props, "codeUri");
        const std::string blob_base = ctx_.base() + "/blob/";
        bool uploaded = false;
        if (uri.rfind(blob_base, 0) == 0) {
            const std::string prefix = uri.substr(blob_base.size()) + "/";
            for (const auto& [name, bytes] : ctx_.blobs) uploaded |= name.rfind(prefix, 0) == 0;
        }
        if (!uploaded) return arm_error(400, "UserError", "properties.codeUri does not point at uploaded files.", "properties.codeUri");
    } else if (kind == "components") {
        const auto* spec = obj(props, "componentSpec");
        if (!spec || str(*spec, "command").empty())
            return arm_error(400, "UserError", "properties.componentSpec with a command is required.", "properties.componentSpec");
        for (const char* ref : {"environment", "code"}) {
            const auto r = str(*spec, ref);
            if (r.rfind("azureml:/subscriptions/", 0) == 0 && !ctx_.resources.count(arm_key(r)))
                return arm_error(400, "UserError", std::string(ref) + " " + r + " does not exist.", std::string("properties.componentSpec.") + ref);
        }
        // Versions are immutable: an identical spec is an idempotent retry.
        if (auto it = ctx_.resources.find(key); it != ctx_.resources.end()) {
            if (it->second["properties"].as_object()["componentSpec"] != *spec)
                return arm_error(409, "Conflict", "Component version " + parts[9] + ":" + parts[11] + " already exists with a different spec.");
            return json_reply(200, it->second);
        }
    } else if (kind == "environments") {
        if (str(props, "image").empty() && !obj(props, "build"))
            return arm_error(400, "UserError", "An environment needs properties.image or properties.build.", "properties.image");
    } else if (kind == "data") {
        if (str(props, "dataUri").empty() || str(props, "dataType").empty())
            return arm_error(400, "UserError", "properties.dataUri and properties.dataType are required.", "properties.dataUri");
    }
    props["provisioningState"] = "Succeeded";
    const bool existed = ctx_.resources.count(key) > 0;
    object res{{"id", path}, {"name", parts[11]}, {"type", "Microsoft.MachineLearningServices/workspaces/" + kind + "/versions"}, {"properties", props}};
    const std::string container_key = lower(join(parts, 10));
    if (!ctx_.resources.count(container_key))
        ctx_.store(container_key, object{{"id", join(parts, 10)}, {"name", parts[9]}, {"properties", object{}}});
    ctx_.store(key, res);
    return json_reply(existed ? 200 : 201, res);
}

http::response job_routes::put_job(const http::request& req, const std::string& path, const std::vector<std::string>& parts) {
    const std::string key = lower(path);
    // Pipeline jobs carry the user's Azure ML token (the SDK checks aud == https://ml.azure.com).
    const auto aml_token = req.headers.get("x-azureml-token");
    if (!aml_token || !ctx_.tokens.count(*aml_token))
        return arm_error(401, "UserError", "Pipeline jobs need a valid x-azureml-token header (an Entra token for https://ml.azure.com).");
    if (ctx_.resources.count(key)) return arm_error(400, "UserError", "Job " + parts[9] + " already exists; job names are unique.");
    const auto body = json::parse(req.body, "request body");
    const auto* pp = body.is_object() ? obj(body.as_object(), "properties") : nullptr;
    if (!pp) return arm_error(400, "UserError", "The properties field is required.", "properties");
    object props = *pp;
    const auto type = str(props, "jobType");
    if (!in(job_types, type)) return arm_error(400, "UserError", "properties.jobType must be one of AutoML, Command, Sweep, Pipeline, Spark.", "properties.jobType");
    if (type != "Pipeline") return arm_error(400, "UserError", "the emulator runs Pipeline jobs only", "properties.jobType");
    const std::string ws_key = lower(join(parts, 8));
    auto exists = [&](const std::string& ref) { return ctx_.resources.count(arm_key(ref)) > 0; };
    if (auto c = str(props, "computeId"); !c.empty() && !exists(c)) return arm_error(400, "UserError", "Compute " + c + " does not exist.", "properties.computeId");
    const auto* ds = ctx_.resources.count(ws_key + "/datastores/workspaceblobstore") ? &ctx_.resources[ws_key + "/datastores/workspaceblobstore"] : nullptr;
    if (!ds) return arm_error(400, "UserError", "The workspace has no default datastore.");
    auto run = std::make_unique<job_run>();
    run->key = key;
    run->name = parts[9];
    run->workspace_key = ws_key;
    run->container = "emustorage/" + str(ds->at("properties").as_object(), "containerName");
    // Data inputs: azureml://datastores/<ds>/paths/<p> must name an existing datastore and blobs.
    auto check_input = [&](const object& in, const std::string& where, bool snake) -> std::optional<http::response> {
        const auto t = str(in, snake ? "job_input_type" : "jobInputType");
        if (!::amlops::emulator::detail::in(input_types, t)) return arm_error(400, "UserError", where + ": unknown input type '" + t + "'", where);
        if (t == "literal") {
            if (!in.contains("value")) return arm_error(400, "UserError", where + ": a literal input needs a value", where);
            return std::nullopt;
        }
        static const std::regex re("^azureml://datastores/([^/]+)/paths/(.+)$");
        std::smatch m;
        const auto uri = str(in, "uri");
        if (!std::regex_match(uri, m, re)) return arm_error(400, "UserError", where + ": uri must be azureml://datastores/<name>/paths/<path>", where);
        if (!ctx_.resources.count(ws_key + "/datastores/" + lower(m[1].str()))) return arm_error(400, "UserError", where + ": datastore " + m[1].str() + " does not exist", where);
        std::string prefix = run->container + "/" + m[2].str();
        bool found = false;
        for (const auto& [name, bytes] : ctx_.blobs) found |= name == prefix || name.rfind(prefix + (prefix.back() == '/' ? "" : "/"), 0) == 0;
        if (!found) return arm_error(400, "UserError", where + ": no data at " + uri, where);
        return std::nullopt;
    };
    if (const auto* inputs = obj(props, "inputs"))
        for (const auto& [name, v] : *inputs) {
            if (!v.is_object()) return arm_error(400, "UserError", "inputs." + std::string(name) + " must be a JobInput", "properties.inputs");
            if (auto bad = check_input(v.as_object(), "properties.inputs." + std::string(name), false)) return *bad;
        }
    if (const auto* outputs = obj(props, "outputs"))
        for (const auto& [name, v] : *outputs)
            if (!v.is_object() || !in(output_types, str(v.as_object(), "jobOutputType")))
                return arm_error(400, "UserError", "outputs." + std::string(name) + ": unknown jobOutputType", "properties.outputs");
    const auto* nodes = obj(props, "jobs");
    if (!nodes || nodes->empty()) return arm_error(400, "UserError", "A pipeline job needs properties.jobs.", "properties.jobs");
    for (const auto& [name, v] : *nodes) {
        const std::string where = "properties.jobs." + std::string(name);
        if (!v.is_object()) return arm_error(400, "UserError", where + " must be an object", where);
        const auto& n = v.as_object();
        const auto cid = str(n, "componentId");
        auto it = ctx_.resources.find(arm_key(cid));
        if (cid.empty() || it == ctx_.resources.end()) return arm_error(400, "UserError", where + ".componentId '" + cid + "' does not exist", where);
        if (auto c = str(n, "computeId"); !c.empty() && !exists(c)) return arm_error(400, "UserError", where + ".computeId " + c + " does not exist", where);
        run->components[arm_key(cid)] = it->second["properties"].as_object()["componentSpec"].as_object();
        if (const auto* ins = obj(n, "inputs"))
            for (const auto& [iname, iv] : *ins) {
                if (!iv.is_object()) return arm_error(400, "UserError", where + ".inputs." + std::string(iname) + " must be an object", where);
                if (auto bad = check_input(iv.as_object(), where + ".inputs." + std::string(iname), true)) return *bad;
            }
        step_run s;
        s.name = std::string(name);
        s.run_id = run->name + "_" + s.name;
        run->steps.push_back(std::move(s));
    }
    props["status"] = "NotStarted";
    object res{{"id", path}, {"name", parts[9]}, {"type", "Microsoft.MachineLearningServices/workspaces/jobs"}, {"properties", props}};
    ctx_.store(key, res);
    auto* raw = run.get();
    jobs_[key] = std::move(run);
    raw->thread = std::thread([this, raw] { execute(raw); });
    return json_reply(201, res);
}

// ------------------------------------------------------------------------------ execution
void job_routes::execute(job_run* job) {
    const char* bin = std::getenv("AMLOPS_BIN_DIR");
    const fs::path root = scratch_ / job->name;
    const fs::path home = scratch_ / "amlops-home";  // the compute's registry workspace, shared by jobs
    std::unique_lock lock(ctx_.mutex);
    auto& props = ctx_.resources[job->key]["properties"].as_object();
    props["status"] = "Running";
    const object inputs = obj(props, "inputs") ? *obj(props, "inputs") : object{};
    const object nodes = *obj(props, "jobs");
    const bool continue_on_failure = [&] {
        const auto* s = obj(props, "settings");
        const auto* c = s ? s->if_contains("continue_on_step_failure") : nullptr;
        return c && c->is_bool() ? c->as_bool() : true;
    }();
    // Downloads an azureml://datastores/.../paths/<p> input into `dest` (a file for a single blob).
    auto download = [&](const std::string& uri, const fs::path& dest) {
        const std::string p = uri.substr(uri.find("/paths/") + 7);
        const std::string prefix = job->container + "/" + p;
        fs::path out = dest;
        if (auto it = ctx_.blobs.find(prefix); it != ctx_.blobs.end()) {
            out = dest / fs::path(p).filename();
            write_file(out, it->second);
            return out;
        }
        const std::string folder = prefix.back() == '/' ? prefix : prefix + "/";
        for (const auto& [name, bytes] : ctx_.blobs)
            if (name.rfind(folder, 0) == 0) write_file(dest / name.substr(folder.size()), bytes);
        fs::create_directories(dest);
        return out;
    };
    std::map<std::string, std::string> literal_inputs;
    std::map<std::string, fs::path> data_inputs;
    for (const auto& [name, v] : inputs) {
        const auto& in = v.as_object();
        if (str(in, "jobInputType") == "literal") literal_inputs[std::string(name)] = str(in, "value");
        else data_inputs[std::string(name)] = download(str(in, "uri"), root / "inputs" / std::string(name));
    }
    // Dependency order: a node runs after every node whose outputs its inputs bind.
    std::vector<step_run*> order;
    std::set<std::string> placed;
    while (order.size() < job->steps.size()) {
        bool progress = false;
        for (auto& s : job->steps) {
            if (placed.count(s.name)) continue;
            bool ready = true;
            if (const auto* ins = obj(nodes.at(s.name).as_object(), "inputs"))
                for (const auto& [n, v] : *ins) {
                    auto target = v.is_object() ? pl::whole_expression(str(v.as_object(), "value")) : std::nullopt;
                    auto ref = target ? pl::parse_reference(*target) : std::nullopt;
                    if (ref && ref->kind == pl::reference::scope::job_output && !placed.count(ref->job)) ready = false;
                }
            if (!ready) continue;
            order.push_back(&s);
            placed.insert(s.name);
            progress = true;
        }
        if (progress) continue;
        for (auto& s : job->steps)  // a cycle: what is left runs and finds its upstream missing
            if (!placed.count(s.name)) order.push_back(&s), placed.insert(s.name);
    }
    bool failed = false;
    for (auto* next : order) {
        auto& step = *next;
        if (job->cancel || (failed && !continue_on_failure)) {
            step.status = "Canceled";
            continue;
        }
        const auto& node = nodes.at(step.name).as_object();
        const auto& spec = job->components.at(arm_key(str(node, "componentId")));
        step.dir = root / step.name;
        const object node_inputs = obj(node, "inputs") ? *obj(node, "inputs") : object{};
        const object decls = obj(spec, "inputs") ? *obj(spec, "inputs") : object{};
        // A node input: a literal (parent inputs interpolated), a whole binding to a parent input
        // or to another node's output, or a data input of its own.
        std::map<std::string, std::string> values;
        std::string problem;
        for (const auto& [name, v] : node_inputs) {
            const auto& in = v.as_object();
            if (str(in, "job_input_type") != "literal") {
                values[std::string(name)] = pl::shell_quote(download(str(in, "uri"), step.dir / "inputs" / std::string(name)).string());
                continue;
            }
            const std::string text = str(in, "value");
            if (auto target = pl::whole_expression(text)) {
                auto ref = pl::parse_reference(*target);
                if (ref && ref->kind == pl::reference::scope::job_output) {
                    const auto producer = std::find_if(job->steps.begin(), job->steps.end(), [&](const step_run& s) { return s.name == ref->job; });
                    if (producer == job->steps.end() || producer->status != "Completed" || !producer->outputs.count(ref->name)) {
                        problem = "upstream " + ref->job + " did not complete";
                        break;
                    }
                    values[std::string(name)] = pl::shell_quote(producer->outputs.at(ref->name).string());
                    continue;
                }
                if (ref && ref->kind == pl::reference::scope::parent_input && data_inputs.count(ref->name)) {
                    values[std::string(name)] = pl::shell_quote(data_inputs.at(ref->name).string());
                    continue;
                }
            }
            values[std::string(name)] = pl::substitute(text, [&](const std::string& target) -> std::string {
                auto ref = pl::parse_reference(target);
                if (!ref || ref->kind != pl::reference::scope::parent_input || !literal_inputs.count(ref->name))
                    throw std::runtime_error("cannot resolve ${{" + target + "}}");
                return literal_inputs.at(ref->name);
            });
        }
        if (!problem.empty()) {
            step.status = "Canceled";
            step.error = problem;
            continue;
        }
        for (const auto& [name, d] : decls)
            if (!values.count(std::string(name)))
                if (const auto* def = d.as_object().if_contains("default"); def && def->is_string())
                    values[std::string(name)] = std::string(def->as_string());
        const object outs = obj(spec, "outputs") ? *obj(spec, "outputs") : object{};
        for (const auto& [name, d] : outs) {
            const bool file = str(d.as_object(), "type") == "uri_file";
            const auto p = step.dir / "outputs" / std::string(name);
            fs::create_directories(file ? p.parent_path() : p);
            step.outputs[std::string(name)] = p;
        }
        std::string command;
        try {
            command = pl::render_command(
                str(spec, "command"),
                [&](const std::string& n) -> std::optional<std::string> {
                    auto it = values.find(n);
                    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
                },
                [&](const std::string& n) { return pl::shell_quote(step.outputs.at(n).string()); });
        } catch (const std::exception& e) {
            step.status = "Failed";
            step.error = std::string("UserError: ") + e.what();
            failed = true;
            continue;
        }
        step.status = "Running";
        const auto wd = step.dir / "wd";
        fs::create_directories(wd);
        // The command runs in the code snapshot (the code version's codeUri folder), like on Azure ML.
        if (const auto code = str(spec, "code"); !code.empty()) {
            const auto it = ctx_.resources.find(arm_key(code));
            const auto uri = it == ctx_.resources.end() ? std::string() : str(it->second["properties"].as_object(), "codeUri");
            const std::string blob_base = ctx_.base() + "/blob/";
            if (uri.rfind(blob_base, 0) == 0) {
                const std::string prefix = uri.substr(blob_base.size()) + "/";
                for (const auto& [name, bytes] : ctx_.blobs)
                    if (name.rfind(prefix, 0) == 0) write_file(wd / name.substr(prefix.size()), bytes);
            }
        }
        std::vector<std::pair<std::string, std::string>> env{
            {"PATH", std::string(bin ? bin : "") + ":" + (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin")},
            {"AMLOPS_HOME", home.string()}, {"AZUREML_RUN_ID", step.run_id}, {"AZUREML_ROOT_RUN_ID", job->name}};
        if (const auto* vars = obj(node, "environment_variables"))
            for (const auto& [k, v] : *vars) env.emplace_back(std::string(k), v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v));
        step.child = std::make_shared<pl::child_process>(pl::process_spec{command, wd, step.dir / "stdout.txt", step.dir / "stderr.txt", env});
        auto child = step.child;
        lock.unlock();
        const int code = child->wait();
        lock.lock();
        step.child.reset();
        step.exit_code = code;
        write_file(step.dir / "std_log.txt", read_file(step.dir / "stdout.txt") + read_file(step.dir / "stderr.txt"));
        if (job->cancel) {
            step.status = "Canceled";
        } else if (code != 0) {
            // The service's message for a failing command (run history error of the child run).
            step.status = "Failed";
            step.error = "Execution failed. User process '/bin/bash' exited with status code " + std::to_string(code) + ".";
            failed = true;
        } else {
            step.status = "Completed";
            // Outputs bound to pipeline outputs land in azureml/<job>/<output>/ of the default datastore.
            if (const auto* bound = obj(node, "outputs"))
                for (const auto& [o, b] : *bound) {
                    auto target = pl::whole_expression(b.is_object() ? str(b.as_object(), "value") : std::string());
                    auto ref = target ? pl::parse_reference(*target) : std::nullopt;
                    if (!ref || ref->kind != pl::reference::scope::parent_output || !step.outputs.count(std::string(o))) continue;
                    const auto src = step.outputs.at(std::string(o));
                    const std::string prefix = "azureml/" + job->name + "/" + ref->name + "/";
                    if (fs::is_regular_file(src)) ctx_.blobs[job->container + "/" + prefix + src.filename().string()] = read_file(src);
                    else
                        for (const auto& e : fs::recursive_directory_iterator(src))
                            if (e.is_regular_file())
                                ctx_.blobs[job->container + "/" + prefix + fs::relative(e.path(), src).generic_string()] = read_file(e.path());
                    auto& p = ctx_.resources[job->key]["properties"].as_object();
                    if (!p.contains("outputs") || !p["outputs"].is_object()) p["outputs"] = object{};
                    auto& outputs = p["outputs"].as_object();
                    object out = outputs.contains(ref->name) && outputs[ref->name].is_object() ? outputs[ref->name].as_object() : object{};
                    if (!out.contains("jobOutputType")) out["jobOutputType"] = "uri_folder";
                    out["uri"] = "azureml://datastores/workspaceblobstore/paths/" + prefix;
                    outputs[ref->name] = out;
                }
        }
    }
    auto& final_props = ctx_.resources[job->key]["properties"].as_object();
    const bool all_completed = std::all_of(job->steps.begin(), job->steps.end(), [](const step_run& s) { return s.status == "Completed"; });
    final_props["status"] = job->cancel ? "Canceled" : all_completed ? "Completed" : "Failed";
}

// ------------------------------------------------------------------------------ data plane
std::optional<http::response> job_routes::route(const http::request& req, const std::string& path, std::map<std::string, std::string>& query) {
    if (path == "/discovery" && req.method == "GET") {
        // The workspace discovery document (its `api` entry is the run-history host).
        const auto b = ctx_.base();
        return json_reply(200, object{{"api", b}, {"catalog", b}, {"experimentation", b}, {"history", b}, {"mfe", b}});
    }
    if (path.rfind("/runlogs/", 0) == 0) {
        // A log file URL from runs/{id}/details: the signature stands for the SAS the service adds.
        const std::string run_id = path.substr(9);
        for (auto& [k, j] : jobs_)
            for (auto& s : j->steps)
                if (s.run_id == run_id) {
                    if (query["sig"] != "emulog-" + run_id) return arm_error(403, "AuthenticationFailed", "bad signature");
                    return http::response{200, "", {{"Content-Type", "text/plain"}}, read_file(s.dir / "std_log.txt")};
                }
        return arm_error(404, "NotFound", "no log " + run_id);
    }
    static const std::regex history("^/history/v1\\.0/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\\.MachineLearningServices/"
                                    "workspaces/([^/]+)/runs/([^/]+)/(children|details)$",
                                    std::regex::icase);
    std::smatch m;
    if (!std::regex_match(path, m, history)) return std::nullopt;
    const auto h = req.headers.get("Authorization");
    if (!h || h->rfind("Bearer ", 0) != 0 || !ctx_.tokens.count(h->substr(7))) return arm_error(401, "AuthenticationFailed", "a bearer token is required");
    const std::string ws = "/subscriptions/" + m[1].str() + "/resourcegroups/" + m[2].str() + "/providers/microsoft.machinelearningservices/workspaces/" + m[3].str();
    const std::string run_id = m[4].str();
    auto child_json = [&](const step_run& s) {
        object c{{"runId", s.run_id}, {"status", s.status}, {"displayName", s.name}, {"properties", object{{"azureml.nodeid", s.name}}}};
        if (!s.error.empty()) c["error"] = object{{"error", object{{"code", "UserError"}, {"message", s.error}}}};
        return c;
    };
    if (m[5] == "children") {
        auto it = jobs_.find(lower(ws) + "/jobs/" + lower(run_id));
        if (it == jobs_.end()) return arm_error(404, "NotFound", "run " + run_id + " not found");
        json::array value;
        for (const auto& s : it->second->steps) value.push_back(child_json(s));
        return json_reply(200, object{{"value", value}});
    }
    for (auto& [k, j] : jobs_)
        for (auto& s : j->steps)
            if (s.run_id == run_id) {
                object d = child_json(s);
                object files;
                if (fs::exists(s.dir / "std_log.txt"))
                    files["user_logs/std_log.txt"] = ctx_.base() + "/runlogs/" + s.run_id + "?sig=emulog-" + s.run_id;
                d["logFiles"] = files;
                return json_reply(200, d);
            }
    return arm_error(404, "NotFound", "run " + run_id + " not found");
}

}  // namespace amlops::emulator::detail
