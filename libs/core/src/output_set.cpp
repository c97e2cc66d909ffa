#include "amlops/core/output_set.hpp"

#include "amlops/core/error.hpp"

#include <cerrno>
#include <cstring>
#include <atomic>
#include <exception>
#include <set>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

namespace amlops {
namespace fs = std::filesystem;

namespace {

// Makes the renames in `dir` durable: without it a crash soon after commit() could bring back
// the previous names even though the data of the new files is on disk.
void sync_folder(const fs::path& dir) {
    const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;  // not a folder we can open (e.g. a FUSE mount): the renames still happened
    (void)::fsync(fd);   // best effort: some file systems refuse fsync on folders
    ::close(fd);
}

}  // namespace

void output_set::prepare_all(const std::vector<std::size_t>& staged) {
    // The fsyncs run side by side: each one mostly waits for the device (a journal commit and a
    // cache flush, ~4 ms apiece on ext4 here, paid again by every fsync that follows another),
    // and concurrent ones share that wait. aml-transform's four outputs took 17-29 ms one after
    // the other at the end of every run, 7-14 ms in parallel (1M rows, median 23 -> 9.5 ms).
    constexpr std::size_t max_threads = 8;
    std::vector<std::exception_ptr> failures(staged.size());
    std::atomic<std::size_t> next{0};
    auto prepare_some = [&] {
        for (std::size_t k = next++; k < staged.size(); k = next++) {
            try {
                files_[staged[k]].prepare();
            } catch (...) {
                failures[k] = std::current_exception();
            }
        }
    };
    {
        std::vector<std::jthread> helpers;
        try {
            for (std::size_t t = 1; t < std::min(staged.size(), max_threads); ++t) helpers.emplace_back(prepare_some);
        } catch (const std::system_error&) {
            // No more threads: this one prepares what the others do not.
        }
        prepare_some();
    }  // helpers joined
    // The first failure in staging order, as a sequential loop would have reported (every temp
    // file is removed: by prepare() for the failed one, by ~atomic_file for the others).
    for (const auto& failure : failures)
        if (failure) std::rethrow_exception(failure);
}

atomic_file& output_set::stage(const fs::path& target) {
    if (committed_) throw error(error_kind::internal, "output set already committed").in_file(target.string());
    dropped_.push_back(false);
    return files_.emplace_back(target);
}

void output_set::drop(const fs::path& target) {
    for (std::size_t i = 0; i < files_.size(); ++i)
        if (files_[i].target() == target) dropped_[i] = true;
    stale_.push_back(target);
}

void output_set::stage(const fs::path& target, std::string_view content) { stage(target).write(content); }

void output_set::remove_on_commit(const fs::path& target) { stale_.push_back(target); }

void output_set::commit() {
    if (committed_) return;
    // Phase 1: every byte on disk; a failure here leaves the previous set untouched.
    std::vector<std::size_t> staged;
    for (std::size_t i = 0; i < files_.size(); ++i)
        if (!dropped_[i]) staged.push_back(i);
    const std::size_t last = staged.empty() ? files_.size() : staged.back();  // the commit record
    prepare_all(staged);
    // Phase 2: renames only, in staging order; the stale files go just before the last staged
    // file (the commit record), so the record is the very last change.
    std::set<fs::path> folders;
    auto remove_stale = [&] {
        for (const auto& p : stale_) {
            std::error_code ec;
            fs::remove_all(p, ec);
            if (ec) throw error(error_kind::io, "cannot remove the previous run's file: " + ec.message()).in_file(p.string());
            folders.insert(p.parent_path());
        }
    };
    for (std::size_t i = 0; i < files_.size(); ++i) {
        if (dropped_[i]) continue;
        if (i == last) remove_stale();
        files_[i].publish();
        folders.insert(files_[i].target().parent_path());
    }
    if (last == files_.size()) remove_stale();
    for (const auto& d : folders) sync_folder(d);
    committed_ = true;
}

}  // namespace amlops
