#include "amlops/core/output_set.hpp"

#include "amlops/core/error.hpp"

#include <cerrno>
#include <cstring>
#include <set>

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
    std::size_t last = files_.size();  // the last file to publish: the commit record
    for (std::size_t i = 0; i < files_.size(); ++i)
        if (!dropped_[i]) {
            files_[i].prepare();
            last = i;
        }
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
