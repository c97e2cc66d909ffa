#include "amlops/azureml_jobs/jobs.hpp"

#include "amlops/azureml/blob.hpp"
#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "amlops/core/output_set.hpp"
#include "amlops/core/sha256.hpp"
#include "amlops/pipeline/expression.hpp"
#include "amlops/pipeline/loader.hpp"
#include "amlops/pipeline/tree_hash.hpp"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace amlops::azureml_jobs {
namespace fs = std::filesystem;
namespace pl = amlops::pipeline;

namespace {

// Azure ML's content hash version for code snapshots (_asset_utils.get_content_hash_version).
constexpr const char* code_hash_version = "202208";
// Marker blob written last into LocalUpload/<hash>/: an upload that broke off halfway is redone.
constexpr const char* upload_marker = ".amlops-upload-complete";


std::string str(const json::object& o, std::string_view key) {
    if (const auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->as_string());
    return {};
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// Files below `root` (relative, '/'-separated), sorted by lower-cased path as the SDK sorts.
std::vector<std::pair<std::string, fs::path>> files_of(const fs::path& root) {
    std::vector<std::pair<std::string, fs::path>> out;
    std::error_code ec;
    if (fs::is_regular_file(root, ec)) {
        out.emplace_back(root.filename().string(), root);
        return out;
    }
    for (fs::recursive_directory_iterator it(root, fs::directory_options::follow_directory_symlink, ec), end; !ec && it != end;
         it.increment(ec))
        if (it->is_regular_file()) out.emplace_back(fs::relative(it->path(), root).generic_string(), it->path());
    if (ec) throw error(error_kind::io, "cannot list " + root.string() + ": " + ec.message());
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return lower(a.first) < lower(b.first); });
    return out;
}

std::string utc_stamp() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
    return buf;
}

/// "azureml:name:version" / ARM id forms of `environment:` -> what componentSpec.environment takes.
std::string environment_ref(const workspace_session& ws, const pl::component_spec& c) {
    const std::string& e = c.environment;
    const auto fail = [&](const std::string& why) {
        return error(error_kind::config, "environment '" + e + "' " + why).in_file(c.where.file).on_field(c.where.key_path.empty() ? "environment" : c.where.key_path + ".environment");
    };
    if (e.rfind("azureml:/subscriptions/", 0) == 0 || e.rfind("azureml://registries/", 0) == 0) return e;
    if (e.rfind("azureml:", 0) != 0) throw fail("is written inline; submit needs a registered environment (azureml:NAME:VERSION)");
    const std::string rest = e.substr(8);
    // Curated environments are expanded by the service ("Short form of curated env will be
    // expanded on the backend side", the SDK's orchestrator), so they pass as written.
    if (rest.rfind("AzureML-", 0) == 0) return e;
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size())
        throw fail("needs a version (azureml:NAME:VERSION); labels such as @latest are not resolved by submit");
    return "azureml:" + ws.id().child("environments", rest.substr(0, colon)).child("versions", rest.substr(colon + 1)).str();
}

std::string compute_id(const workspace_session& ws, const std::string& value, const std::string& key) {
    std::string name = value;
    if (name.rfind("azureml:", 0) == 0) name = name.substr(8);
    if (name.rfind("/subscriptions/", 0) == 0) return name;
    if (name.empty() || name.find_first_of("/:{}$ ") != std::string::npos)
        throw error(error_kind::config, "compute '" + value + "' is not azureml:NAME").on_field(key);
    return ws.id().child("computes", name).str();
}

class submitter {
public:
    submitter(workspace_session& ws, const pl::job_spec& job, const pl::plan& plan, const submit_options& o)
        : ws_(ws), job_(job), plan_(plan), opt_(o) {}

