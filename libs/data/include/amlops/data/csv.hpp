#pragma once
// Streaming CSV (RFC 4180 plus what real exports contain): UTF-8 BOM, LF or CRLF line ends, quoted
// fields with "" escapes and embedded delimiters/newlines, blank lines anywhere (also trailing).
// Fields are std::string_view into the reader's buffer, so parsing allocates nothing per row;
// memory is bounded by the block size (plus the longest record).
//
// Three layers:
//   csv_parser  - pure: splits an in-memory text into records (used on blocks and chunks);
//   csv_chunker - reads a file in large blocks and hands out runs of complete records, each with
//                 its first physical line number, so that chunks can be parsed in parallel;
//   csv_reader  - record-at-a-time convenience over the chunker.

#include "amlops/data/file_reader.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace amlops::data {

/// One CSV record. Field views point into the text being parsed (or into the record's own
/// storage for fields that contained "" escapes) and stay valid until the record is parsed into
/// again or that text changes.
class csv_record {
public:
    /// Number of fields (an empty line is never a record; a line "," has two empty fields).
    std::size_t size() const noexcept { return size_; }
    /// Field `i` (unquoted and unescaped), i < size().
    std::string_view operator[](std::size_t i) const noexcept { return fields_[i]; }
    std::span<const std::string_view> fields() const noexcept { return {fields_.data(), size_}; }
    /// The record's bytes as they appear in the input, without the line terminator.
    std::string_view raw() const noexcept { return raw_; }
    /// 1-based physical line on which the record starts.
    std::uint64_t line() const noexcept { return line_; }
    /// Empty when well-formed; otherwise a static description ("unterminated quoted field",
    /// "unexpected character after closing quote"). Malformed records are still split as well as
    /// possible so callers may skip them and go on.
    std::string_view problem() const noexcept { return problem_; }
    /// True when every field is empty (e.g. ",,,"): a row that carries no data at all.
    bool all_empty() const noexcept;

private:
    friend class csv_parser;
    // Appends a field (the general parser; the one-line fast path writes into fields_ directly).
    void push(std::string_view field) {
        if (size_ == fields_.size()) fields_.resize(std::max<std::size_t>(2 * fields_.size(), 64));
        fields_[size_++] = field;
    }
    // Room for the fields: the first size_ are this record's. Kept at its largest size, so that
    // parsing writes fields without a capacity check per field and never shrinks or refills it.
    std::vector<std::string_view> fields_;
    std::size_t size_ = 0;
    std::vector<std::uint32_t> escaped_;  // indices of fields that still contain "" pairs
    std::string unescaped_;               // storage for the unescaped copies of those fields
    std::string_view raw_;
    std::string_view problem_;
    std::uint64_t line_ = 0;
};

/// What csv_parser::next found.
enum class csv_status {
    record,     ///< a complete record was parsed
    need_more,  ///< the text ends inside a record; supply more text (consumed() is its start)
    end,        ///< no more records (only when the text is final)
};

namespace detail {

/// The instruction sets csv_parser can split simple lines with: all give the same records; the
/// fastest the CPU has is chosen once at run time (best_csv_simd), the others exist for tests.
enum class csv_simd : std::uint8_t {
    portable,  ///< plain byte loop (any architecture)
    sse2,      ///< 16 bytes per compare (every x86-64)
    avx2,      ///< 32 bytes per compare (AVX-512BW's one 64-byte compare measured slower on Zen 4)
};
/// True when this build has code for `simd` and the CPU it runs on can execute it.
bool csv_simd_supported(csv_simd simd) noexcept;
/// The fastest supported level (checked once).
csv_simd best_csv_simd() noexcept;

/// Bit i set when byte p[i] (of 64) is the delimiter / '\n' / a quote or '\r': what
/// csv_parser's one-line fast path splits by. line_masks is the SIMD one (SSE2 where the target
/// has it), line_masks_portable the plain loop it must agree with (tested on random bytes).
struct csv_line_masks {
    std::uint64_t delim = 0;
    std::uint64_t newline = 0;
    std::uint64_t special = 0;
};

/// The masks of the 64 bytes at `block` (none when null), kept by csv_parser between records: a
/// record usually starts in the block where the previous one ended, so each block of the text is
/// scanned once, not once per record that touches it.
struct csv_mask_cache {
    const char* block = nullptr;
    csv_line_masks masks;
};

}  // namespace detail

