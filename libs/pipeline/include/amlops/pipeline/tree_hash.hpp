#pragma once
// Content digests of files and folder trees, the basis of step reuse: two paths have the same
// digest exactly when they hold the same relative file names with the same bytes.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace amlops::pipeline {

/// One regular file below a scanned root.
struct tree_file {
    std::string rel;          ///< path relative to the root, '/'-separated ("" when the root is a file)
    std::uintmax_t size = 0;  ///< bytes
    std::int64_t mtime_ns = 0;///< modification time, nanoseconds since the epoch
    std::string sha256;       ///< content digest (empty when not hashed)
};

/// A scanned file or folder.
struct tree_listing {
    bool is_file = false;
    std::vector<std::string> dirs;  ///< sub-folders (relative), sorted; empty folders count
    std::vector<tree_file> files;   ///< sorted by rel
    std::string digest;             ///< sha256 over the structure and contents (when hashed)
};

/// Lists `root` (a file or a folder; symlinks are followed). With `hash`, reads every file and
/// fills sha256 and digest. Throws error(not_found) if `root` is missing, error(io) when a file
/// cannot be read.
tree_listing scan_tree(const std::filesystem::path& root, bool hash = true);

/// scan_tree(root).digest.
std::string tree_digest(const std::filesystem::path& root);

/// Size and modification time of one file (nanoseconds); throws error(not_found).
tree_file stat_file(const std::filesystem::path& file);

}  // namespace amlops::pipeline
