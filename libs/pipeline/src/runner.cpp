#include "amlops/pipeline/runner.hpp"

#include "amlops/core/environment.hpp"
#include "amlops/core/error.hpp"
#include "amlops/core/sha256.hpp"
#include "amlops/core/version.hpp"
#include "amlops/pipeline/expression.hpp"
#include "amlops/pipeline/process.hpp"
#include "amlops/pipeline/step_cache.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace amlops::pipeline {
namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

namespace {

constexpr std::string_view reuse_key_version = "amlops-step-reuse 1";

std::string iso_ms(std::chrono::system_clock::time_point t) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
    return buf;
}

std::string new_run_id(std::chrono::system_clock::time_point t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
    std::string id = buf;
    for (char c : random_uuid())
        if (c != '-' && id.size() < 22) id += c;
    return id.substr(0, 15) + "-" + id.substr(15, 6);
}

double seconds_since(steady::time_point start) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - start).count();
    return static_cast<double>(us / 1000) / 1000.0;  // millisecond resolution keeps records readable
}

std::string format_seconds(double s) {
    char buf[32];
    if (s < 1.0) std::snprintf(buf, sizeof buf, "%d ms", static_cast<int>(s * 1000.0 + 0.5));
    else std::snprintf(buf, sizeof buf, "%.2f s", s);
    return buf;
}

enum class state { pending, running, completed, reused, failed, skipped, canceled };

std::string_view to_string(state s) {
    switch (s) {
    case state::pending: return "pending";
    case state::running: return "running";
    case state::completed: return "completed";
    case state::reused: return "reused";
    case state::failed: return "failed";
    case state::skipped: return "skipped";
    case state::canceled: return "canceled";
    }
    return "pending";
}

bool succeeded(state s) { return s == state::completed || s == state::reused; }
bool finished_badly(state s) { return s == state::failed || s == state::skipped || s == state::canceled; }

/// A produced output as seen by later steps.
struct output_state {
    fs::path path;
    std::string type;
    std::string digest;
};

/// An input as a launched step receives it.
struct launch_input {
    std::string name;
    const bound_value* value = nullptr;
    std::optional<output_state> upstream;  ///< for job outputs
};

struct job_run {
    const planned_job* job = nullptr;
    state st = state::pending;
    std::map<std::string, output_state> outputs;
    json::object record;
    std::shared_ptr<child_process> child;
    std::optional<steady::time_point> deadline;
    bool timed_out = false;
    bool cancel_requested = false;
};

class executor {
public:
    executor(const job_spec& job, const plan& p, const run_options& o)
        : job_(job), plan_(p), opt_(o), cache_(o.workspace / "cache" / "steps") {
        run_id_ = opt_.run_id.empty() ? new_run_id(opt_.now()) : opt_.run_id;
        run_dir_ = opt_.workspace / "runs" / run_id_;
        for (const auto& j : plan_.jobs) {
            job_run r;
            r.job = &j;
            runs_.push_back(std::move(r));
        }
        reuse_allowed_ = !opt_.force_rerun && !job_.force_rerun;
    }