/// Splits an in-memory text into records. No I/O, no allocation once the record's vectors have
/// grown to the widest row.
class csv_parser {
public:
    /// `simd` (tests only) forces an instruction set; an unsupported one falls back to portable.
    explicit csv_parser(char delimiter = ',', detail::csv_simd simd = detail::best_csv_simd()) noexcept
        : delim_(delimiter), simd_(detail::csv_simd_supported(simd) ? simd : detail::csv_simd::portable) {}

    /// Starts parsing `text`, whose first byte is on physical line `first_line`. `final` says the
    /// text ends where the input ends; otherwise a record touching the end is incomplete.
    void reset(std::string_view text, std::uint64_t first_line, bool final) noexcept;

    /// Parses the next record into `rec`, skipping blank lines (empty or a lone "\r").
    csv_status next(csv_record& rec);

    /// Offset in the text of the first byte not consumed (after need_more: the partial record).
    std::size_t consumed() const noexcept { return pos_; }
    /// Physical line number at consumed().
    std::uint64_t line() const noexcept { return line_; }

private:
    std::size_t find_break(std::size_t from) noexcept;  // next delimiter or '\n' at/after `from`

    std::string_view text_;
    std::size_t pos_ = 0;
    std::uint64_t line_ = 1;
    bool final_ = true;
    char delim_;
    // Cached positions of delimiters/newlines in the 64 bytes at mask_base_ (none when
    // mask_len_ is 0).
    std::uint64_t mask_ = 0;
    std::size_t mask_base_ = 0;
    std::size_t mask_len_ = 0;
    detail::csv_simd simd_;
    detail::csv_mask_cache block_;  // the one-line fast path's last block and its masks
};

namespace detail {

csv_line_masks line_masks(const char* p, char delim) noexcept;
csv_line_masks line_masks_portable(const char* p, char delim) noexcept;
/// The masks as computed with `simd` (which must be supported): what the parser uses.
csv_line_masks line_masks(const char* p, char delim, csv_simd simd) noexcept;

/// How many of the `n` bytes at `p` equal `byte` (SSE2 where the target has it; the portable
/// loop it must agree with).
std::size_t count_byte(const char* p, std::size_t n, char byte) noexcept;
std::size_t count_byte_portable(const char* p, std::size_t n, char byte) noexcept;

}  // namespace detail

/// Column names of a CSV file, with lookup by name.
class csv_header {
public:
    csv_header() = default;
    explicit csv_header(std::vector<std::string> names, std::uint64_t line = 1)
        : names_(std::move(names)), line_(line) {}

    /// Index of the first column called exactly `name`, if any.
    std::optional<std::size_t> find(std::string_view name) const noexcept;
    /// Index of the column called exactly `name`, if any. A column a tool reads must be
    /// unambiguous: when two columns share the name, throws error(bad_input) "duplicate column
    /// 'name' (columns 3 and 7)" naming `file` (first column wins would silently read the wrong
    /// data).
    std::optional<std::size_t> find_unique(std::string_view name, const std::filesystem::path& file) const;
    /// Index of column `name`; throws error(bad_input) "missing column 'name'" naming `file`, or
    /// the duplicate error of find_unique.
    std::size_t require(std::string_view name, const std::filesystem::path& file) const;
    const std::vector<std::string>& names() const noexcept { return names_; }
    std::size_t size() const noexcept { return names_.size(); }
    /// Physical line of the header record (for errors about it).
    std::uint64_t line() const noexcept { return line_; }

private:
    std::vector<std::string> names_;
    std::uint64_t line_ = 1;
};

/// A run of complete records cut from a file.
struct csv_chunk {
    /// Whole records (the last one may lack a terminator at EOF): a view into the mapped file,
    /// or into `storage` when the file is read.
    std::string_view text;
    std::uint64_t first_line = 0;  ///< physical line of text[0]
    std::string storage;           ///< the bytes of `text` when read (capacity kept for reuse)
    std::shared_ptr<const mapped_file> mapping;  ///< keeps a mapped `text` alive

    csv_chunk() = default;
    csv_chunk(const csv_chunk&) = delete;  // `text` may point into `storage`
    csv_chunk& operator=(const csv_chunk&) = delete;

    /// Throws error(io) when `text` came from a mapped file that changed size (or failed to
    /// load) while being read, so the bytes seen may not be the file's: call it after the text
    /// was used and before its results are trusted (see mapped_file).
    void check_source() const {
        if (mapping) mapping->check();
    }
    /// For a reader that consumes chunks in file order: the mapped pages before this chunk's
    /// end are no longer needed (mapped_file::release_before). Nothing for a read chunk.
    void release_source() const noexcept {
        if (mapping) mapping->release_before(text.data() + text.size());
    }
};