    submit_report run() {
        report_.job_name = opt_.job_name.empty() ? default_name() : opt_.job_name;
        if (!std::regex_match(report_.job_name, std::regex("^[a-zA-Z0-9][a-zA-Z0-9_-]{0,254}$")))
            throw error(error_kind::usage, "job name '" + report_.job_name + "' must be letters, digits, '_' or '-'").on_field("name");
        for (const auto& i : job_.ignored) ignored_[i.key_path] = i.value;
        json::object inputs;
        for (const auto& [name, bound] : plan_.inputs) inputs[name] = pipeline_input(bound);
        json::object outputs;
        for (const auto& o : job_.outputs) outputs[o.name] = pipeline_output(o);
        json::object nodes;
        std::set<std::string> registered;
        for (const auto& step : job_.jobs) nodes[step.name] = node(step);
        json::object settings{{"continue_on_step_failure", job_.continue_on_step_failure},
                              {"force_rerun", job_.force_rerun || opt_.force_rerun},
                              {"default_datastore", ws_.id().child("datastores", opt_.datastore).str()},
                              {"_source", "YAML.JOB"}};
        json::object props{{"jobType", "Pipeline"},
                           {"displayName", job_.name},
                           {"experimentName", opt_.experiment_name.empty() ? (job_.experiment_name.empty() ? "Default" : job_.experiment_name)
                                                                             : opt_.experiment_name},
                           {"inputs", inputs},
                           {"outputs", outputs},
                           {"jobs", nodes},
                           {"properties", json::object{{"azureml.amlops.submitted_by", "aml-pipeline submit"}}},
                           {"tags", json::object{}}};
        if (auto it = ignored_.find("settings.default_compute"); it != ignored_.end()) {
            const auto id = compute_id(ws_, it->second, "settings.default_compute");
            settings["default_compute"] = id;
            props["computeId"] = id;
        }
        if (auto it = ignored_.find("compute"); it != ignored_.end()) props["computeId"] = compute_id(ws_, it->second, "compute");
        props["settings"] = settings;
        const auto id = ws_.id().child("jobs", report_.job_name);
        report_.job_id = id.str();
        // Pipeline PUTs carry the user's Azure ML token (the SDK's _set_headers_with_user_aml_token).
        const json::value body = json::object{{"properties", props}};
        http::request req;
        req.method = "PUT";
        req.url = ws_.arm().url_for(id.str(), id.api_version());
        req.headers.set("Content-Type", "application/json");
        req.headers.set("Accept", "application/json");
        req.headers.set("x-azureml-token", ws_.ml_token());
        req.body = boost::json::serialize(body);
        const auto res = ws_.data_plane().send(req);
        if (!res.ok()) throw arm::make_arm_error(res, "PUT", id.str());
        const auto answer = arm::parse_body(res, "PUT " + id.str());
        if (answer.is_object()) report_.job = answer.as_object();
        info("submitted " + report_.job_name + " (" + std::to_string(report_.files_uploaded) + " file(s) uploaded, " +
             std::to_string(report_.components_registered) + " component version(s))");
        return report_;
    }

private:
    void info(const std::string& m) const {
        if (opt_.log) opt_.log->info(m);
    }

    std::string default_name() const {
        std::string base;
        for (char c : job_.name) base += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '-';
        if (base.empty() || !std::isalnum(static_cast<unsigned char>(base[0]))) base = "job" + base;
        std::string hex;
        for (char c : random_uuid())
            if (c != '-' && hex.size() < 6) hex += c;
        return base.substr(0, 200) + "-" + utc_stamp() + "-" + hex;
    }

    /// azureml://datastores/<ds>/paths/LocalUpload/<sha256>/<name>[/] for a local file or
    /// folder, uploading it unless its completion marker is already there.
    std::string upload_data(const fs::path& path, const std::string& type) {
        if (auto it = data_uris_.find(path.string()); it != data_uris_.end()) return it->second;
        const bool folder = type != "uri_file";
        const std::string digest = pl::tree_digest(path);
        const std::string prefix = "LocalUpload/" + digest + "/";
        // Key-based datastores (the default workspaceblobstore) take the SAS the datastore's key
        // signs; identity-based ones the caller's storage token.
        const auto& store = ws_.datastore(opt_.datastore);
        const std::string& container = store.container;
        http::transport& blobs = ws_.blobs(store);
        const std::string name = path.filename().string();
        bool present = true;
        try {
            (void)get_text(blobs, azureml::blob_url(container, prefix + upload_marker), "upload marker");
        } catch (const error& e) {
            if (e.kind() != error_kind::not_found) throw;
            present = false;
        }
        if (!present) {
            for (const auto& [rel, file] : files_of(path)) {
                const auto bytes = amlops::read_file(file);
                azureml::upload_blob(blobs, azureml::blob_url(container, prefix + (folder ? name + "/" + rel : name)), bytes);
                ++report_.files_uploaded;
                report_.bytes_uploaded += bytes.size();
            }
            azureml::upload_blob(blobs, azureml::blob_url(container, prefix + upload_marker), "");
            ++report_.data_inputs_uploaded;
        } else {
            ++report_.data_inputs_reused;
        }
        const std::string uri = "azureml://datastores/" + opt_.datastore + "/paths/" + prefix + name + (folder ? "/" : "");
        return data_uris_[path.string()] = uri;
    }