    json::object run() {
        const auto wall_start = opt_.now();
        const auto start = steady::now();
        json::object record = header(wall_start);
        for (const auto& i : job_.ignored) warn(i.key_path + "=" + i.value + " ignored: " + i.note);
        if (opt_.log)
            for (const auto& j : plan_.jobs)
                opt_.log->debug("[" + j.name + "] environment " + j.component->environment + " ignored: the host's tools are used");
        if (opt_.dry_run) return dry_run(std::move(record));
        std::error_code ec;
        if (fs::exists(run_dir_, ec)) throw error(error_kind::usage, "run '" + run_id_ + "' already exists").in_file(run_dir_.string());
        fs::create_directories(run_dir_, ec);
        if (ec) throw error(error_kind::io, "cannot create the run folder: " + ec.message()).in_file(run_dir_.string());
        record["status"] = "running";
        json::write_file(run_dir_ / "run.json", record);
        info("run " + run_id_ + ": " + std::to_string(runs_.size()) + " step(s) of " + job_.name + " in " + run_dir_.string());

        schedule();

        std::map<state, int> counts;
        json::object jobs;
        bool failed = false;
        for (auto& r : runs_) {
            ++counts[r.st];
            failed = failed || finished_badly(r.st);
            jobs[r.job->name] = r.record;
        }
        const bool canceled = opt_.cancel && opt_.cancel->load();
        record["status"] = canceled ? "canceled" : failed ? "failed" : "completed";
        record["ended_at"] = iso_ms(opt_.now());
        record["duration_seconds"] = seconds_since(start);
        json::object summary;
        for (state s : {state::completed, state::reused, state::failed, state::skipped, state::canceled})
            summary[to_string(s)] = counts[s];
        record["summary"] = summary;
        json::object outputs;
        for (const auto& [name, src] : plan_.outputs) {
            const auto* r = find(src.first);
            auto it = r->outputs.find(src.second);
            outputs[name] = it == r->outputs.end() ? json::value(nullptr) : json::value(it->second.path.string());
        }
        record["outputs"] = outputs;
        record["jobs"] = jobs;
        json::write_file(run_dir_ / "run.json", record);
        std::string tally;
        for (state s : {state::completed, state::reused, state::failed, state::skipped, state::canceled})
            if (counts[s]) tally += (tally.empty() ? "" : ", ") + std::to_string(counts[s]) + " " + std::string(to_string(s));
        info("run " + run_id_ + " " + std::string(record["status"].as_string()) + " in " +
             format_seconds(record["duration_seconds"].as_double()) + " (" + tally + ")");
        return record;
    }

private:
    void info(const std::string& m) const {
        if (opt_.log) opt_.log->info(m);
    }
    void warn(const std::string& m) const {
        if (opt_.log) opt_.log->warn(m);
    }

    job_run* find(const std::string& name) {
        for (auto& r : runs_)
            if (r.job->name == name) return &r;
        return nullptr;
    }

    json::object header(std::chrono::system_clock::time_point wall_start) const {
        json::object inputs;
        for (const auto& [name, v] : plan_.inputs)
            inputs[name] = v.what == bound_value::kind::literal ? json::value(v.text) : json::value(v.path.string());
        json::array ignored;
        for (const auto& i : job_.ignored) ignored.push_back(json::object{{"key", i.key_path}, {"value", i.value}, {"note", i.note}});
        json::array overrides;
        for (const auto& o : opt_.overrides) overrides.emplace_back(o);
        std::error_code ec;
        return json::object{
            {"run_id", run_id_},
            {"pipeline", job_.name},
            {"file", fs::absolute(job_.file, ec).lexically_normal().string()},
            {"type", job_.type},
            {"experiment_name", job_.experiment_name.empty() ? json::value(nullptr) : json::value(job_.experiment_name)},
            {"status", "planned"},
            {"commit", opt_.commit.empty() ? json::value(nullptr) : json::value(opt_.commit)},
            {"branch", opt_.branch.empty() ? json::value(nullptr) : json::value(opt_.branch)},
            {"amlops_version", std::string(version())},
            {"build_commit", std::string(build_commit())},
            {"started_at", iso_ms(wall_start)},
            {"workspace", opt_.workspace.string()},
            {"run_dir", run_dir_.string()},
            {"settings", json::object{{"continue_on_step_failure", job_.continue_on_step_failure},
                                      {"force_rerun", !reuse_allowed_},
                                      {"max_parallel", opt_.max_parallel}}},
            {"overrides", overrides},
            {"inputs", inputs},
            {"ignored", ignored},
        };
    }

    fs::path output_path(const planned_job& j, const output_decl& o) const { return run_dir_ / j.name / o.name; }

    std::string render(const planned_job& j, const std::vector<launch_input>& inputs) const {
        const auto& c = *j.component;
        return render_command(
            c.command,
            [&](const std::string& name) -> std::optional<std::string> {
                for (const auto& in : inputs) {
                    if (in.name != name) continue;
                    if (in.upstream) return shell_quote(in.upstream->path.string());
                    if (in.value->what == bound_value::kind::data) return shell_quote(in.value->path.string());
                    return in.value->text;
                }
                return std::nullopt;
            },
            [&](const std::string& name) { return shell_quote(output_path(j, *c.find_output(name)).string()); });
    }

