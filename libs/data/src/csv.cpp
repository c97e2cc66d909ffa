#include "amlops/data/csv.hpp"

#include "amlops/core/error.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define AMLOPS_CSV_X86_DISPATCH 1  // AVX2 code chosen at run time
#endif

namespace amlops::data {

bool csv_record::all_empty() const noexcept {
    const auto f = fields();
    return std::all_of(f.begin(), f.end(), [](std::string_view v) { return v.empty(); });
}

// ---------------------------------------------------------------------------------------------
// csv_parser

namespace {

// Bit i set when p[i] is the delimiter or '\n', for the 64 bytes at p. Finding field ends this
// way costs a few instructions per 64 bytes instead of two compares and a branch per byte.
std::uint64_t break_mask(const char* p, char delim) noexcept {
#if defined(__SSE2__)
    const __m128i d = _mm_set1_epi8(delim), nl = _mm_set1_epi8('\n');
    std::uint64_t m = 0;
    for (int k = 0; k < 4; ++k) {
        __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
        auto bits = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, d), _mm_cmpeq_epi8(v, nl))));
        m |= static_cast<std::uint64_t>(bits) << (16 * k);
    }
    return m;
#else
    std::uint64_t m = 0;
    for (int i = 0; i < 64; ++i)
        if (p[i] == delim || p[i] == '\n') m |= std::uint64_t{1} << i;
    return m;
#endif
}

}  // namespace

namespace detail {

csv_line_masks line_masks_portable(const char* p, char delim) noexcept {
    csv_line_masks m;
    for (int i = 0; i < 64; ++i) {
        const std::uint64_t bit = std::uint64_t{1} << i;
        if (p[i] == delim) m.delim |= bit;
        if (p[i] == '\n') m.newline |= bit;
        if (p[i] == '"' || p[i] == '\r') m.special |= bit;
    }
    return m;
}

csv_line_masks line_masks(const char* p, char delim) noexcept {
#if defined(__SSE2__)
    const __m128i d = _mm_set1_epi8(delim), nl = _mm_set1_epi8('\n'), quote = _mm_set1_epi8('"'),
                  cr = _mm_set1_epi8('\r');
    csv_line_masks m;
    for (int k = 0; k < 4; ++k) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
        const int shift = 16 * k;
        m.delim |= static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, d)))) << shift;
        m.newline |= static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, nl)))) << shift;
        m.special |= static_cast<std::uint64_t>(static_cast<unsigned>(
                         _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, cr)))))
                     << shift;
    }
    return m;
#else
    return line_masks_portable(p, delim);
#endif
}

namespace {

// How many of the `n` bytes at `p` equal `counted`, and whether any equals `sought`, in one
// pass: the chunker needs both of every window it cuts (newlines and quotes), on the thread that
// also hashes and writes every output byte; count_byte is the count alone.
struct byte_scan {
    std::size_t count = 0;
    bool found = false;
};

byte_scan scan_bytes_portable(const char* p, std::size_t n, char counted, char sought) noexcept {
    byte_scan scan;
    for (std::size_t i = 0; i < n; ++i) {
        scan.count += p[i] == counted;
        scan.found |= p[i] == sought;
    }
    return scan;
}

byte_scan scan_bytes(const char* p, std::size_t n, char counted, char sought) noexcept {
#if defined(__SSE2__)
    // 16 bytes per step: equal bytes are -1, subtracted into byte-wide counters, which are summed
    // into 64-bit ones (psadbw) before they can wrap at 255 steps; the sought bytes are or-ed
    // into one more register on the way.
    const __m128i target = _mm_set1_epi8(counted), other = _mm_set1_epi8(sought), zero = _mm_setzero_si128();
    __m128i total = zero, seen = zero;
    std::size_t i = 0;
    while (n - i >= 16) {
        __m128i counters = zero;
        const std::size_t steps = std::min<std::size_t>((n - i) / 16, 255);
        for (std::size_t k = 0; k < steps; ++k, i += 16) {
            const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
            counters = _mm_sub_epi8(counters, _mm_cmpeq_epi8(bytes, target));
            seen = _mm_or_si128(seen, _mm_cmpeq_epi8(bytes, other));
        }
        total = _mm_add_epi64(total, _mm_sad_epu8(counters, zero));
    }
    byte_scan scan = scan_bytes_portable(p + i, n - i, counted, sought);
    scan.count += static_cast<std::size_t>(_mm_cvtsi128_si64(total)) +
                  static_cast<std::size_t>(_mm_cvtsi128_si64(_mm_unpackhi_epi64(total, total)));
    scan.found |= _mm_movemask_epi8(seen) != 0;
    return scan;
#else
    return scan_bytes_portable(p, n, counted, sought);
#endif
}

}  // namespace

