#pragma once
// Sequential, unbuffered reads of a whole file in caller-sized blocks (no iostreams): the CSV
// readers bring their own large buffers, so a second layer of buffering would only copy.

#include <cstddef>
#include <filesystem>

namespace amlops::data {

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

    const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
    int fd_ = -1;
};

}  // namespace amlops::data