    json::object pipeline_input(const pl::bound_value& b) {
        if (b.what == pl::bound_value::kind::data)
            return json::object{{"jobInputType", b.type}, {"uri", upload_data(b.path, b.type)}, {"mode", "ReadOnlyMount"}};
        return json::object{{"jobInputType", "literal"}, {"value", b.text}};
    }

    json::object pipeline_output(const pl::output_decl& o) {
        std::string type = o.type;
        // An output written without a type takes the type of the step output bound to it.
        for (const auto& [name, src] : plan_.outputs)
            if (name == o.name)
                if (const auto* j = plan_.find_job(src.first))
                    if (const auto* d = j->component->find_output(src.second)) type = d->type;
        return json::object{{"jobOutputType", type}, {"mode", type == "uri_file" ? "Upload" : "ReadWriteMount"}};
    }

    std::string code_id(const fs::path& folder) {
        if (auto it = code_ids_.find(folder.string()); it != code_ids_.end()) return it->second;
        const std::string hash = code_content_hash(folder);
        // Named by the hash: an unchanged folder is one GET, nothing uploaded.
        const auto id = ws_.id().child("codes", "amlops-" + hash.substr(0, 32)).child("versions", "1");
        if (ws_.arm().find(id)) {
            ++report_.code_versions_reused;
            return code_ids_[folder.string()] = id.str();
        }
        const auto pending = ws_.arm().post(id, "startPendingUpload",
                                            json::object{{"pendingUploadId", random_uuid()}, {"pendingUploadType", "TemporaryBlobReference"}});
        const auto& ref = pending.at("blobReferenceForConsumption").as_object();
        const std::string blob_uri = str(ref, "blobUri");
        const std::string sas = str(ref.at("credential").as_object(), "sasUri");
        if (blob_uri.empty() || sas.empty()) throw error(error_kind::service, "startPendingUpload returned no blobUri/sasUri");
        const std::string base = folder.filename().string();
        for (const auto& [rel, file] : files_of(folder)) {
            const auto bytes = amlops::read_file(file);
            azureml::upload_blob(ws_.sas(), azureml::blob_url(sas, base + "/" + rel), bytes);
            ++report_.files_uploaded;
            report_.bytes_uploaded += bytes.size();
        }
        std::string code_uri = blob_uri;
        while (!code_uri.empty() && code_uri.back() == '/') code_uri.pop_back();
        ws_.arm().put(id, json::object{{"properties", json::object{{"codeUri", code_uri + "/" + base},
                                                                   {"isAnonymous", true},
                                                                   {"properties", json::object{{"hash_sha256", hash}, {"hash_version", code_hash_version}}}}}});
        ++report_.code_versions_created;
        return code_ids_[folder.string()] = id.str();
    }