std::size_t count_byte_portable(const char* p, std::size_t n, char byte) noexcept {
    return scan_bytes_portable(p, n, byte, byte).count;
}

std::size_t count_byte(const char* p, std::size_t n, char byte) noexcept { return scan_bytes(p, n, byte, byte).count; }

namespace {

#if AMLOPS_CSV_X86_DISPATCH
__attribute__((target("avx2"))) inline csv_line_masks line_masks_avx2(const char* p, char delim) noexcept {
    const __m256i d = _mm256_set1_epi8(delim), nl = _mm256_set1_epi8('\n'), quote = _mm256_set1_epi8('"'),
                  cr = _mm256_set1_epi8('\r');
    csv_line_masks m;
    for (int k = 0; k < 2; ++k) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * k));
        const int shift = 32 * k;
        // (no lambda for the casts: it would not inherit the target attribute)
        const auto delim_bits = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, d)));
        const auto newline_bits = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, nl)));
        const auto special_bits = static_cast<std::uint32_t>(
            _mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(v, quote), _mm256_cmpeq_epi8(v, cr))));
        m.delim |= std::uint64_t{delim_bits} << shift;
        m.newline |= std::uint64_t{newline_bits} << shift;
        m.special |= std::uint64_t{special_bits} << shift;
    }
    return m;
}
#endif

}  // namespace

bool csv_simd_supported(csv_simd simd) noexcept {
    switch (simd) {
    case csv_simd::portable: return true;
    case csv_simd::sse2:
#if defined(__SSE2__)
        return true;
#else
        return false;
#endif
    case csv_simd::avx2:
#if AMLOPS_CSV_X86_DISPATCH
        return __builtin_cpu_supports("avx2");
#else
        return false;
#endif
    }
    return false;
}

csv_simd best_csv_simd() noexcept {
    static const csv_simd best = [] {
        for (csv_simd s : {csv_simd::avx2, csv_simd::sse2})
            if (csv_simd_supported(s)) return s;
        return csv_simd::portable;
    }();
    return best;
}

csv_line_masks line_masks(const char* p, char delim, csv_simd simd) noexcept {
    switch (simd) {
#if AMLOPS_CSV_X86_DISPATCH
    case csv_simd::avx2: return line_masks_avx2(p, delim);
#endif
    case csv_simd::sse2: return line_masks(p, delim);
    default: return line_masks_portable(p, delim);
    }
}

}  // namespace detail