    /// The process environment a step gets on top of ours.
    std::vector<std::pair<std::string, std::string>> environment(const planned_job& j) const {
        auto env = j.environment;
        const char* path = std::getenv("PATH");
        std::string new_path = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
        if (!opt_.bin_dir.empty()) new_path = opt_.bin_dir.string() + ":" + new_path;
        env.emplace_back("PATH", new_path);
        env.emplace_back("AMLOPS_HOME", opt_.workspace.string());
        // Steps reach Azure with the same trust as the pipeline; their --ca-file defaults to it.
        if (!opt_.ca_file.empty()) env.emplace_back("AMLOPS_CA_FILE", std::filesystem::absolute(opt_.ca_file).string());
        env.emplace_back("AMLOPS_RUN_ID", run_id_);
        env.emplace_back("AMLOPS_PIPELINE_NAME", job_.name);
        env.emplace_back("AMLOPS_JOB_NAME", j.name);
        return env;
    }

    // --- digests (memoized per run; several steps often read the same data) ---------------------

    std::string data_digest(const fs::path& p) {
        {
            std::lock_guard lock(memo_mutex_);
            if (auto it = memo_.find(p.string()); it != memo_.end()) return it->second;
        }
        auto d = tree_digest(p);
        std::lock_guard lock(memo_mutex_);
        memo_[p.string()] = d;
        return d;
    }

    /// Names in the command that are programs in bin_dir (the amlops tools), with their digests.
    std::vector<std::pair<std::string, std::string>> tool_digests(const std::string& command) {
        std::vector<std::pair<std::string, std::string>> tools;
        if (opt_.bin_dir.empty()) return tools;
        std::set<std::string> words;
        std::string word;
        auto flush = [&] {
            if (!word.empty() && word.find('/') == std::string::npos) words.insert(word);
            word.clear();
        };
        for (char c : command) {
            if (std::string_view(" \t\r\n;|&()<>`'\"$={}").find(c) != std::string_view::npos) flush();
            else word += c;
        }
        flush();
        for (const auto& w : words) {
            std::error_code ec;
            const auto p = opt_.bin_dir / w;
            if (fs::is_regular_file(p, ec)) tools.emplace_back(w, data_digest(p));
        }
        return tools;
    }

    std::string reuse_key(const planned_job& j, const std::vector<launch_input>& inputs) {
        const auto& c = *j.component;
        sha256 h;
        auto line = [&](const std::string& s) {
            h.update(std::to_string(s.size()));
            h.update(" ");
            h.update(s);
            h.update("\n");
        };
        line(std::string(reuse_key_version));
        line("amlops " + std::string(version()) + " " + std::string(build_commit()));
        line("component " + c.canonical);
        for (const auto& [name, digest] : tool_digests(c.command)) line("tool " + name + " " + digest);
        if (c.code_dir) line("code " + data_digest(*c.code_dir));
        auto env = j.environment;
        std::sort(env.begin(), env.end());
        for (const auto& [k, v] : env) line("env " + k + "=" + v);
        for (const auto& d : c.inputs) {
            const launch_input* in = nullptr;
            for (const auto& i : inputs)
                if (i.name == d.name) in = &i;
            if (!in) line("input " + d.name + " -");
            else if (in->upstream) line("input " + d.name + " D " + in->upstream->digest);
            else if (in->value->what == bound_value::kind::data) line("input " + d.name + " D " + data_digest(in->value->path));
            else line("input " + d.name + " L " + in->value->text);
        }
        for (const auto& o : c.outputs) line("output " + o.name + " " + o.type);
        return h.hex_digest();
    }

    json::object base_record(const planned_job& j, const std::vector<launch_input>& inputs) const {
        json::object ins;
        for (const auto& in : inputs) {
            if (in.upstream) ins[in.name] = in.upstream->path.string();
            else if (in.value->what == bound_value::kind::data) ins[in.name] = in.value->path.string();
            else ins[in.name] = in.value->text;
        }
        json::array deps;
        for (const auto& d : j.depends_on) deps.emplace_back(d);
        const auto& c = *j.component;
        return json::object{
            {"status", "pending"},
            {"reused", false},
            {"component", json::object{{"name", c.name}, {"version", c.version}, {"file", c.where.file}, {"environment", c.environment}}},
            {"depends_on", deps},
            {"inputs", ins},
        };
    }

