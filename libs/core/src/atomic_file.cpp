#include "amlops/core/atomic_file.hpp"

#include "amlops/core/error.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

namespace amlops {
namespace fs = std::filesystem;

namespace {
std::string errno_text() { return std::strerror(errno); }
std::atomic<unsigned> temp_counter{0};
}  // namespace

atomic_file::atomic_file(fs::path target) : target_(std::move(target)) {
    std::error_code ec;
    if (target_.has_parent_path()) fs::create_directories(target_.parent_path(), ec);
    temp_ = target_;
    temp_ += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(temp_counter++);
    file_ = std::fopen(temp_.c_str(), "wb");
    if (!file_) throw error(error_kind::io, "cannot create file: " + errno_text()).in_file(temp_.string());
    // stdio's own buffer (st_blksize, 4 KiB here) is kept on purpose. The writers hand over
    // whole chunks (hundreds of kB), which fwrite passes to write() directly in multiples of
    // the buffer size, so every write starts on a page boundary and only the small remainder is
    // copied. (The setvbuf(nullptr, 1 MiB) that was here changed nothing: glibc ignores the
    // size when it allocates the buffer itself; a real 1 MiB buffer would copy every byte once
    // more on the thread that writes.)
}

atomic_file::~atomic_file() {
    if (file_) std::fclose(file_);
    if (!published_) {
        std::error_code ec;
        fs::remove(temp_, ec);
    }
}

void atomic_file::write(std::string_view bytes) {
    if (!file_) throw error(error_kind::internal, "write after commit").in_file(target_.string());
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size())
        throw error(error_kind::io, "write failed: " + errno_text()).in_file(target_.string());
}

void atomic_file::start_writeback() {
    if (!file_) throw error(error_kind::internal, "write after commit").in_file(target_.string());
    if (std::fflush(file_) != 0) throw error(error_kind::io, "write failed: " + errno_text()).in_file(target_.string());
#ifdef SYNC_FILE_RANGE_WRITE
    // Asynchronous: only queues the dirty pages for writeback. Failure is harmless (commit()'s
    // fsync reports real I/O errors), so the result is ignored.
    (void)::sync_file_range(::fileno(file_), 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
}

void atomic_file::prepare() {
    if (prepared_ || published_) return;
    if (!file_) throw error(error_kind::io, "commit after a failed write").in_file(target_.string());
    std::FILE* f = file_;
    file_ = nullptr;
    bool ok = std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
    ok = (std::fclose(f) == 0) && ok;
    if (!ok) {
        std::string why = errno_text();
        std::error_code ec;
        fs::remove(temp_, ec);
        throw error(error_kind::io, "cannot write file: " + why).in_file(target_.string());
    }
    prepared_ = true;
}

void atomic_file::publish() {
    if (published_) return;
    prepare();
    if (std::rename(temp_.c_str(), target_.c_str()) != 0) {
        std::string why = errno_text();
        std::error_code ec;
        fs::remove(temp_, ec);
        prepared_ = false;  // a later commit() must not pretend success
        throw error(error_kind::io, "cannot write file: " + why).in_file(target_.string());
    }
    published_ = true;
}

void atomic_file::commit() { publish(); }

void write_file_atomic(const fs::path& path, std::string_view content) {
    atomic_file f(path);
    f.write(content);
    f.commit();
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::error_code ec;
        if (!fs::exists(path, ec)) throw error(error_kind::not_found, "no such file").in_file(path.string());
        throw error(error_kind::io, "cannot read file: " + errno_text()).in_file(path.string());
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return std::move(ss).str();
}

}  // namespace amlops