namespace {

// The one-line fast path: splits the record at `start` when it ends on its line with no quote
// or CR before its newline, straight from 64-byte masks (one bit per delimiter), writing its
// fields to out[0..) (at most `room`). Returns the newline, with the field count in `count`, or
// nullptr when the record needs the general loop (a quote or CR, fewer than 64 bytes left to
// look at, more fields than `room`). `cache` holds the masks of the block the last record ended
// in; it is used when `start` lies in it, and updated.
template <detail::csv_line_masks (*Masks)(const char*, char) noexcept>
[[gnu::always_inline]] inline const char* split_simple_line(const char* start, const char* end, char delim,
                                                            std::string_view* out, std::size_t room,
                                                            std::size_t& count, detail::csv_mask_cache& cache) noexcept {
    const char* block;
    detail::csv_line_masks m;
    if (cache.block && start >= cache.block && start - cache.block < 64) {
        block = cache.block;
        m = cache.masks;
    } else {
        if (end - start < 64) return nullptr;
        block = start;
        m = Masks(block, delim);
    }
    std::uint64_t from = ~std::uint64_t{0} << (start - block);  // the record's bytes in this block
    const char* field = start;
    std::size_t n = 0;
    for (;;) {
        const std::uint64_t newline = m.newline & from;
        const std::uint64_t in_record = (newline - 1) & ~newline & from;  // bits before its newline (all if none)
        if (m.special & in_record) return nullptr;
        std::uint64_t d = m.delim & in_record;
        if (room - n <= 64) return nullptr;  // a block adds at most 64 delimiters, then the last field
        for (; d != 0; d &= d - 1) {
            const char* comma = block + static_cast<unsigned>(std::countr_zero(d));
            out[n++] = std::string_view(field, static_cast<std::size_t>(comma - field));
            field = comma + 1;
        }
        if (newline) {
            const char* nl = block + std::countr_zero(newline);
            out[n++] = std::string_view(field, static_cast<std::size_t>(nl - field));
            count = n;
            cache = {block, m};
            return nl;
        }
        block += 64;
        if (end - block < 64) return nullptr;
        m = Masks(block, delim);
        from = ~std::uint64_t{0};
    }
}

template <detail::csv_line_masks (*Masks)(const char*, char) noexcept>
const char* split_with(const char* start, const char* end, char delim, std::string_view* out, std::size_t room,
                       std::size_t& count, detail::csv_mask_cache& cache) noexcept {
    return split_simple_line<Masks>(start, end, delim, out, room, count, cache);
}

#if AMLOPS_CSV_X86_DISPATCH
__attribute__((target("avx2"))) const char* split_avx2(const char* start, const char* end, char delim,
                                                        std::string_view* out, std::size_t room, std::size_t& count,
                                                        detail::csv_mask_cache& cache) noexcept {
    return split_simple_line<detail::line_masks_avx2>(start, end, delim, out, room, count, cache);
}
#endif

// split_simple_line with the masks of `simd`: direct calls (an indirect one through a table
// of the three cost a visible share of next()).
[[gnu::always_inline]] inline const char* split_simple(detail::csv_simd simd, const char* start, const char* end,
                                                       char delim, std::string_view* out, std::size_t room,
                                                       std::size_t& count, detail::csv_mask_cache& cache) noexcept {
    switch (simd) {
#if AMLOPS_CSV_X86_DISPATCH
    case detail::csv_simd::avx2: return split_avx2(start, end, delim, out, room, count, cache);
#endif
    case detail::csv_simd::sse2: return split_with<detail::line_masks>(start, end, delim, out, room, count, cache);
    default: return split_with<detail::line_masks_portable>(start, end, delim, out, room, count, cache);
    }
}

}  // namespace

void csv_parser::reset(std::string_view text, std::uint64_t first_line, bool final) noexcept {
    text_ = text;
    pos_ = 0;
    line_ = first_line;
    final_ = final;
    mask_len_ = 0;
    block_ = {};
}

// Inlined into next(): called once per field, the call itself was a visible share of a transform.
[[gnu::always_inline]] inline std::size_t csv_parser::find_break(std::size_t i) noexcept {
    const std::size_t n = text_.size();
    for (;;) {
        if (i >= mask_base_ && i < mask_base_ + mask_len_) {
            std::uint64_t m = mask_ & (~std::uint64_t{0} << (i - mask_base_));
            if (m) return mask_base_ + static_cast<std::size_t>(std::countr_zero(m));
            i = mask_base_ + mask_len_;
        }
        if (n - i >= 64) {
            mask_base_ = i;
            mask_len_ = 64;
            mask_ = break_mask(text_.data() + i, delim_);
            continue;
        }
        while (i != n && text_[i] != delim_ && text_[i] != '\n') ++i;  // the last few bytes
        return i;
    }
}