    /// Registers a component as azureml_anonymous/<hash of its spec> and returns its ARM id.
    std::string component_id(const pl::component_spec& c, const pl::planned_job* planned) {
        if (auto it = component_ids_.find(&c); it != component_ids_.end()) return it->second;
        json::object inputs;
        for (const auto& i : c.inputs) {
            // A command job declares its inputs by binding them: the bound value gives the type.
            std::string type = i.type;
            if (type.empty()) {
                const auto* b = planned ? planned->find_input(i.name) : nullptr;
                type = b && !b->type.empty() ? b->type : "string";
            }
            json::object d{{"type", type}};
            if (!i.description.empty()) d["description"] = i.description;
            if (i.optional) d["optional"] = true;
            if (i.default_value) d["default"] = *i.default_value;
            if (i.min) d["min"] = *i.min;
            if (i.max) d["max"] = *i.max;
            if (!i.enum_values.empty()) {
                json::array e;
                for (const auto& v : i.enum_values) e.emplace_back(v);
                d["enum"] = e;
            }
            inputs[i.name] = d;
        }
        json::object outputs;
        for (const auto& o : c.outputs) outputs[o.name] = json::object{{"type", o.type}};
        json::object spec{{"$schema", "https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json"},
                          {"type", "command"},
                          {"command", c.command},
                          {"environment", environment_ref(ws_, c)},
                          {"is_deterministic", c.is_deterministic},
                          {"inputs", inputs},
                          {"outputs", outputs}};
        if (c.code_dir) spec["code"] = "azureml:" + code_id(*c.code_dir);
        // Same interface + same resolved code and environment => same version (the SDK hashes
        // the spec without name, id and version); the original name stays inside the spec.
        const std::string hash = sha256_hex(boost::json::serialize(spec)).substr(0, 32);
        spec["name"] = c.name;
        spec["version"] = hash;
        spec["_source"] = "YAML.COMPONENT";
        const auto id = ws_.id().child("components", "azureml_anonymous").child("versions", hash);
        ws_.arm().put(id, json::object{{"properties", json::object{{"componentSpec", spec}, {"isAnonymous", true},
                                                                   {"description", "amlops component " + c.name}}}});
        ++report_.components_registered;
        return component_ids_[&c] = id.str();
    }

    json::object node(const pl::step_spec& step) {
        const auto& c = *step.component;
        json::object inputs;
        for (const auto& [name, v] : step.inputs) {
            if (v.is_null) continue;
            if (v.is_data && !pl::whole_expression(v.text)) {
                const auto* planned = plan_.find_job(step.name);
                const auto* b = planned ? planned->find_input(name) : nullptr;
                if (!b || b->what != pl::bound_value::kind::data) throw error(error_kind::internal, "unplanned data input " + step.name + "." + name);
                inputs[name] = json::object{{"job_input_type", b->type}, {"uri", upload_data(b->path, b->type)}, {"mode", "ReadOnlyMount"}};
                continue;
            }
            // Bindings and literals go as written: the service resolves ${{parent...}} (string
            // interpolation of parent inputs included), as for `az ml job create`.
            std::string text = v.text;
            if (!v.quoted && !v.is_data)
                if (auto b = pl::normalize_boolean(text)) text = *b;
            inputs[name] = json::object{{"job_input_type", "literal"}, {"value", text}};
        }
        json::object outputs;
        for (const auto& o : step.outputs)
            if (o.parent_output) outputs[o.name] = json::object{{"value", "${{parent.outputs." + *o.parent_output + "}}"}, {"type", "literal"}};
        json::object env;
        for (const auto& [k, v] : step.environment_variables) env[k] = v.is_null ? "" : v.text;
        json::object n{{"name", step.name}, {"type", "command"}, {"componentId", component_id(c, plan_.find_job(step.name))}, {"inputs", inputs},
                       {"outputs", outputs}, {"_source", "YAML.JOB"}};
        if (!env.empty()) n["environment_variables"] = env;
        if (step.timeout_seconds) n["limits"] = json::object{{"job_limits_type", "Command"}, {"timeout", *step.timeout_seconds}};
        const std::string prefix = step.where.key_path.empty() ? std::string() : step.where.key_path + ".";
        if (auto it = ignored_.find(prefix + "compute"); it != ignored_.end()) n["computeId"] = compute_id(ws_, it->second, prefix + "compute");
        return n;
    }

    workspace_session& ws_;
    const pl::job_spec& job_;
    const pl::plan& plan_;
    const submit_options& opt_;
    submit_report report_;
    std::map<std::string, std::string> ignored_;
    std::map<std::string, std::string> data_uris_, code_ids_;
    std::map<const pl::component_spec*, std::string> component_ids_;
};

// --- status, logs, cancel ---------------------------------------------------------------------

const std::set<std::string> terminal_statuses{"Completed", "Failed", "Canceled", "NotResponding", "Paused"};

