#include "amlops/registry/artifact_store.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/environment.hpp"
#include "amlops/core/error.hpp"
#include "amlops/core/sha256.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <set>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace amlops::registry {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t chunk = 1 << 20;
std::atomic<unsigned> temp_counter{0};

std::string errno_text() { return std::strerror(errno); }

/// An owned POSIX file descriptor.
class fd_handle {
public:
    fd_handle(const fs::path& p, int flags, mode_t mode = 0) : fd_(::open(p.c_str(), flags | O_CLOEXEC, mode)) {}
    ~fd_handle() {
        if (fd_ >= 0) ::close(fd_);
    }
    fd_handle(fd_handle&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    fd_handle(const fd_handle&) = delete;
    fd_handle& operator=(const fd_handle&) = delete;
    fd_handle& operator=(fd_handle&&) = delete;
    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    /// Closes and reports failure (a deferred write error surfaces here).
    bool close() noexcept {
        const int fd = fd_;
        fd_ = -1;
        return ::close(fd) == 0;
    }

private:
    int fd_;
};

/// Reads up to buf.size() bytes, retrying on EINTR; returns the count (0 at end) or throws.
std::size_t read_some(int fd, std::vector<char>& buf, const fs::path& p) {
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno != EINTR) throw error(error_kind::io, "cannot read file: " + errno_text()).in_file(p.string());
    }
}

void write_all(int fd, const char* data, std::size_t n, const fs::path& p) {
    while (n > 0) {
        const ssize_t w = ::write(fd, data, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            throw error(error_kind::io, "cannot write file: " + errno_text()).in_file(p.string());
        }
        data += w;
        n -= static_cast<std::size_t>(w);
    }
}

/// fsyncs a directory so a rename into it survives a power loss (best effort: some file
/// systems refuse directory fsync, which is not an error for us).
void sync_dir(const fs::path& dir) {
    fd_handle d(dir, O_RDONLY | O_DIRECTORY);
    if (d) ::fsync(d.get());
}

fd_handle open_for_read(const fs::path& p, std::string_view what) {
    fd_handle in(p, O_RDONLY);
    if (!in) {
        if (errno == ENOENT)
            throw error(error_kind::io, "stored artifact " + std::string(what) + " is missing from the artifact store")
                .in_file(p.string());
        throw error(error_kind::io, "cannot read stored artifact " + std::string(what) + ": " + errno_text()).in_file(p.string());
    }
    return in;
}

std::string mismatch(std::string_view what, std::uint64_t size, const std::string& hash, const artifact_entry& want) {
    if (size != want.size)
        return "artifact " + std::string(what) + " is corrupt: size " + std::to_string(size) + " bytes, expected " +
               std::to_string(want.size);
    return "artifact " + std::string(what) + " is corrupt: sha256 " + hash + ", expected " + want.sha256;
}

}  // namespace

artifact_store::artifact_store(fs::path root) : root_(std::move(root)) {}

fs::path artifact_store::blob_path(const std::string& sha256) const {
    return root_ / "sha256" / sha256.substr(0, 2) / sha256.substr(2);
}

bool artifact_store::contains(const std::string& sha256) const {
    std::error_code ec;
    return fs::is_regular_file(blob_path(sha256), ec);
}