csv_status csv_parser::next(csv_record& rec) {
    const char* const begin = text_.data();
    const char* const end = begin + text_.size();
    const char delim = delim_;

    // Skip blank lines ("\n" or "\r\n"); they are not records but still count as lines.
    const char* p = begin + pos_;
    for (;;) {
        if (p == end) {
            pos_ = text_.size();
            return final_ ? csv_status::end : csv_status::need_more;
        }
        if (*p == '\n') {
            ++p;
            ++line_;
            continue;
        }
        if (*p == '\r') {
            if (p + 1 == end) {
                if (!final_) {
                    pos_ = static_cast<std::size_t>(p - begin);
                    return csv_status::need_more;
                }
                pos_ = text_.size();
                return csv_status::end;
            }
            if (p[1] == '\n') {
                p += 2;
                ++line_;
                continue;
            }
        }
        break;
    }

    const char* const start = p;
    const std::uint64_t start_line = line_;
    std::uint64_t lines = 0;  // newlines inside quoted fields of this record
    rec.size_ = 0;
    rec.escaped_.clear();
    rec.problem_ = {};
    rec.line_ = start_line;

    // Fast path: a record on one line without quotes or CRs (nearly every record of a machine
    // export) is split straight from 64-byte masks (split_simple_line). Anything else is split
    // by the general loop below from the record's start, as if this had not run. Same fields,
    // raw text and line numbers either way.
    if (delim != '"' && delim != '\r' && delim != '\n') {
        if (rec.fields_.size() < 128) rec.fields_.resize(128);
        std::size_t count = 0;
        const char* nl = split_simple(simd_, start, end, delim, rec.fields_.data(), rec.fields_.size(), count, block_);
        if (nl) {
            rec.size_ = count;
            rec.raw_ = std::string_view(start, static_cast<std::size_t>(nl - start));
            pos_ = static_cast<std::size_t>(nl + 1 - begin);
            line_ = start_line + 1;
            return csv_status::record;
        }
    }

    auto incomplete = [&] {
        pos_ = static_cast<std::size_t>(start - begin);
        line_ = start_line;
        return csv_status::need_more;
    };
    // Ends the record at `term` (the terminator's first byte, or end); `after` is past it.
    auto finish = [&](const char* term, const char* after, bool newline) {
        const char* raw_end = term;
        if (newline && raw_end > start && raw_end[-1] == '\r') --raw_end;
        rec.raw_ = std::string_view(start, static_cast<std::size_t>(raw_end - start));
        pos_ = static_cast<std::size_t>(after - begin);
        line_ = start_line + lines + (newline ? 1 : 0);
    };

    for (;;) {
        if (p != end && *p == '"') {
            // Quoted field: runs to a quote not followed by another quote.
            const char* q = p + 1;
            bool escaped = false;
            const char* close = nullptr;
            for (;;) {
                const char* hit = static_cast<const char*>(std::memchr(q, '"', static_cast<std::size_t>(end - q)));
                const char* stop = hit ? hit : end;
                lines += static_cast<std::uint64_t>(std::count(q, stop, '\n'));
                if (!hit) break;
                if (hit + 1 == end && !final_) return incomplete();  // might be the first of ""
                if (hit + 1 != end && hit[1] == '"') {
                    escaped = true;
                    q = hit + 2;
                    continue;
                }
                close = hit;
                break;
            }
            if (!close) {
                if (!final_) return incomplete();
                rec.problem_ = "unterminated quoted field";
                if (escaped) rec.escaped_.push_back(static_cast<std::uint32_t>(rec.size_));
                rec.push(std::string_view(p + 1, static_cast<std::size_t>(end - p - 1)));
                finish(end, end, false);
                break;
            }
            if (escaped) rec.escaped_.push_back(static_cast<std::uint32_t>(rec.size_));
            const char* after = close + 1;
            if (after == end) {
                if (!final_) return incomplete();
                rec.push(std::string_view(p + 1, static_cast<std::size_t>(close - p - 1)));
                finish(end, end, false);
                break;
            }
            if (*after == delim) {
                rec.push(std::string_view(p + 1, static_cast<std::size_t>(close - p - 1)));
                p = after + 1;
                if (p == end) {
                    if (!final_) return incomplete();
                    rec.push({});
                    finish(end, end, false);
                    break;
                }
                continue;
            }
            if (*after == '\n' || (*after == '\r' && after + 1 != end && after[1] == '\n')) {
                rec.push(std::string_view(p + 1, static_cast<std::size_t>(close - p - 1)));
                const char* nl = *after == '\n' ? after : after + 1;
                finish(nl, nl + 1, true);
                break;
            }
            if (*after == '\r' && after + 1 == end && !final_) return incomplete();
            // Text after the closing quote: keep the field verbatim (quotes included) up to the
            // next delimiter or newline, and flag the record.
            rec.problem_ = "unexpected character after closing quote";
            if (escaped) rec.escaped_.pop_back();
            const char* e = after;
            while (e != end && *e != delim && *e != '\n') ++e;
            if (e == end && !final_) return incomplete();
            if (e != end && *e == delim) {
                rec.push(std::string_view(p, static_cast<std::size_t>(e - p)));
                p = e + 1;
                if (p == end) {
                    if (!final_) return incomplete();
                    rec.push({});
                    finish(end, end, false);
                    break;
                }
                continue;
            }
            const char* fe = e;
            if (fe != end && fe > p && fe[-1] == '\r') --fe;
            rec.push(std::string_view(p, static_cast<std::size_t>(fe - p)));
            if (e == end) finish(end, end, false);
            else finish(e, e + 1, true);
            break;
        }

        // Unquoted field: the hot path.
        const char* f = p;
        p = begin + find_break(static_cast<std::size_t>(p - begin));
        if (p == end) {
            if (!final_) return incomplete();
            const char* fe = end;
            if (fe > f && fe[-1] == '\r') --fe;  // a file ending in "\r" without "\n"
            rec.push(std::string_view(f, static_cast<std::size_t>(fe - f)));
            rec.raw_ = std::string_view(start, static_cast<std::size_t>(fe - start));
            pos_ = text_.size();
            line_ = start_line + lines;
            break;
        }
        if (*p == delim) {
            rec.push(std::string_view(f, static_cast<std::size_t>(p - f)));
            ++p;
            if (p == end) {
                if (!final_) return incomplete();
                rec.push({});
                finish(end, end, false);
                break;
            }
            continue;
        }
        // Newline.
        const char* fe = p;
        if (fe > f && fe[-1] == '\r') --fe;
        rec.push(std::string_view(f, static_cast<std::size_t>(fe - f)));
        finish(p, p + 1, true);
        break;
    }

    if (!rec.escaped_.empty()) {
        // Collapse "" to " in a copy. Sized before any view points into it, so no reallocation
        // can invalidate earlier fields; the unescaped text is never longer than the raw record.
        std::size_t need = 0;
        for (auto i : rec.escaped_) need += rec.fields_[i].size();
        if (rec.unescaped_.size() < need) rec.unescaped_.resize(need);
        char* out = rec.unescaped_.data();
        for (auto i : rec.escaped_) {
            std::string_view src = rec.fields_[i];
            char* o = out;
            for (std::size_t k = 0; k < src.size(); ++k) {
                *o++ = src[k];
                if (src[k] == '"' && k + 1 < src.size() && src[k + 1] == '"') ++k;
            }
            rec.fields_[i] = std::string_view(out, static_cast<std::size_t>(o - out));
            out = o;
        }
    }
    return csv_status::record;
}