std::string history_path(workspace_session& ws, const std::string& run) {
    const auto& w = ws.where();
    return ws.run_history_base() + "/history/v1.0/subscriptions/" + w.subscription + "/resourceGroups/" + w.resource_group +
           "/providers/Microsoft.MachineLearningServices/workspaces/" + w.workspace + "/runs/" + run;
}

json::value history_get(workspace_session& ws, const std::string& run, const std::string& what) {
    return json::parse(get_text(ws.data_plane(), history_path(ws, run) + what, "run history of " + run), "run history");
}

/// Exit code from run history's error text ("... exited with status code 3."), -1 when absent.
int exit_code_of(const json::object& details) {
    const auto* e = details.if_contains("error");
    std::string text = e && e->is_object() ? boost::json::serialize(*e) : std::string();
    static const std::regex re("exited with status code ([0-9]+)");
    std::smatch m;
    if (std::regex_search(text, m, re)) return std::stoi(m[1].str());
    return -1;
}

/// Step name of a child run: the pipeline node name Azure ML stores in properties.
std::string step_name(const json::object& child) {
    if (const auto* p = child.if_contains("properties"); p && p->is_object())
        if (auto n = str(p->as_object(), "azureml.nodeid"); !n.empty()) return n;
    if (auto n = str(child, "displayName"); !n.empty()) return n;
    return str(child, "runId");
}

std::vector<json::object> children(workspace_session& ws, const std::string& name) {
    const auto doc = history_get(ws, name, "/children");
    std::vector<json::object> out;
    const auto* list = doc.is_object() ? doc.as_object().if_contains("value") : nullptr;
    if (list && list->is_array())
        for (const auto& c : list->as_array())
            if (c.is_object()) out.push_back(c.as_object());
    return out;
}

}  // namespace

json::object submit_report::to_json() const {
    return json::object{{"name", job_name},
                        {"id", job_id},
                        {"status", job.contains("properties") ? job.at("properties").as_object().at("status") : json::value("NotStarted")},
                        {"uploads", json::object{{"files", files_uploaded}, {"bytes", bytes_uploaded},
                                                 {"data_inputs_uploaded", data_inputs_uploaded}, {"data_inputs_reused", data_inputs_reused},
                                                 {"code_versions_created", code_versions_created},
                                                 {"code_versions_reused", code_versions_reused}}},
                        {"components_registered", components_registered}};
}

std::string code_content_hash(const fs::path& folder) {
    const auto files = files_of(folder);
    sha256 h;
    h.update(std::to_string(files.size()));
    for (const auto& [rel, path] : files) {
        h.update("#" + rel + "#");
        h.update(std::to_string(fs::file_size(path)));
    }
    for (const auto& [rel, path] : files) h.update(amlops::read_file(path));
    return h.hex_digest();
}

submit_report submit(workspace_session& ws, const pl::job_spec& job, const pl::plan& plan, const submit_options& options) {
    return submitter(ws, job, plan, options).run();
}

json::object job_status(workspace_session& ws, const std::string& name, bool with_steps) {
    const auto doc = ws.arm().get(ws.id().child("jobs", name));
    const auto& props = doc.at("properties").as_object();
    json::object out{{"name", name}, {"id", str(doc.as_object(), "id")}, {"status", str(props, "status")},
                     {"display_name", str(props, "displayName")}, {"experiment_name", str(props, "experimentName")}};
    if (const auto* o = props.if_contains("outputs"); o && o->is_object()) {
        json::object outs;
        for (const auto& [k, v] : o->as_object())
            if (v.is_object()) outs[k] = v.as_object().contains("uri") ? v.as_object().at("uri") : json::value(nullptr);
        out["outputs"] = outs;
    }
    if (!with_steps) return out;
    json::object steps;
    for (const auto& child : children(ws, name)) {
        json::object s{{"status", str(child, "status")}, {"run_id", str(child, "runId")}};
        if (str(child, "status") == "Failed") s["exit_code"] = exit_code_of(child);
        if (const auto* e = child.if_contains("error"); e && e->is_object()) s["error"] = *e;
        steps[step_name(child)] = s;
    }
    out["steps"] = steps;
    return out;
}