    // --- one step ------------------------------------------------------------------------------

    /// A worker thread's body: whatever escapes work() (its bookkeeping around the step can throw
    /// too) becomes a failed step carrying the message, never std::terminate.
    void work_or_fail(job_run& r, std::vector<launch_input> inputs) noexcept {
        std::string message;
        try {
            work(r, std::move(inputs));
            return;
        } catch (const error& e) {
            message = e.describe();
        } catch (const std::exception& e) {
            message = e.what();
        } catch (...) {
            message = "unknown exception";
        }
        try {
            std::lock_guard lock(mutex_);
            r.st = state::failed;
            r.record["status"] = std::string(to_string(state::failed));
            r.record["error"] = "the runner failed around this step: " + message;
            r.child.reset();
        } catch (...) {  // recording failed (out of memory): the state above is what the scheduler needs
            r.st = state::failed;
        }
        if (opt_.log) opt_.log->error("[" + r.job->name + "] runner failure: " + message);
        cv_.notify_all();
    }

    void work(job_run& r, std::vector<launch_input> inputs) {
        const auto& j = *r.job;
        const auto& c = *j.component;
        const auto start = steady::now();
        json::object rec = base_record(j, inputs);
        rec["started_at"] = iso_ms(opt_.now());
        const auto dir = run_dir_ / j.name;
        const auto out_log = dir / "stdout.log", err_log = dir / "stderr.log";
        rec["stdout"] = out_log.string();
        rec["stderr"] = err_log.string();
        rec["cwd"] = j.cwd.string();
        state result = state::failed;
        std::map<std::string, output_state> outputs;
        std::string message;
        try {
            std::error_code ec;
            fs::create_directories(dir, ec);
            if (ec) throw error(error_kind::io, "cannot create " + dir.string() + ": " + ec.message());
            const auto command = render(j, inputs);
            rec["command"] = command;
            const bool reusable = reuse_allowed_ && c.is_deterministic;
            std::string key;
            if (reusable) {
                key = reuse_key(j, inputs);
                rec["cache_key"] = key;
                if (auto hit = cache_.lookup(key)) {
                    for (const auto& o : c.outputs) {
                        const auto path = output_path(j, o);
                        step_cache::materialize(*hit, o.name, path);
                        outputs[o.name] = {path, o.type, hit->outputs.at(o.name).listing.digest};
                    }
                    step_cache::materialize_logs(*hit, out_log, err_log);
                    rec["reused_from"] = json::object{{"run_id", hit->run_id}, {"job", hit->job},
                                                      {"duration_seconds", hit->duration_seconds}};
                    rec["exit_code"] = 0;
                    if (!hit->metrics.is_null()) rec["metrics"] = hit->metrics;
                    result = state::reused;
                }
            } else {
                rec["cache_key"] = nullptr;
                rec["reuse_disabled"] = !c.is_deterministic ? "is_deterministic: false" : "force_rerun";
            }
            if (result != state::reused) result = execute(r, command, out_log, err_log, rec, outputs, message, key, reusable, start);
        } catch (const error& e) {
            message = e.describe();
            result = state::failed;
        } catch (const std::exception& e) {
            message = e.what();
            result = state::failed;
        }
        rec["status"] = std::string(to_string(result));
        rec["reused"] = result == state::reused;
        rec["ended_at"] = iso_ms(opt_.now());
        rec["duration_seconds"] = seconds_since(start);
        json::object outs;
        for (const auto& [name, o] : outputs) outs[name] = json::object{{"path", o.path.string()}, {"type", o.type}, {"digest", o.digest}};
        rec["outputs"] = outs;
        if (!message.empty()) rec["error"] = message;
        {
            std::lock_guard lock(mutex_);
            r.st = result;
            r.outputs = std::move(outputs);
            r.record = std::move(rec);
            r.child.reset();
        }
        report(r);
        cv_.notify_all();
    }