// ---------------------------------------------------------------------------------------------
// csv_header

std::optional<std::size_t> csv_header::find(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < names_.size(); ++i)
        if (names_[i] == name) return i;
    return std::nullopt;
}

std::optional<std::size_t> csv_header::find_unique(std::string_view name, const std::filesystem::path& file) const {
    auto first = find(name);
    if (!first) return first;
    for (std::size_t j = *first + 1; j < names_.size(); ++j)
        if (names_[j] == name)
            throw error(error_kind::bad_input, "duplicate column '" + std::string(name) + "' (columns " +
                                                   std::to_string(*first + 1) + " and " + std::to_string(j + 1) +
                                                   ") in " + file.string())
                .in_file(file.string())
                .at_line(line_)
                .on_field(std::string(name));
    return first;
}

std::size_t csv_header::require(std::string_view name, const std::filesystem::path& file) const {
    if (auto i = find_unique(name, file)) return *i;
    throw error(error_kind::bad_input, "missing column '" + std::string(name) + "' in " + file.string())
        .in_file(file.string())
        .at_line(line_)
        .on_field(std::string(name));
}

// ---------------------------------------------------------------------------------------------
// csv_chunker


csv_chunker::csv_chunker(std::filesystem::path path, std::size_t chunk_bytes, byte_observer observer,
                         char delimiter, source how)
    : reader_(std::move(path)), chunk_bytes_(std::max<std::size_t>(chunk_bytes, 64)),
      observer_(std::move(observer)), delim_(delimiter) {
    if (how == source::map_if_possible) mapping_ = reader_.map();
    std::string buffer;
    std::string_view text;  // what has been read so far: all of it when mapped
    if (mapping_) {
        text = mapping_->bytes();
    } else {
        read_more(buffer, chunk_bytes_);
        text = buffer;
    }
    std::size_t skip = 0;
    if (text.size() >= 3 && std::memcmp(text.data(), "\xEF\xBB\xBF", 3) == 0) skip = 3;

    csv_parser parser(delim_);
    csv_record rec;
    for (;;) {
        parser.reset(text.substr(skip), 1, eof_ || mapping_ != nullptr);
        csv_status st = parser.next(rec);
        if (st == csv_status::record) break;
        if (st == csv_status::end) {
            if (mapping_) mapping_->check();  // zeros where the file was cut off
            throw error(error_kind::bad_input, "empty file: no header line").in_file(this->path().string());
        }
        read_more(buffer, chunk_bytes_);
        text = buffer;
    }
    if (mapping_) mapping_->check();
    if (!rec.problem().empty())
        throw error(error_kind::bad_input, "malformed header: " + std::string(rec.problem()))
            .in_file(this->path().string())
            .at_line(rec.line());
    header_ = csv_header(std::vector<std::string>(rec.fields().begin(), rec.fields().end()), rec.line());
    header_line_ = rec.line();
    next_line_ = parser.line();
    if (mapping_) {
        mapped_at_ = skip + parser.consumed();
        if (observer_) observer_(text.substr(0, mapped_at_));
        mapping_->check();
    } else {
        pending_.assign(buffer, skip + parser.consumed());
    }
}

