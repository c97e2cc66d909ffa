#include "amlops/data/file_reader.hpp"

#include "amlops/core/error.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <mutex>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace amlops::data {

file_reader::file_reader(std::filesystem::path path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
        int e = errno;
        if (e == ENOENT) throw error(error_kind::not_found, "no such file").in_file(path_.string());
        throw error(error_kind::io, std::string("cannot open file: ") + std::strerror(e)).in_file(path_.string());
    }
    // A hint only: the kernel may read ahead more aggressively. Failure changes nothing.
    (void)::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
}

file_reader::~file_reader() {
    if (fd_ >= 0) ::close(fd_);
}

std::size_t file_reader::read(char* buffer, std::size_t size) {
    std::size_t done = 0;
    while (done < size) {
        ssize_t n = ::read(fd_, buffer + done, size - done);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            if (e == EISDIR) throw error(error_kind::bad_input, "is a directory, expected a file").in_file(path_.string());
            throw error(error_kind::io, std::string("read failed: ") + std::strerror(e)).in_file(path_.string());
        }
        done += static_cast<std::size_t>(n);
    }
    return done;
}

// ---------------------------------------------------------------------------------------------
// The SIGBUS handler's registry of live mappings (see mapped_file in the header).

namespace {

// Lock-free slots, so that the handler can read them at any moment: a slot is claimed with
// `used`, then published by setting `begin`/`end`; the handler only looks at [begin, end).
struct mapping_slot {
    std::atomic<bool> used{false};
    std::atomic<std::uintptr_t> begin{0};
    std::atomic<std::uintptr_t> end{0};  // rounded up to whole pages: what the mapping covers
    std::atomic<bool> damaged{false};
};
static_assert(std::atomic<std::uintptr_t>::is_always_lock_free && std::atomic<bool>::is_always_lock_free,
              "the SIGBUS handler needs lock-free atomics");

// More files than this mapped at once (a transform maps one or two) just fall back to read().
constexpr std::size_t max_mappings = 64;
std::array<mapping_slot, max_mappings> mapping_slots;
struct sigaction previous_bus_action;
// Set before the handler is installed: sysconf is not async-signal-safe.
std::uintptr_t page_size = 4096;

void forward_bus_error(int sig, siginfo_t* info, void* context) {
    const struct sigaction& prev = previous_bus_action;
    if ((prev.sa_flags & SA_SIGINFO) != 0 && prev.sa_sigaction != nullptr) {
        prev.sa_sigaction(sig, info, context);
        return;
    }
    if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
        prev.sa_handler(sig);
        return;
    }
    // The default action: restore it. A fault re-executes the faulting access on return and dies
    // of it as it would have without us (with a core dump); a SIGBUS sent with kill() does not
    // come back by itself, so it is raised again (blocked until this handler returns).
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ::sigaction(SIGBUS, &dfl, nullptr);
    if (info == nullptr || info->si_code <= 0) ::raise(SIGBUS);
}

// Runs in signal context: only lock-free atomics and async-signal-safe system calls (mmap is a
// plain system call on Linux).
void on_bus_error(int sig, siginfo_t* info, void* context) {
    const int saved_errno = errno;
    if (info != nullptr && info->si_code > 0) {  // raised by the kernel for an access
        const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
        const std::uintptr_t page = page_size;
        for (auto& slot : mapping_slots) {
            const std::uintptr_t begin = slot.begin.load(), end = slot.end.load();
            if (address < begin || address >= end) continue;
            // Lost pages (after a truncation, all pages from here on are lost): zero-filled
            // anonymous pages in their place, so the access resumes and reads zeros.
            slot.damaged.store(true);
            const std::uintptr_t from = address & ~(page - 1);
            void* replaced = ::mmap(reinterpret_cast<void*>(from), end - from, PROT_READ,
                                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
            errno = saved_errno;
            if (replaced != MAP_FAILED) return;
            break;  // cannot recover: die as before
        }
    }
    errno = saved_errno;
    forward_bus_error(sig, info, context);
}

void install_bus_handler() {
    page_size = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    struct sigaction action {};
    action.sa_sigaction = on_bus_error;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    if (::sigaction(SIGBUS, &action, &previous_bus_action) != 0)
        throw error(error_kind::internal, std::string("cannot install the SIGBUS handler: ") + std::strerror(errno));
}

// A free slot, claimed; max_mappings when none is free.
std::size_t claim_slot() {
    for (std::size_t i = 0; i < max_mappings; ++i) {
        bool expected = false;
        if (mapping_slots[i].used.compare_exchange_strong(expected, true)) return i;
    }
    return max_mappings;
}

}  // namespace

std::shared_ptr<const mapped_file> file_reader::map() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) return nullptr;
    const auto size = static_cast<std::size_t>(st.st_size);

    static std::once_flag handler_installed;
    std::call_once(handler_installed, install_bus_handler);
    const std::size_t slot = claim_slot();
    if (slot == max_mappings) return nullptr;
    const int fd = ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
    void* data = fd < 0 ? MAP_FAILED : ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
        if (fd >= 0) ::close(fd);
        mapping_slots[slot].used.store(false);
        return nullptr;
    }
    // Read ahead of the cut: chunks are cut on one thread, in file order. Measured against no
    // advice, MADV_WILLNEED and MADV_POPULATE_READ (1M rows): the same CPU within noise, and
    // populating up front delays the first chunk by the time it takes to map the whole file.
    (void)::madvise(data, size, MADV_SEQUENTIAL);
    try {
        return std::shared_ptr<const mapped_file>(new mapped_file(fd, size, path_, static_cast<const char*>(data), slot));
    } catch (...) {  // out of memory: the mapping is not registered yet
        ::munmap(data, size);
        ::close(fd);
        mapping_slots[slot].used.store(false);
        throw;
    }
}

mapped_file::mapped_file(int fd, std::size_t size, std::filesystem::path path, const char* data,
                         std::size_t slot) noexcept
    : path_(std::move(path)), fd_(fd), data_(data), size_(size), slot_(slot) {
    const std::uintptr_t page = page_size;
    const auto begin = reinterpret_cast<std::uintptr_t>(data_);
    auto& s = mapping_slots[slot_];
    // begin before end, and end cleared first on the way out: the handler never sees a range
    // that starts at 0.
    s.damaged.store(false);
    s.begin.store(begin);
    s.end.store((begin + size_ + page - 1) & ~(page - 1));
}

mapped_file::~mapped_file() {
    auto& s = mapping_slots[slot_];
    s.end.store(0);
    s.begin.store(0);
    ::munmap(const_cast<char*>(data_), size_);
    ::close(fd_);
    s.used.store(false);
}

void mapped_file::release_before(const char* end) const noexcept {
    const auto upto = static_cast<std::size_t>(end - data_) / page_size * page_size;
    if (upto <= released_) return;
    // Advice only: on failure the pages just stay mapped until the destructor unmaps them.
    (void)::madvise(const_cast<char*>(data_) + released_, upto - released_, MADV_DONTNEED);
    released_ = upto;
}

bool mapped_file::damaged() const noexcept { return mapping_slots[slot_].damaged.load(); }

void mapped_file::check() const {
    if (!damaged()) return;
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && static_cast<std::size_t>(st.st_size) != size_)
        throw error(error_kind::io, "changed size while being read (" + std::to_string(size_) + " bytes when opened, " +
                                        std::to_string(st.st_size) + " now)")
            .in_file(path_.string());
    throw error(error_kind::io, "could not be read: a page of the file failed to load (I/O error)")
        .in_file(path_.string());
}

}  // namespace amlops::data
