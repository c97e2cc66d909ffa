#include "amlops/pipeline/step_cache.hpp"

#include "amlops/core/environment.hpp"
#include "amlops/core/error.hpp"

namespace amlops::pipeline {
namespace fs = std::filesystem;

namespace {

fs::path entry_dir(const fs::path& root, const std::string& key) { return root / key.substr(0, 2) / key; }

json::object listing_json(const std::string& type, const tree_listing& t) {
    json::array dirs, files;
    for (const auto& d : t.dirs) dirs.emplace_back(d);
    for (const auto& f : t.files)
        files.emplace_back(json::object{{"rel", f.rel}, {"size", f.size}, {"mtime_ns", f.mtime_ns}});
    return json::object{{"type", type}, {"digest", t.digest}, {"is_file", t.is_file}, {"dirs", dirs}, {"files", files}};
}

cached_output listing_from_json(const json::object& o) {
    cached_output c;
    c.type = std::string(o.at("type").as_string());
    c.listing.digest = std::string(o.at("digest").as_string());
    c.listing.is_file = o.at("is_file").as_bool();
    for (const auto& d : o.at("dirs").as_array()) c.listing.dirs.emplace_back(d.as_string());
    for (const auto& f : o.at("files").as_array()) {
        const auto& fo = f.as_object();
        tree_file tf;
        tf.rel = std::string(fo.at("rel").as_string());
        tf.size = static_cast<std::uintmax_t>(fo.at("size").to_number<std::uint64_t>());
        tf.mtime_ns = fo.at("mtime_ns").to_number<std::int64_t>();
        c.listing.files.push_back(std::move(tf));
    }
    return c;
}

fs::path file_in(const fs::path& base, const tree_file& f) { return f.rel.empty() ? base : base / f.rel; }

void remove_entry(const fs::path& dir) {
    // Rename first so a concurrent reader never sees half of it.
    std::error_code ec;
    const auto doomed = dir.parent_path() / (".doomed-" + random_uuid());
    fs::rename(dir, doomed, ec);
    if (!ec) fs::remove_all(doomed, ec);
}

}  // namespace

void link_or_copy(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    fs::remove(to, ec);
    fs::create_hard_link(from, to, ec);
    if (!ec) return;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    if (ec) throw error(error_kind::io, "cannot copy " + from.string() + ": " + ec.message()).in_file(to.string());
}

step_cache::step_cache(fs::path root) : root_(std::move(root)) {}

std::optional<cache_entry> step_cache::lookup(const std::string& key) const {
    const auto dir = entry_dir(root_, key);
    std::error_code ec;
    if (!fs::is_regular_file(dir / "entry.json", ec)) return std::nullopt;
    cache_entry e;
    try {
        const auto doc = json::read_file(dir / "entry.json").as_object();
        e.key = key;
        e.dir = dir;
        e.run_id = std::string(doc.at("run_id").as_string());
        e.job = std::string(doc.at("job").as_string());
        e.duration_seconds = json::to_double(doc.at("duration_seconds"), "duration_seconds");
        e.metrics = doc.at("metrics");
        for (const auto& [name, o] : doc.at("outputs").as_object()) e.outputs[std::string(name)] = listing_from_json(o.as_object());
        for (const auto& [name, o] : e.outputs)
            for (const auto& f : o.listing.files) {
                const auto now = stat_file(file_in(dir / "outputs" / name, f));
                if (now.size != f.size || now.mtime_ns != f.mtime_ns)
                    throw error(error_kind::bad_input, "cached file changed");
            }
    } catch (const std::exception&) {
        remove_entry(dir);
        return std::nullopt;
    }
    return e;
}

void step_cache::store(cache_entry entry, const std::map<std::string, fs::path>& outputs, const fs::path& stdout_log,
                       const fs::path& stderr_log) const {
    const auto final_dir = entry_dir(root_, entry.key);
    std::error_code ec;
    if (fs::exists(final_dir / "entry.json", ec)) return;
    const auto tmp = root_ / "tmp" / (entry.key + "." + random_uuid());
    try {
        fs::create_directories(tmp / "outputs");
        json::object outs;
        for (auto& [name, out] : entry.outputs) {
            const auto src = outputs.at(name);
            const auto dst = tmp / "outputs" / name;
            if (out.listing.is_file) {
                link_or_copy(src, dst);
            } else {
                fs::create_directories(dst);
                for (const auto& d : out.listing.dirs) fs::create_directories(dst / d);
            }
            for (auto& f : out.listing.files) {
                if (!out.listing.is_file) link_or_copy(src / f.rel, dst / f.rel);
                const auto st = stat_file(file_in(dst, f));  // a copy has its own mtime
                f.size = st.size;
                f.mtime_ns = st.mtime_ns;
            }
            outs[name] = listing_json(out.type, out.listing);
        }
        if (fs::exists(stdout_log, ec)) link_or_copy(stdout_log, tmp / "stdout.log");
        if (fs::exists(stderr_log, ec)) link_or_copy(stderr_log, tmp / "stderr.log");
        json::write_file(tmp / "entry.json",
                         json::object{{"key", entry.key},
                                      {"created_at", utc_now_iso8601()},
                                      {"run_id", entry.run_id},
                                      {"job", entry.job},
                                      {"duration_seconds", entry.duration_seconds},
                                      {"metrics", entry.metrics},
                                      {"outputs", outs}});
        fs::create_directories(final_dir.parent_path());
        fs::rename(tmp, final_dir, ec);  // fails if another run stored the same key first: keep theirs
    } catch (...) {
        fs::remove_all(tmp, ec);
        throw;
    }
    if (ec) fs::remove_all(tmp, ec);
}

void step_cache::materialize(const cache_entry& entry, const std::string& output, const fs::path& dest) {
    const auto& out = entry.outputs.at(output);
    const auto src = entry.dir / "outputs" / output;
    std::error_code ec;
    if (out.listing.is_file) {
        fs::create_directories(dest.parent_path(), ec);
        link_or_copy(src, dest);
        return;
    }
    fs::create_directories(dest, ec);
    if (ec) throw error(error_kind::io, "cannot create folder: " + ec.message()).in_file(dest.string());
    for (const auto& d : out.listing.dirs) fs::create_directories(dest / d, ec);
    for (const auto& f : out.listing.files) link_or_copy(src / f.rel, dest / f.rel);
}

void step_cache::materialize_logs(const cache_entry& entry, const fs::path& stdout_log, const fs::path& stderr_log) {
    std::error_code ec;
    if (fs::exists(entry.dir / "stdout.log", ec)) link_or_copy(entry.dir / "stdout.log", stdout_log);
    if (fs::exists(entry.dir / "stderr.log", ec)) link_or_copy(entry.dir / "stderr.log", stderr_log);
}

}  // namespace amlops::pipeline
