#pragma once
// A content-addressed store: each blob lives at <root>/sha256/<first 2 hex>/<remaining 62 hex>,
// written once via temp file + fsync + rename and made read-only. Reads verify the hash.
// Writes are batched: a model folder's blobs are all written first and then made durable
// together, so storing N files costs a few journal commits rather than 2N synced writes.

#include "amlops/registry/model_version.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace amlops::registry {

/// A model folder stored by artifact_store::put_model.
struct stored_model {
    manifest files;               ///< one entry per file, sorted by path
    std::string manifest_sha256;  ///< hash of files.canonical_text(), itself stored as a blob
};

class artifact_store {
public:
    explicit artifact_store(std::filesystem::path root);

    /// Copies a file into the store, hashing while copying (one pass). Returns its entry with
    /// `path` left empty. Throws error(not_found|io).
    artifact_entry put_file(const std::filesystem::path& source);
    /// Stores bytes; returns their SHA-256.
    std::string put_bytes(std::string_view bytes);
    /// Stores every regular file under `dir` (see list_model_files) and the canonical text of
    /// their manifest as one batch. On return every blob is durable (data and directory entry)
    /// under its content address; on failure nothing new is visible under a content address
    /// that is not durable, and temp files are removed. Blobs already present are not rewritten.
    /// Throws like list_model_files and put_file.
    stored_model put_model(const std::filesystem::path& dir);

    /// Where a blob with this hash lives (whether or not it exists).
    std::filesystem::path blob_path(const std::string& sha256) const;
    bool contains(const std::string& sha256) const;

    /// Reads a small blob fully and verifies its hash; throws error(io) on mismatch, naming
    /// `what`, error(not_found) when absent.
    std::string read_verified(const std::string& sha256, std::string_view what) const;
    /// Copies a blob to `dest` atomically, verifying size and hash while copying. Throws
    /// error(io) naming `what` on a mismatch; `dest` is then left untouched.
    void copy_verified(const artifact_entry& entry, const std::filesystem::path& dest, std::string_view what) const;
    /// Re-hashes a blob; returns an empty string when intact, else a description of the problem.
    std::string check(const artifact_entry& entry) const;

    const std::filesystem::path& root() const noexcept { return root_; }

private:
    std::filesystem::path root_;
};

/// Lists the regular files under `dir` recursively as sorted '/'-separated relative paths.
/// Throws error(not_found) if `dir` is not a folder, error(bad_input) for symlinks/special files.
std::vector<std::string> list_model_files(const std::filesystem::path& dir);

}  // namespace amlops::registry