void csv_chunker::read_more(std::string& buffer, std::size_t at_least) {
    buffer.resize(read_into(buffer, buffer.size(), at_least));
}

std::size_t csv_chunker::read_into(std::string& buffer, std::size_t filled, std::size_t at_least) {
    if (eof_) return filled;
    // Grows the buffer only when it is too small: resize() zero-fills what it adds, and a reused
    // chunk buffer that was cleared first would be zero-filled in full for every chunk (2% of a
    // transform) only to be overwritten by the read.
    if (buffer.size() < filled + at_least) buffer.resize(filled + at_least);
    std::size_t n = reader_.read(buffer.data() + filled, at_least);
    if (n < at_least) eof_ = true;
    if (observer_ && n > 0) observer_(std::string_view(buffer.data() + filled, n));
    return filled + n;
}

std::size_t csv_chunker::find_cut(std::string_view text) const {
    if (eof_) return text.size();
    if (std::memchr(text.data(), '"', text.size()) == nullptr) {
        // No quotes: every newline ends a record.
        std::size_t nl = text.rfind('\n');
        return nl == std::string_view::npos ? 0 : nl + 1;
    }
    // Quotes may hide newlines: let the parser find where the last complete record ends.
    csv_parser parser(delim_);
    csv_record rec;
    parser.reset(text, 1, false);
    while (parser.next(rec) == csv_status::record) {
    }
    return parser.consumed();
}

bool csv_chunker::next(csv_chunk& out) {
    if (mapping_) return next_mapped(out);
    out.mapping.reset();
    // out.storage keeps its size from its last use: only [0, filled) is this chunk's text.
    std::string& buffer = out.storage;
    std::size_t filled = pending_.size();
    if (buffer.size() < filled) buffer.resize(filled);
    std::memcpy(buffer.data(), pending_.data(), filled);
    out.first_line = next_line_;
    std::size_t cut = 0;
    for (;;) {
        if (!eof_) filled = read_into(buffer, filled, chunk_bytes_ > filled ? chunk_bytes_ - filled : chunk_bytes_);
        cut = find_cut(std::string_view(buffer.data(), filled));
        if (cut > 0 || eof_) break;
        // One record longer than everything read so far: read on.
    }
    pending_.assign(buffer, cut, filled - cut);
    buffer.resize(cut);
    out.text = buffer;
    // A SIMD count: memchr per line was 2% of a transform, on the thread that reads and writes.
    next_line_ += detail::count_byte(out.text.data(), out.text.size(), '\n');
    return !out.text.empty();
}

