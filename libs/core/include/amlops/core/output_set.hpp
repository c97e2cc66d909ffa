#pragma once
// The files one run of a tool writes, replaced as a whole: either every output of the run is in
// place, or the previous run's set is left untouched (never new train.csv beside an old report).
//
//     output_set out;
//     atomic_file& train = out.stage(dir / "train.csv");   // temp file beside the target
//     ... write ...
//     out.remove_on_commit(dir / "metrics.json");          // stale file this run does not make
//     out.stage(dir / "report.json").write(report);        // the commit record: staged last
//     out.commit();
//
// commit() works in two phases:
//   1. prepare: flush, fsync and close every staged temp file (side by side, on up to 8
//      threads). Any failure (disk full, EIO) removes every temp file and throws: nothing
//      visible has changed.
//   2. publish: rename the temp files over their targets in staging order, remove the stale
//      files, then fsync each folder so the renames are durable.
// Destroying the set without commit() (an exception anywhere in the run) removes the temp files
// and leaves the previous outputs as they were.
//
// Crash consistency: phase 2 only renames (no data I/O), but several renames are not one atomic
// step. Tools therefore stage their commit record last (transform_report.json; manifest.json and
// MLmodel for a model folder), whose hashes name every other file of the set: after a crash in
// the middle of phase 2 the record still describes the previous run, so a mixed folder is
// detected by its hashes (aml-score/predict/compare refuse a model folder whose files do not
// match manifest.json) instead of being used silently. A directory swap would be atomic but is
// not available for the output folders Azure ML mounts, nor for outputs split over several
// folders (--train-output/--test-output).

#include "amlops/core/atomic_file.hpp"

#include <deque>
#include <filesystem>
#include <string_view>
#include <vector>

namespace amlops {

class output_set {
public:
    output_set() = default;
    ~output_set() = default;  // uncommitted atomic_files remove their temp files
    output_set(const output_set&) = delete;
    output_set& operator=(const output_set&) = delete;

    /// Starts a staged file for `target` (parent folders created). The reference stays valid for
    /// the set's lifetime. Throws error(io).
    atomic_file& stage(const std::filesystem::path& target);
    /// Stages `target` with `content` in one step.
    void stage(const std::filesystem::path& target, std::string_view content);
    /// A file of the previous set that this run does not produce: removed on commit.
    void remove_on_commit(const std::filesystem::path& target);
    /// Withdraws a staged file (the run decided not to produce it after all, e.g. train.csv of a
    /// run with too many rejects): its temp file is discarded and the previous file of that name
    /// is removed on commit, so the set stays consistent with the run's report.
    void drop(const std::filesystem::path& target);
    /// Replaces the previous set (see above). Throws error(io); after a failure in phase 1
    /// nothing has changed.
    void commit();
    bool committed() const noexcept { return committed_; }

private:
    void prepare_all(const std::vector<std::size_t>& staged);  // phase 1, for files_[staged[...]]

    std::deque<atomic_file> files_;  // deque: references stay valid as files are added
    std::vector<bool> dropped_;      // per files_ entry
    std::vector<std::filesystem::path> stale_;
    bool committed_ = false;
};

}  // namespace amlops
