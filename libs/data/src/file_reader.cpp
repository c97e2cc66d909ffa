#include "amlops/data/file_reader.hpp"

#include "amlops/core/error.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
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

}  // namespace amlops::data