    state execute(job_run& r, const std::string& command, const fs::path& out_log, const fs::path& err_log, json::object& rec,
                  std::map<std::string, output_state>& outputs, std::string& message, const std::string& key, bool reusable,
                  steady::time_point start) {
        const auto& j = *r.job;
        const auto& c = *j.component;
        std::error_code ec;
        for (const auto& o : c.outputs) {
            const auto path = output_path(j, o);
            fs::create_directories(o.type == "uri_file" ? path.parent_path() : path, ec);
            if (ec) throw error(error_kind::io, "cannot create " + path.string() + ": " + ec.message());
        }
        info("[" + j.name + "] started: " + command);
        auto child = std::make_shared<child_process>(process_spec{command, j.cwd, out_log, err_log, environment(j)});
        {
            std::lock_guard lock(mutex_);
            r.child = child;
            if (j.timeout_seconds)
                r.deadline = steady::now() + std::chrono::milliseconds(static_cast<long long>(*j.timeout_seconds * 1000.0));
            if (r.cancel_requested) child->terminate();
        }
        const int code = child->wait();
        rec["exit_code"] = code;
        bool canceled = false, timed_out = false;
        {
            std::lock_guard lock(mutex_);
            canceled = r.cancel_requested;
            timed_out = r.timed_out;
        }
        if (timed_out) {
            message = "timed out after " + format_seconds(*j.timeout_seconds) + " (limits.timeout)";
            return state::failed;
        }
        if (canceled) {
            message = "canceled";
            return state::canceled;
        }
        if (code != 0) {
            message = "exit code " + std::to_string(code) + "; see " + err_log.string();
            return state::failed;
        }
        std::map<std::string, fs::path> paths;
        cache_entry entry;
        entry.key = key;
        entry.run_id = run_id_;
        entry.job = j.name;
        for (const auto& o : c.outputs) {
            const auto path = output_path(j, o);
            if (!fs::exists(path, ec)) {
                message = "output '" + o.name + "' (uri_file) was not written: " + path.string();
                return state::failed;
            }
            auto listing = scan_tree(path, true);
            outputs[o.name] = {path, o.type, listing.digest};
            paths[o.name] = path;
            entry.outputs[o.name] = cached_output{o.type, std::move(listing)};
            if (rec.contains("metrics") || o.type == "uri_file") continue;
            const auto metrics = path / "metrics.json";
            if (fs::is_regular_file(metrics, ec)) {
                try {
                    rec["metrics"] = json::read_file(metrics);
                    rec["metrics_file"] = metrics.string();
                } catch (const error& e) {
                    warn(j.name + ": ignoring unreadable " + metrics.string() + ": " + e.what());
                }
            }
        }
        entry.metrics = rec.contains("metrics") ? rec["metrics"] : json::value(nullptr);
        entry.duration_seconds = seconds_since(start);
        if (reusable) {
            try {
                cache_.store(std::move(entry), paths, out_log, err_log);
            } catch (const error& e) {
                warn(j.name + ": could not cache the step's outputs (" + e.describe() + "); it will run again next time");
            }
        }
        return state::completed;
    }

    void report(const job_run& r) const {
        const auto& rec = r.record;
        const auto& name = r.job->name;
        const auto dur = format_seconds(rec.at("duration_seconds").as_double());
        switch (r.st) {
        case state::completed: info("[" + name + "] completed in " + dur); break;
        case state::reused:
            info("[" + name + "] reused (from run " + std::string(rec.at("reused_from").at("run_id").as_string()) + ") in " + dur);
            break;
        case state::failed: warn("[" + name + "] failed in " + dur + ": " + std::string(rec.at("error").as_string())); break;
        case state::canceled: warn("[" + name + "] canceled after " + dur); break;
        default: break;
        }
    }

    // --- scheduling ----------------------------------------------------------------------------

    void skip(job_run& r, const std::string& reason, state s = state::skipped) {
        r.st = s;
        r.record = base_record(*r.job, {});
        r.record["status"] = std::string(to_string(s));
        r.record["reason"] = reason;
        r.record["duration_seconds"] = 0.0;
        r.record["outputs"] = json::object{};
        warn("[" + r.job->name + "] " + std::string(to_string(s)) + ": " + reason);
    }