namespace {

/// A blob written to a temp file under <root>/tmp and hashed, not yet synced or in place.
struct staged_blob {
    fs::path temp;
    artifact_entry entry;
};

/// Removes the temp files of staged blobs that never reached their content address, however
/// the store operation exits.
struct staged_set {
    std::vector<staged_blob> blobs;
    staged_set() = default;
    staged_set(const staged_set&) = delete;
    staged_set& operator=(const staged_set&) = delete;
    ~staged_set() {
        for (const auto& b : blobs) {
            if (b.temp.empty()) continue;
            std::error_code e;
            fs::remove(b.temp, e);
        }
    }
};

/// Streams `source` (or `bytes` when source is null) into a temp file under <root>/tmp while
/// hashing. The file is made read-only (a stray editor or script should not be able to change a
/// registered model) and its writeback is started, but it is not fsynced here: commit_staged()
/// syncs a whole batch, so the disk writes of one file overlap the hashing of the next.
void stage_blob(const fs::path& root, const fs::path* source, std::string_view bytes, staged_set& into) {
    const fs::path tmp_dir = root / "tmp";
    std::error_code ec;
    fs::create_directories(tmp_dir, ec);
    const fs::path temp = tmp_dir / ("blob." + std::to_string(::getpid()) + "." + std::to_string(temp_counter++) + "." +
                                     random_uuid().substr(0, 8));
    fd_handle out(temp, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (!out) throw error(error_kind::io, "cannot create file: " + errno_text()).in_file(temp.string());
    into.blobs.push_back({temp, {}});

    sha256 hasher;
    std::uint64_t size = 0;
    if (source) {
        fd_handle in(*source, O_RDONLY);
        if (!in) {
            if (errno == ENOENT) throw error(error_kind::not_found, "no such file").in_file(source->string());
            throw error(error_kind::io, "cannot read file: " + errno_text()).in_file(source->string());
        }
        std::vector<char> buf(chunk);
        while (const std::size_t n = read_some(in.get(), buf, *source)) {
            hasher.update(std::string_view(buf.data(), n));
            write_all(out.get(), buf.data(), n, temp);
            size += n;
        }
    } else {
        hasher.update(bytes);
        write_all(out.get(), bytes.data(), bytes.size(), temp);
        size = bytes.size();
    }
    // Best effort: only a hint to begin writeback now; durability comes from the fsync later.
    if (size > 0) ::sync_file_range(out.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
    if (::fchmod(out.get(), 0444) != 0 || !out.close())
        throw error(error_kind::io, "cannot write file: " + errno_text()).in_file(temp.string());
    into.blobs.back().entry.sha256 = hasher.hex_digest();
    into.blobs.back().entry.size = size;
}

void fsync_path(const fs::path& p, int flags) {
    fd_handle fd(p, flags);
    if (!fd || ::fsync(fd.get()) != 0)
        throw error(error_kind::io, "cannot sync file: " + errno_text()).in_file(p.string());
}

/// Makes a batch of staged blobs durable at their content addresses with as few syncs as
/// POSIX allows: fsync every new temp file (data), rename them all, then fsync each distinct
/// blob directory once (names). Ordering matters: a blob is only ever visible under its content
/// address after its data is on disk, so a crash leaves at most stray temp files or unreferenced
/// blobs. On ext4 the first fsync commits the journal for the whole batch and the later ones
/// find nothing left to commit, so a batch costs about two journal commits instead of two per
/// file. A blob already stored under its address (same size) is not written again: its data was
/// synced by whoever stored it; its directory is still synced in case that writer died between
/// its rename and its directory sync.
void commit_staged(const artifact_store& store, staged_set& staged) {
    std::vector<staged_blob*> fresh;
    std::set<fs::path> dirs;
    for (auto& b : staged.blobs) {
        const fs::path dest = store.blob_path(b.entry.sha256);
        dirs.insert(dest.parent_path());
        std::error_code ec;
        const auto st = fs::symlink_status(dest, ec);
        if (!ec && fs::is_regular_file(st) && fs::file_size(dest, ec) == b.entry.size && !ec) {
            std::error_code e;
            fs::remove(b.temp, e);
            b.temp.clear();
        } else {
            fresh.push_back(&b);
        }
    }
    for (const auto* b : fresh) fsync_path(b->temp, O_RDONLY);
    for (auto* b : fresh) {
        const fs::path dest = store.blob_path(b->entry.sha256);
        std::error_code ec;
        fs::create_directories(dest.parent_path(), ec);
        // Renaming over an existing (damaged) blob of the same hash repairs it.
        if (std::rename(b->temp.c_str(), dest.c_str()) != 0)
            throw error(error_kind::io, "cannot store artifact: " + errno_text()).in_file(dest.string());
        b->temp.clear();
    }
    for (const auto& d : dirs) sync_dir(d);
    // A new fan-out directory must itself be reachable after a power loss.
    if (!fresh.empty()) sync_dir(store.root() / "sha256");
}

}  // namespace

artifact_entry artifact_store::put_file(const fs::path& source) {
    staged_set staged;
    stage_blob(root_, &source, {}, staged);
    commit_staged(*this, staged);
    return staged.blobs.front().entry;
}

std::string artifact_store::put_bytes(std::string_view bytes) {
    staged_set staged;
    stage_blob(root_, nullptr, bytes, staged);
    commit_staged(*this, staged);
    return staged.blobs.front().entry.sha256;
}

stored_model artifact_store::put_model(const fs::path& dir) {
    const std::vector<std::string> files = list_model_files(dir);
    staged_set staged;
    staged.blobs.reserve(files.size() + 1);
    stored_model out;
    out.files.files.reserve(files.size());
    for (const auto& rel : files) {
        const fs::path source = dir / rel;
        stage_blob(root_, &source, {}, staged);
        artifact_entry e = staged.blobs.back().entry;
        e.path = rel;
        out.files.files.push_back(std::move(e));
    }
    stage_blob(root_, nullptr, out.files.canonical_text(), staged);
    out.manifest_sha256 = staged.blobs.back().entry.sha256;
    commit_staged(*this, staged);
    return out;
}

std::string artifact_store::read_verified(const std::string& sha256, std::string_view what) const {
    const fs::path p = blob_path(sha256);
    fd_handle in = open_for_read(p, what);
    std::string data;
    std::vector<char> buf(chunk);
    while (const std::size_t n = read_some(in.get(), buf, p)) data.append(buf.data(), n);
    const std::string actual = sha256_hex(data);
    if (actual != sha256)
        throw error(error_kind::io, std::string(what) + " is corrupt: sha256 " + actual + ", expected " + sha256).in_file(p.string());
    return data;
}

void artifact_store::copy_verified(const artifact_entry& entry, const fs::path& dest, std::string_view what) const {
    const fs::path p = blob_path(entry.sha256);
    fd_handle in = open_for_read(p, what);
    atomic_file out(dest);
    sha256 hasher;
    std::uint64_t size = 0;
    std::vector<char> buf(chunk);
    while (const std::size_t n = read_some(in.get(), buf, p)) {
        hasher.update(std::string_view(buf.data(), n));
        out.write(std::string_view(buf.data(), n));
        size += n;
    }
    const std::string actual = hasher.hex_digest();
    if (size != entry.size || actual != entry.sha256)
        throw error(error_kind::io, mismatch(what, size, actual, entry)).in_file(p.string());
    out.commit();
}

std::string artifact_store::check(const artifact_entry& entry) const {
    const fs::path p = blob_path(entry.sha256);
    fd_handle in(p, O_RDONLY);
    if (!in) return "artifact " + entry.path + " is missing from the artifact store (" + p.string() + ")";
    sha256 hasher;
    std::uint64_t size = 0;
    std::vector<char> buf(chunk);
    try {
        while (const std::size_t n = read_some(in.get(), buf, p)) {
            hasher.update(std::string_view(buf.data(), n));
            size += n;
        }
    } catch (const error& e) {
        return e.describe();
    }
    const std::string actual = hasher.hex_digest();
    if (size != entry.size || actual != entry.sha256) return mismatch(entry.path, size, actual, entry) + " (" + p.string() + ")";
    return {};
}

std::vector<std::string> list_model_files(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw error(error_kind::not_found, "model folder does not exist or is not a folder").in_file(dir.string());
    std::vector<std::string> out;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const auto status = it->symlink_status(ec);
        if (ec) break;
        if (fs::is_directory(status)) continue;
        const std::string rel = it->path().lexically_relative(dir).generic_string();
        if (!fs::is_regular_file(status))
            throw error(error_kind::bad_input, "'" + rel + "' is not a regular file (symlinks and special files cannot be registered)")
                .in_file(dir.string());
        out.push_back(rel);
    }
    if (ec) throw error(error_kind::io, "cannot list folder: " + ec.message()).in_file(dir.string());
    if (out.empty()) throw error(error_kind::bad_input, "model folder is empty").in_file(dir.string());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace amlops::registry
