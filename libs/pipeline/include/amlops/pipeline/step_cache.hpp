#pragma once
// The local reuse cache: completed steps' outputs and logs stored under their reuse key.
//
// Layout: <root>/<key[0..2]>/<key>/{entry.json, stdout.log, stderr.log, outputs/<name>[/...]}.
// Files are hard links of the run's own output files (a copy when linking is impossible), so
// storing and reusing cost a few system calls regardless of size, and deleting old runs never
// breaks the cache. entry.json records each file's size and mtime; a lookup that finds either
// changed (someone edited a run's output in place, which edits the shared inode) drops the entry
// instead of serving modified bytes. Entries appear atomically (built in <root>/tmp, renamed).

#include "amlops/core/json.hpp"
#include "amlops/pipeline/tree_hash.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace amlops::pipeline {

/// One cached output.
struct cached_output {
    std::string type;          ///< declared output type
    tree_listing listing;      ///< files (rel, size, mtime) and the content digest
};

/// A cache entry as stored.
struct cache_entry {
    std::string key;
    std::string run_id;        ///< the run that produced it
    std::string job;           ///< its step name there
    double duration_seconds = 0;
    std::map<std::string, cached_output> outputs;
    json::value metrics;       ///< null when the step wrote none
    std::filesystem::path dir; ///< the entry folder
};

class step_cache {
public:
    /// `root` is created on first store.
    explicit step_cache(std::filesystem::path root);

    /// The valid entry for `key`, or nullopt (missing, unreadable or modified: then removed).
    std::optional<cache_entry> lookup(const std::string& key) const;

    /// Stores the outputs (name -> path in the run) and logs of a completed step. Files are
    /// hard-linked; an existing entry for the key is kept. Throws error(io).
    void store(cache_entry entry, const std::map<std::string, std::filesystem::path>& outputs,
               const std::filesystem::path& stdout_log, const std::filesystem::path& stderr_log) const;

    /// Places a cached output at `dest` (hard links, copies as fallback). Throws error(io).
    static void materialize(const cache_entry& entry, const std::string& output, const std::filesystem::path& dest);

    /// Links the entry's logs to the given paths (missing logs are skipped).
    static void materialize_logs(const cache_entry& entry, const std::filesystem::path& stdout_log,
                                 const std::filesystem::path& stderr_log);

private:
    std::filesystem::path root_;
};

/// Hard-links `from` to `to` (replacing `to`), copying when linking fails (other file system,
/// no permission). Throws error(io).
void link_or_copy(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace amlops::pipeline
