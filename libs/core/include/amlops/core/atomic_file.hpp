#pragma once
// Outputs are written to a temporary file beside the target and renamed into place, so a reader
// (or a crash) never sees a half-written file.

#include <filesystem>
#include <string_view>

#include <cstdio>

namespace amlops {

/// A file being written atomically. Writes go to `<target>.tmp.<pid>.<n>`; commit() flushes,
/// fsyncs and renames over the target. If destroyed without commit(), the temp file is removed.
/// Throws amlops::error(io) on any failure.
class atomic_file {
public:
    explicit atomic_file(std::filesystem::path target);
    ~atomic_file();
    atomic_file(const atomic_file&) = delete;
    atomic_file& operator=(const atomic_file&) = delete;

    /// Appends bytes (buffered).
    void write(std::string_view bytes);
    /// Makes the content visible under the target name. Idempotent after success.
    /// Equivalent to prepare() then publish().
    void commit();
    /// First half of commit(): flushes, fsyncs and closes the temp file, without making it
    /// visible (an output_set prepares every file before publishing any). Idempotent.
    void prepare();
    /// Second half of commit(): renames the prepared temp file over the target. Idempotent.
    void publish();
    /// Hands what was written so far to the kernel and asks it to start writing it to disk now,
    /// without waiting, so that commit()'s fsync of a large file has little left to wait for.
    /// Only a hint where the OS has no such call (then it just flushes). Throws error(io) when
    /// the flush fails.
    void start_writeback();
    const std::filesystem::path& target() const noexcept { return target_; }

private:
    std::filesystem::path target_;
    std::filesystem::path temp_;
    std::FILE* file_ = nullptr;
    bool prepared_ = false;   // temp file complete and closed, not yet renamed
    bool published_ = false;
};

/// Writes `content` to `path` atomically, creating parent directories.
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

/// Reads a whole file; throws error(not_found) if absent, error(io) if unreadable.
std::string read_file(const std::filesystem::path& path);

}  // namespace amlops
