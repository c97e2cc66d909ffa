#pragma once
// Sequential, unbuffered reads of a whole file in caller-sized blocks (no iostreams): the CSV
// readers bring their own large buffers, so a second layer of buffering would only copy.
// Regular files can also be mapped (mapped_file), so that chunks are views instead of copies.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

namespace amlops::data {

class mapped_file;

/// An open file, read front to back. Owns its descriptor (closed on destruction).
class file_reader {
public:
    /// Opens `path` for reading. Throws error(not_found) when it does not exist, error(io) otherwise.
    explicit file_reader(std::filesystem::path path);
    ~file_reader();
    file_reader(const file_reader&) = delete;
    file_reader& operator=(const file_reader&) = delete;

    /// Reads up to `size` bytes into `buffer`, retrying short reads, so a result below `size`
    /// means end of file. Throws error(io) naming the file on a read failure.
    std::size_t read(char* buffer, std::size_t size);

    /// The whole file (from offset 0, whatever read() consumed) mapped read-only, or null when
    /// it cannot be mapped: not a regular file (a pipe, /dev/stdin from a pipe, a device), an
    /// empty file, or mmap refused. Callers then read() instead.
    std::shared_ptr<const mapped_file> map() const;

    const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
    int fd_ = -1;
};

/// A regular file mapped read-only (MAP_PRIVATE) in full; unmapped when the last owner lets go.
///
/// A mapped file that shrinks while it is read (another process truncates or rewrites it), or a
/// page that cannot be read from disk, would make the next access to the lost pages raise
/// SIGBUS, which kills the process. Checking the size with fstat before reading does not help
/// (the truncation can come between the check and the access), so mappings are registered with
/// a process-wide SIGBUS handler instead: a fault inside a registered mapping replaces the rest
/// of that mapping with zero-filled pages (so the faulting read and every later one see zeros
/// instead of faulting again), marks the mapping damaged and returns. The bytes read since may
/// be garbage, so every user of the mapping calls check() before it trusts what it read: after
/// a fault check() throws error(io) "changed size while being read" naming the file, and the
/// run fails through the ordinary error path (temporary outputs removed, previous outputs
/// left as they were, exit 1). A SIGBUS that is not about a registered mapping goes on to the
/// handler that was installed before (by default: the process dies, as without this handler).
class mapped_file {
public:
    ~mapped_file();
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;

    std::string_view bytes() const noexcept { return {data_, size_}; }
    const std::filesystem::path& path() const noexcept { return path_; }

    /// True once a page of the mapping could not be read (see above).
    bool damaged() const noexcept;
    /// Throws error(io) naming the file when damaged(): "changed size while being read (N bytes
    /// when opened, M now)", or a read error when the file kept its size.
    void check() const;

    /// Unmaps the pages that lie wholly before `end` (a position in bytes()) from this process
    /// (MADV_DONTNEED; the file's pages stay in the page cache), for a reader that is done with
    /// everything before `end`: without it a mapped file counts in full towards the process's
    /// resident memory by the end of the run. Calls must come from one thread, `end` never
    /// moving back; a later access to a released page would only map it again.
    void release_before(const char* end) const noexcept;

private:
    friend class file_reader;
    mapped_file(int fd, std::size_t size, std::filesystem::path path, const char* data, std::size_t slot) noexcept;

    std::filesystem::path path_;
    int fd_;  // kept open to tell a truncation from an I/O error in check()
    const char* data_;
    std::size_t size_;
    std::size_t slot_;  // index in the SIGBUS handler's registry
    mutable std::size_t released_ = 0;  // bytes from the start already released
};

}  // namespace amlops::data