    /// Inputs for launching `r` now, or nullopt when it must be skipped (reason set).
    std::optional<std::vector<launch_input>> launch_inputs(const job_run& r, std::string& reason) {
        std::vector<launch_input> inputs;
        for (const auto& [name, v] : r.job->inputs) {
            launch_input in{name, &v, std::nullopt};
            if (v.what == bound_value::kind::job_output) {
                const auto* up = find(v.job);
                if (!succeeded(up->st)) {
                    // Azure ML: a step consuming an optional output of a failed step still runs.
                    const auto* decl = r.job->component->find_input(name);
                    if (decl && decl->optional && job_.continue_on_step_failure) continue;
                    reason = "upstream job '" + v.job + "' " + std::string(to_string(up->st));
                    return std::nullopt;
                }
                in.upstream = up->outputs.at(v.output);
            }
            inputs.push_back(std::move(in));
        }
        return inputs;
    }

    void schedule() {
        std::vector<std::thread> threads;
        std::unique_lock lock(mutex_);
        bool stopping = false;
        while (true) {
            const bool cancel = opt_.cancel && opt_.cancel->load();
            const bool any_failed = std::any_of(runs_.begin(), runs_.end(), [](const job_run& r) { return r.st == state::failed; });
            if (!stopping && (cancel || (any_failed && !job_.continue_on_step_failure))) {
                stopping = true;
                for (auto& r : runs_) {
                    if (r.st == state::running) {
                        r.cancel_requested = true;
                        if (r.child) r.child->terminate();
                    } else if (r.st == state::pending) {
                        skip(r, cancel ? "the run was canceled" : "an earlier step failed (continue_on_step_failure: false)",
                             cancel ? state::canceled : state::skipped);
                    }
                }
            }
            std::size_t running = 0;
            for (const auto& r : runs_) running += r.st == state::running;
            for (auto& r : runs_) {
                if (stopping || running >= std::max<std::size_t>(1, opt_.max_parallel)) break;
                if (r.st != state::pending) continue;
                bool waiting = false;
                for (const auto& d : r.job->depends_on) {
                    const auto s = find(d)->st;
                    waiting = waiting || s == state::pending || s == state::running;
                }
                if (waiting) continue;
                std::string reason;
                auto inputs = launch_inputs(r, reason);
                if (!inputs) {
                    skip(r, reason);
                    continue;
                }
                r.st = state::running;
                ++running;
                threads.emplace_back([this, &r, in = std::move(*inputs)]() mutable { work_or_fail(r, std::move(in)); });
            }
            const bool pending = std::any_of(runs_.begin(), runs_.end(), [](const job_run& r) { return r.st == state::pending; });
            if (running == 0 && !pending) break;
            if (running == 0 && pending) {
                // Nothing runs and nothing can start: only possible after a stop; mark the rest.
                for (auto& r : runs_)
                    if (r.st == state::pending) skip(r, "an upstream step did not complete");
                break;
            }
            cv_.wait_for(lock, std::chrono::milliseconds(100));
            const auto now = steady::now();
            for (auto& r : runs_)
                if (r.st == state::running && r.deadline && now >= *r.deadline && !r.timed_out) {
                    r.timed_out = true;
                    if (r.child) r.child->terminate();
                }
        }
        lock.unlock();
        for (auto& t : threads) t.join();
    }

    json::object dry_run(json::object record) {
        json::object jobs;
        for (auto& r : runs_) {
            const auto& j = *r.job;
            std::vector<launch_input> inputs;
            for (const auto& [name, v] : j.inputs) {
                launch_input in{name, &v, std::nullopt};
                if (v.what == bound_value::kind::job_output) {
                    const auto* producer = plan_.find_job(v.job);
                    in.upstream = output_state{output_path(*producer, *producer->component->find_output(v.output)), v.type, ""};
                }
                inputs.push_back(std::move(in));
            }
            auto rec = base_record(j, inputs);
            rec["status"] = "planned";
            rec["command"] = render(j, inputs);
            rec["cwd"] = j.cwd.string();
            json::object outs;
            for (const auto& o : j.component->outputs)
                outs[o.name] = json::object{{"path", output_path(j, o).string()}, {"type", o.type}};
            rec["outputs"] = outs;
            json::array env;
            for (const auto& [k, v] : j.environment) env.emplace_back(k + "=" + v);
            rec["environment_variables"] = env;
            info("[" + j.name + "] would run: " + std::string(rec["command"].as_string()));
            jobs[j.name] = std::move(rec);
        }
        record["status"] = "dry_run";
        record["jobs"] = jobs;
        return record;
    }