/// Reads a CSV file in large blocks and cuts them at record boundaries (quote-aware), so that
/// the chunks can be parsed independently, in parallel. The header (first non-blank record, BOM
/// stripped) is read by the constructor.
class csv_chunker {
public:
    /// Sees every byte of the file exactly once, in order (e.g. to hash the input while reading).
    using byte_observer = std::function<void(std::string_view)>;

    /// How the file's bytes get into chunks.
    enum class source {
        read,  ///< copied with read() into each chunk's storage
        /// chunks are views into the mapped file when it is a regular, non-empty file (else
        /// read): no copy, but the caller must call csv_chunk::check_source() after using a
        /// chunk, and chunks keep the mapping alive (a chunk must not outlive its purpose).
        map_if_possible,
    };

    /// Opens `path` and reads its header. Throws error(not_found|io) from opening/reading and
    /// error(bad_input) for a file without a header line or with a malformed header.
    explicit csv_chunker(std::filesystem::path path, std::size_t chunk_bytes = std::size_t{2} << 20,
                         byte_observer observer = {}, char delimiter = ',', source how = source::read);

    const csv_header& header() const noexcept { return header_; }
    /// Physical line of the header record.
    std::uint64_t header_line() const noexcept { return header_line_; }
    const std::filesystem::path& path() const noexcept { return reader_.path(); }

    /// Replaces `out` with the next run of complete records (about chunk_bytes, more when one
    /// record is longer). Returns false, with `out.text` empty, at end of file. Reuses the
    /// capacity of `out.storage`. Throws error(io) when the mapped file changed size.
    bool next(csv_chunk& out);

    /// True when chunks are views into a mapping (source::map_if_possible on a regular file).
    bool mapped() const noexcept { return mapping_ != nullptr; }

private:
    bool next_mapped(csv_chunk& out);
    void read_more(std::string& buffer, std::size_t at_least);
    // Reads up to `at_least` bytes to buffer[filled...] (growing it if needed, never shrinking);
    // returns the new filled length.
    std::size_t read_into(std::string& buffer, std::size_t filled, std::size_t at_least);
    std::size_t find_cut(std::string_view text) const;

    file_reader reader_;
    std::size_t chunk_bytes_;
    byte_observer observer_;
    char delim_;
    csv_header header_;
    std::uint64_t header_line_ = 1;
    std::string pending_;          // bytes after the last cut, start of the next chunk
    std::uint64_t next_line_ = 1;  // physical line of pending_[0] (mapped: of mapped_at_)
    bool eof_ = false;
    std::shared_ptr<const mapped_file> mapping_;  // null when reading
    std::size_t mapped_at_ = 0;                   // mapped: offset of the next chunk
};

/// Reads a CSV file record by record, in bounded memory.
///
///     csv_reader in(path);
///     std::size_t cost = in.header().require("cost", path);
///     while (in.next()) use(in.record()[cost], in.record().line());
class csv_reader {
public:
    /// Opens `path` and reads the header; throws like csv_chunker.
    explicit csv_reader(std::filesystem::path path, std::size_t block_bytes = std::size_t{1} << 20,
                        char delimiter = ',');

    const csv_header& header() const noexcept { return chunker_.header(); }
    const std::filesystem::path& path() const noexcept { return chunker_.path(); }

    /// Advances to the next record; false at end of file. Malformed records are returned with
    /// record().problem() set.
    bool next();
    /// The current record (valid after next() returned true, until the next call).
    const csv_record& record() const noexcept { return record_; }

private:
    csv_chunker chunker_;
    csv_chunk chunk_;
    csv_parser parser_;
    csv_record record_;
    bool started_ = false;
};

/// At most about `max_bytes` of `text` for quoting in an error or rejects.csv: valid UTF-8 is
/// kept, control characters and bytes that are not UTF-8 (Latin-1, binary) become \xNN, so
/// messages stay valid UTF-8 (the tools' JSON results must be) and show what the bytes were.
/// A cut-off excerpt ends in "...".
std::string printable_excerpt(std::string_view text, std::size_t max_bytes = 60);

/// Appends `field` to `out` as one CSV field, quoted (with "" escapes) only when it contains the
/// delimiter, a quote, CR or LF, or starts/ends with a blank.
void append_csv_field(std::string& out, std::string_view field, char delimiter = ',');

}  // namespace amlops::data
