// registry-bench: fills a local registry with N small model versions through the library (the
// same create_version path aml-register uses, one transaction per version) and times
// registry::list over all of them in-process, plus the two steps `aml-register list` adds on top
// (to_json per version, the document copy run_tool's printing makes, pretty-printing), so a slow
// CLI listing can be attributed.
// Used by bench/governance.sh; not a test.
#include "amlops/cli/tool.hpp"
#include "amlops/core/atomic_file.hpp"
#include "amlops/workspace/workspace.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <string>
#include <vector>

namespace {

namespace reg = amlops::registry;
namespace json = amlops::json;
using steady = std::chrono::steady_clock;

struct options {
    std::string home, registry = "dev", name = "bench-model";
    std::size_t versions = 10000;
    int repeat = 7;
};

void describe(amlops::cli::option_spec& s, options& o) {
    namespace po = amlops::cli::po;
    s.options.add_options()
        ("home", po::value(&o.home)->required()->value_name("DIR"), "workspace folder (created if needed)")
        ("registry", po::value(&o.registry)->default_value("dev")->value_name("NAME"), "registry to fill and list")
        ("name", po::value(&o.name)->default_value("bench-model")->value_name("NAME"), "model name of the versions")
        ("versions", po::value(&o.versions)->default_value(10000)->value_name("N"), "versions the model must have (only missing ones are created)")
        ("repeat", po::value(&o.repeat)->default_value(7)->value_name("R"), "timed repetitions of each measurement");
}

double ms_since(steady::time_point t0) {
    return std::chrono::duration<double, std::milli>(steady::now() - t0).count();
}

/// CPU time of this (single-threaded) process in ms: on a shared machine the wall time also
/// counts waiting for a core.
double cpu_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

/// Wall and CPU samples of one measured step.
struct phase {
    std::vector<double> wall_ms, cpu_ms;
};

/// Times one run of a step into a phase: start() before, stop() after.
class stopwatch {
public:
    void start() {
        cpu0_ = cpu_ms();
        wall0_ = steady::now();
    }
    void stop(phase& p) const {
        p.wall_ms.push_back(ms_since(wall0_));
        p.cpu_ms.push_back(cpu_ms() - cpu0_);
    }

private:
    steady::time_point wall0_;
    double cpu0_ = 0;
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// {median_ms, p90_ms, min_ms, cpu_median_ms, samples_ms} of the wall time; p90 by nearest rank,
/// like bench/governance.sh.
json::object summarize(const phase& p) {
    json::array raw;
    for (double s : p.wall_ms) raw.push_back(s);
    std::vector<double> sorted = p.wall_ms;
    std::sort(sorted.begin(), sorted.end());
    const auto rank = static_cast<std::size_t>(std::ceil(0.9 * static_cast<double>(sorted.size())));
    return json::object{{"median_ms", median(p.wall_ms)}, {"p90_ms", sorted[std::max<std::size_t>(rank, 1) - 1]},
                        {"min_ms", sorted.front()}, {"cpu_median_ms", median(p.cpu_ms)}, {"samples_ms", std::move(raw)}};
}

/// Creates the missing versions. Tags and properties mirror what register_model() attaches to
/// a pipeline-registered version, so a listed row is as large as a real one.
double populate(reg::registry& r, const reg::workspace& ws, const options& o, std::size_t existing, amlops::cli::context& ctx) {
    const auto dir = ws.make_temp_dir("registry-bench");
    amlops::write_file_atomic(dir / "MLmodel", "flavors:\n  xgboost: {model_format: json}\n");
    amlops::write_file_atomic(dir / "model.json", "{\"learner\": {}}\n");
    const auto t0 = steady::now();
    for (std::size_t i = existing; i < o.versions; ++i) {
        reg::new_version v;
        v.name = o.name;
        v.artifacts_dir = dir;
        v.description = "registry-bench version " + std::to_string(i + 1);
        v.created_by = "registry-bench";
        const std::string run = "bench-run-" + std::to_string(i + 1);
        v.source = {run, "bench-pipeline-run-" + std::to_string(i / 10 + 1), "taxi-fare-train-pipeline",
                    "0123456789abcdef0123456789abcdef01234567", "main"};
        const double rmse = 3.0 + static_cast<double>(i % 997) / 1000.0;
        v.properties = json::object{{"rmse", rmse}, {"mae", rmse / 2}, {"r2", 0.9}, {"mape", 0.12}};
        v.tags = {{"commit_sha", *v.source.commit_sha}, {"branch", "main"}, {"run_id", run},
                  {"pipeline", *v.source.pipeline}, {"pipeline_run", *v.source.pipeline_run}, {"decision", "approve"},
                  {"primary_metric", "rmse"}, {"rmse", std::to_string(rmse)}, {"mae", std::to_string(rmse / 2)},
                  {"r2", "0.9"}, {"mape", "0.12"}};
        r.create_version(v);
        if ((i + 1) % 1000 == 0) ctx.log().info("created " + std::to_string(i + 1) + " versions");
    }
    const double seconds = ms_since(t0) / 1000;
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return seconds;
}

json::value run(const options& o, amlops::cli::context& ctx) {
    if (o.repeat < 1) throw amlops::error(amlops::error_kind::usage, "--repeat must be at least 1").on_field("repeat");
    const reg::workspace ws(o.home);
    const auto r = ws.open(o.registry);
    reg::version_filter all;
    all.name = o.name;
    const std::size_t existing = r->list(all).size();
    const double populate_seconds = existing < o.versions ? populate(*r, ws, o, existing, ctx) : 0.0;

    // One untimed pass warms the page cache and SQLite's schema cache, like any second command.
    reg::version_filter f;  // what `aml-register list --registry R` asks for: every unarchived version
    std::size_t listed = r->list(f).size();
    phase list, to_json, copy, pretty;
    stopwatch w;
    std::size_t output_bytes = 0;
    for (int i = 0; i < o.repeat; ++i) {
        w.start();
        const auto versions = r->list(f);
        w.stop(list);
        w.start();
        json::array items;
        for (const auto& v : versions) items.push_back(reg::to_json(v));
        json::object doc{{"registry", o.registry}, {"count", items.size()}, {"versions", std::move(items)}};
        w.stop(to_json);
        // run_tool's print_document passes its json::object to json::pretty(const value&), which
        // deep-copies the whole document into a temporary value (and frees it); timed apart.
        w.start();
        { const json::value temporary(doc); }
        w.stop(copy);
        const json::value whole(std::move(doc));
        w.start();
        output_bytes = json::pretty(whole).size();
        w.stop(pretty);
        listed = versions.size();
    }
    return json::object{{"registry", o.registry},
                        {"versions_listed", listed},
                        {"created", o.versions > existing ? o.versions - existing : 0},
                        {"populate_seconds", populate_seconds},
                        {"repeat", o.repeat},
                        {"list", summarize(list)},
                        {"to_json", summarize(to_json)},
                        {"copy_to_value", summarize(copy)},
                        {"pretty", summarize(pretty)},
                        {"output_bytes", output_bytes}};
}

}  // namespace

int main(int argc, char** argv) {
    return amlops::cli::run_tool<options>(
        argc, argv,
        {"registry-bench", "Fill a local registry with N versions and time listing them (bench/governance.sh).",
         "--home DIR [--versions N] [--repeat R]", ""},
        describe, run);
}