    const job_spec& job_;
    const plan& plan_;
    const run_options& opt_;
    step_cache cache_;
    std::string run_id_;
    fs::path run_dir_;
    bool reuse_allowed_ = true;
    std::vector<job_run> runs_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::mutex memo_mutex_;
    std::map<std::string, std::string> memo_;
};

}  // namespace

json::object run_plan(const job_spec& job, const plan& p, const run_options& options) {
    return executor(job, p, options).run();
}

void require_success(const json::object& record) {
    const auto status = std::string(record.at("status").as_string());
    if (status == "completed" || status == "dry_run" || status == "planned") return;
    std::string failed, log;
    bool all_rejected = true;
    for (const auto& [name, j] : record.at("jobs").as_object()) {
        const auto& o = j.as_object();
        const auto s = std::string(o.at("status").as_string());
        if (s != "failed" && s != "canceled") continue;
        failed += (failed.empty() ? "" : ", ") + std::string(name) + " (" + s;
        if (o.contains("exit_code") && o.at("exit_code").is_int64()) failed += ", exit code " + std::to_string(o.at("exit_code").as_int64());
        failed += ")";
        all_rejected = all_rejected && o.contains("exit_code") && o.at("exit_code").is_int64() && o.at("exit_code").as_int64() == 3;
        if (log.empty() && o.contains("stderr")) log = std::string(o.at("stderr").as_string());
    }
    const auto id = std::string(record.at("run_id").as_string());
    if (failed.empty()) throw error(error_kind::service, "run " + id + " " + status);
    error e(all_rejected ? error_kind::rejected : error_kind::service, "run " + id + " " + status + ": " + failed);
    if (!log.empty()) e.in_file(log);
    throw e;
}

json::array list_runs(const fs::path& workspace) {
    std::vector<json::object> runs;
    std::error_code ec;
    for (fs::directory_iterator it(workspace / "runs", ec), end; !ec && it != end; it.increment(ec)) {
        const auto file = it->path() / "run.json";
        if (!fs::is_regular_file(file, ec)) continue;
        try {
            const auto doc = json::read_file(file).as_object();
            json::object s{{"run_id", doc.at("run_id")},
                           {"pipeline", doc.at("pipeline")},
                           {"status", doc.at("status")},
                           {"started_at", doc.at("started_at")},
                           {"duration_seconds", doc.contains("duration_seconds") ? doc.at("duration_seconds") : json::value(nullptr)},
                           {"summary", doc.contains("summary") ? doc.at("summary") : json::value(nullptr)}};
            runs.push_back(std::move(s));
        } catch (const std::exception&) {
            continue;  // a run being written or a damaged record: not worth failing the listing
        }
    }
    std::sort(runs.begin(), runs.end(), [](const json::object& a, const json::object& b) {
        const auto ka = std::string(a.at("started_at").as_string()) + std::string(a.at("run_id").as_string());
        const auto kb = std::string(b.at("started_at").as_string()) + std::string(b.at("run_id").as_string());
        return ka > kb;
    });
    json::array out;
    for (auto& r : runs) out.push_back(std::move(r));
    return out;
}

json::object load_run(const fs::path& workspace, const std::string& run_id) {
    std::string id = run_id;
    if (id == "latest") {
        const auto runs = list_runs(workspace);
        if (runs.empty()) throw error(error_kind::not_found, "no runs in workspace " + workspace.string());
        id = std::string(runs.front().as_object().at("run_id").as_string());
    }
    if (id.empty() || id.find('/') != std::string::npos || id.find("..") != std::string::npos)
        throw error(error_kind::usage, "invalid run id '" + run_id + "'");
    const auto file = workspace / "runs" / id / "run.json";
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) throw error(error_kind::not_found, "no run '" + id + "' in workspace " + workspace.string());
    return json::read_file(file).as_object();
}

}  // namespace amlops::pipeline
