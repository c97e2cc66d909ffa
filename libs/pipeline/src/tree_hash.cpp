#include "amlops/pipeline/tree_hash.hpp"

#include "amlops/core/error.hpp"
#include "amlops/core/sha256.hpp"

#include <algorithm>

#include <sys/stat.h>

namespace amlops::pipeline {
namespace fs = std::filesystem;

tree_file stat_file(const fs::path& file) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) throw error(error_kind::not_found, "cannot stat file").in_file(file.string());
    tree_file f;
    f.size = static_cast<std::uintmax_t>(st.st_size);
    f.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    return f;
}

tree_listing scan_tree(const fs::path& root, bool hash) {
    std::error_code ec;
    const auto st = fs::status(root, ec);
    if (!fs::exists(st)) throw error(error_kind::not_found, "no such file or folder").in_file(root.string());
    tree_listing t;
    if (!fs::is_directory(st)) {
        t.is_file = true;
        auto f = stat_file(root);
        if (hash) f.sha256 = sha256_file(root);
        t.files.push_back(std::move(f));
    } else {
        fs::recursive_directory_iterator it(root, fs::directory_options::follow_directory_symlink, ec), end;
        if (ec) throw error(error_kind::io, "cannot list folder: " + ec.message()).in_file(root.string());
        for (; it != end; it.increment(ec)) {
            if (ec) throw error(error_kind::io, "cannot list folder: " + ec.message()).in_file(root.string());
            const auto rel = it->path().lexically_relative(root).generic_string();
            const auto s = it->status(ec);
            if (fs::is_directory(s)) {
                t.dirs.push_back(rel);
            } else if (fs::is_regular_file(s)) {
                auto f = stat_file(it->path());
                f.rel = rel;
                if (hash) f.sha256 = sha256_file(it->path());
                t.files.push_back(std::move(f));
            }
        }
        std::sort(t.dirs.begin(), t.dirs.end());
        std::sort(t.files.begin(), t.files.end(), [](const tree_file& a, const tree_file& b) { return a.rel < b.rel; });
    }
    if (hash) {
        // One line per entry; names are length-prefixed, so no file name can imitate another entry.
        sha256 h;
        h.update(t.is_file ? "file\n" : "folder\n");
        for (const auto& d : t.dirs) h.update("D " + std::to_string(d.size()) + " " + d + "\n");
        for (const auto& f : t.files) h.update("F " + std::to_string(f.rel.size()) + " " + f.rel + " " + f.sha256 + "\n");
        t.digest = h.hex_digest();
    }
    return t;
}

std::string tree_digest(const fs::path& root) { return scan_tree(root, true).digest; }

}  // namespace amlops::pipeline