json::object wait_for_job(workspace_session& ws, const std::string& name, std::chrono::milliseconds first_poll,
                          std::chrono::milliseconds timeout, amlops::logger* log, bool stream) {
    const auto start = std::chrono::steady_clock::now();
    auto delay = first_poll;
    std::string last;
    std::map<std::string, std::size_t> printed;  // step -> bytes of its log already printed
    const auto print_new_lines = [&] {
        if (!stream || !log) return;
        const auto logs = job_logs(ws, name);
        for (const auto& [step, s] : logs.at("steps").as_object()) {
            const std::string text(s.at("log").as_string());
            auto& done = printed[std::string(step)];
            const auto end = text.rfind('\n');  // whole lines only; the rest comes next poll
            if (end == std::string::npos || end + 1 <= done) continue;
            std::size_t pos = done;
            while (pos <= end) {
                const auto nl = text.find('\n', pos);
                log->info("[" + std::string(step) + "] " + text.substr(pos, nl - pos));
                pos = nl + 1;
            }
            done = end + 1;
        }
    };
    for (;;) {
        const auto doc = ws.arm().get(ws.id().child("jobs", name));
        const auto status = str(doc.at("properties").as_object(), "status");
        if (status != last && log) log->info("job " + name + ": " + status);
        last = status;
        print_new_lines();
        if (terminal_statuses.count(status)) return job_status(ws, name, true);
        if (timeout.count() > 0 && std::chrono::steady_clock::now() - start > timeout)
            throw error(error_kind::network, "job " + name + " is still " + status + " after " + std::to_string(timeout.count() / 1000) + " s");
        ws.sleep(delay);
        delay = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(30'000), delay * 3 / 2);
    }
}

void require_completed(const json::object& status) {
    const auto s = str(status, "status");
    if (s == "Completed") return;
    std::string failed;
    bool all_rejected = true;
    if (const auto* steps = status.if_contains("steps"); steps && steps->is_object())
        for (const auto& [k, v] : steps->as_object()) {
            const auto st = str(v.as_object(), "status");
            if (st != "Failed") continue;
            const auto* code = v.as_object().if_contains("exit_code");
            const auto exit = code && code->is_int64() ? code->as_int64() : -1;
            failed += (failed.empty() ? "" : ", ") + std::string(k) + " (exit code " + std::to_string(exit) + ")";
            all_rejected = all_rejected && exit == 3;
        }
    const std::string message = "job " + str(status, "name") + " " + s + (failed.empty() ? std::string() : ": " + failed);
    throw error(!failed.empty() && all_rejected ? error_kind::rejected : error_kind::service, message);
}

json::object job_logs(workspace_session& ws, const std::string& name) {
    json::object steps;
    static const std::regex user_log("^user_logs/std_log[^0-9]*0*(?:_ps)?\\.txt$");
    for (const auto& child : children(ws, name)) {
        const auto run = str(child, "runId");
        const auto details = history_get(ws, run, "/details");
        std::string text;
        if (const auto* files = details.as_object().if_contains("logFiles"); files && files->is_object())
            for (const auto& [file, url] : files->as_object())
                if (std::regex_match(std::string(file), user_log) && url.is_string())
                    text += get_text(ws.sas(), std::string(url.as_string()), "log " + std::string(file) + " of " + run);
        steps[step_name(child)] = json::object{{"status", str(child, "status")}, {"log", text}};
    }
    return json::object{{"name", name}, {"steps", steps}};
}

json::object cancel_job(workspace_session& ws, const std::string& name) {
    // Jobs_Cancel takes no body: 200, or 202 with a Location to poll.
    const auto id = ws.id().child("jobs", name);
    const auto path = id.str() + "/cancel";
    auto res = ws.arm().send("POST", ws.arm().url_for(path, id.api_version()));
    if (!res.ok()) throw arm::make_arm_error(res, "POST", path);
    for (int polls = 0; res.status == 202 && polls < 600; ++polls) {
        const auto location = res.headers.get("Location");
        if (!location) break;
        ws.sleep(std::chrono::milliseconds(1000));
        res = ws.arm().send("GET", *location);
        if (!res.ok()) throw arm::make_arm_error(res, "GET", "cancel result of " + path);
    }
    return job_status(ws, name, false);
}

namespace {

/// Where one output's files are: a datastore and a blob path (a folder prefix ending in '/', or
/// one blob for a uri_file).
struct output_location {
    std::string datastore, path;
};

output_location locate_output(const std::string& job, const std::string& output, const json::object* doc, const std::string& default_datastore) {
    const std::string uri = doc ? str(*doc, "uri") : std::string();
    if (uri.empty()) return {default_datastore, "azureml/" + job + "/" + output + "/"};
    static const std::regex re("^azureml://datastores/([^/]+)/paths/(.+)$", std::regex::icase);
    std::smatch m;
    if (!std::regex_match(uri, m, re))
        throw error(error_kind::config, "output '" + output + "' of job '" + job + "' is at '" + uri +
                                            "', not a datastore path (azureml://datastores/NAME/paths/PATH): download it with the tool that wrote it");
    return {m[1].str(), m[2].str()};
}

}  // namespace

json::object download_outputs(workspace_session& ws, const std::string& job_name, const std::vector<std::string>& output_names,
                              const fs::path& dir, const std::string& default_datastore) {
    const auto doc = ws.arm().get(ws.id().child("jobs", job_name));
    const auto& props = doc.at("properties").as_object();
    const std::string status = str(props, "status");
    // JobOperations.download refuses jobs that have not reached a terminal state: their
    // outputs may still be written.
    if (!terminal_statuses.count(status))
        throw error(error_kind::usage, "job '" + job_name + "' is " + status + ": outputs can be downloaded once it has finished (aml-pipeline wait)");
    const json::object no_outputs;
    const auto* declared = props.if_contains("outputs");
    const json::object& outputs = declared && declared->is_object() ? declared->as_object() : no_outputs;
    std::vector<std::string> names = output_names;
    if (names.empty())
        for (const auto& [name, v] : outputs) names.emplace_back(name);
    if (names.empty()) throw error(error_kind::not_found, "job '" + job_name + "' declares no outputs");
    const bool one = names.size() == 1 && !output_names.empty();

    output_set files;
    json::object report;
    for (const auto& name : names) {
        const auto* entry = outputs.if_contains(name);
        if (!entry && !output_names.empty() && !outputs.empty())
            throw error(error_kind::not_found, "job '" + job_name + "' has no output '" + name + "'").on_field("output-name");
        const auto where = locate_output(job_name, name, entry && entry->is_object() ? &entry->as_object() : nullptr, default_datastore);
        const auto& store = ws.datastore(where.datastore);
        http::transport& blobs = ws.blobs(store);
        const auto listed = azureml::list_blobs(blobs, store.container, where.path);
        const fs::path target = one ? dir : dir / name;
        std::uint64_t bytes = 0;
        int count = 0;
        for (const auto& item : listed) {
            std::string rel;
            if (item.name == where.path) rel = fs::path(item.name).filename().string();  // a uri_file output
            else if (where.path.back() == '/' || item.name.compare(where.path.size(), 1, "/") == 0)
                rel = item.name.substr(where.path.size() + (where.path.back() == '/' ? 0 : 1));
            else continue;  // a sibling that merely shares the prefix ("model" vs "model_2/")
            const fs::path local = (target / rel).lexically_normal();
            if (rel.empty() || local.lexically_relative(target).string().rfind("..", 0) == 0)
                throw error(error_kind::service, "blob '" + item.name + "' of output '" + name + "' would land outside " + target.string());
            const std::string data = azureml::download_blob(blobs, azureml::blob_url(store.container, item.name));
            files.stage(local, data);
            bytes += data.size();
            ++count;
        }
        if (count == 0)
            throw error(error_kind::not_found, "output '" + name + "' of job '" + job_name + "' has no files at azureml://datastores/" +
                                                   where.datastore + "/paths/" + where.path);
        report[name] = json::object{{"uri", "azureml://datastores/" + where.datastore + "/paths/" + where.path},
                                    {"files", count}, {"bytes", bytes}, {"path", target.string()}};
    }
    files.commit();
    return json::object{{"job", job_name}, {"status", status}, {"outputs", report}};
}

}  // namespace amlops::azureml_jobs