bool csv_chunker::next_mapped(csv_chunk& out) {
    const std::string_view data = mapping_->bytes();
    const std::string_view rest = data.substr(mapped_at_);
    out.first_line = next_line_;
    std::size_t cut = rest.size();  // the rest of the file, when it fits the window
    std::size_t newlines = std::string_view::npos;  // in [0, cut), when the scan counted them
    for (std::size_t window = chunk_bytes_; window < rest.size(); window *= 2) {
        const std::string_view text = rest.substr(0, window);
        const detail::byte_scan scan = detail::scan_bytes(text.data(), text.size(), '\n', '"');
        if (!scan.found) {
            // Every newline ends a record; none follows the last one, so the count stands.
            const std::size_t last = text.rfind('\n');
            if (last != std::string_view::npos) {
                cut = last + 1;
                newlines = scan.count;
                break;
            }
        } else if ((cut = find_cut(text)) > 0) {
            break;
        }
        cut = rest.size();  // one record longer than the window: widen it
    }
    out.text = rest.substr(0, cut);
    out.mapping = out.text.empty() ? nullptr : mapping_;
    mapped_at_ += cut;
    if (observer_ && !out.text.empty()) observer_(out.text);
    if (newlines == std::string_view::npos) newlines = detail::count_byte(out.text.data(), out.text.size(), '\n');
    next_line_ += newlines;
    // Whatever this thread read of the mapping (the cut, the observer, the count) is trusted
    // only if no page was lost meanwhile.
    mapping_->check();
    return !out.text.empty();
}

// ---------------------------------------------------------------------------------------------
// csv_reader

csv_reader::csv_reader(std::filesystem::path path, std::size_t block_bytes, char delimiter)
    : chunker_(std::move(path), block_bytes, {}, delimiter), parser_(delimiter) {}

bool csv_reader::next() {
    for (;;) {
        if (started_ && parser_.next(record_) == csv_status::record) return true;
        if (!chunker_.next(chunk_)) return false;
        parser_.reset(chunk_.text, chunk_.first_line, true);
        started_ = true;
    }
}

// ---------------------------------------------------------------------------------------------

std::string printable_excerpt(std::string_view text, std::size_t max_bytes) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    std::size_t i = 0;
    while (i < text.size() && out.size() < max_bytes) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7F) {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        // Length of a well-formed UTF-8 sequence starting here (no overlongs or surrogates), or 0.
        std::size_t len = 0;
        if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c >= 0xE0 && c <= 0xEF) len = 3;
        else if (c >= 0xF0 && c <= 0xF4) len = 4;
        bool valid = len != 0 && i + len <= text.size();
        for (std::size_t k = 1; valid && k < len; ++k)
            valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
        if (valid && len == 3) {
            const auto c1 = static_cast<unsigned char>(text[i + 1]);
            valid = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);
        }
        if (valid && len == 4) {
            const auto c1 = static_cast<unsigned char>(text[i + 1]);
            valid = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
        }
        if (valid) {
            out.append(text.substr(i, len));
            i += len;
        } else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
            ++i;
        }
    }
    if (i < text.size()) out += "...";
    return out;
}

void append_csv_field(std::string& out, std::string_view field, char delimiter) {
    bool quote = !field.empty() && (field.front() == ' ' || field.back() == ' ' || field.front() == '\t' ||
                                    field.back() == '\t');
    for (char c : field)
        if (c == delimiter || c == '"' || c == '\n' || c == '\r') {
            quote = true;
            break;
        }
    if (!quote) {
        out.append(field);
        return;
    }
    out.push_back('"');
    for (char c : field) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
}

}  // namespace amlops::data
