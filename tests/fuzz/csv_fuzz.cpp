// libFuzzer target for the CSV reader: any bytes must split into records without crashing or
// reading out of bounds (ASan/UBSan), and the chunked parse (text cut anywhere, the first part
// parsed as non-final, as csv_chunker does) must give exactly the records of a whole-text parse.
// Every field also goes through the number parser and the error-message excerpt, which must
// always be valid UTF-8.
#include "amlops/data/csv.hpp"
#include "amlops/data/numbers.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct flat_record {
    std::vector<std::string> fields;
    std::uint64_t line;
    std::string problem;
    bool operator==(const flat_record&) const = default;
};

std::vector<flat_record> parse_all(std::string_view text, std::size_t cut) {
    std::vector<flat_record> out;
    amlops::data::csv_parser parser;
    amlops::data::csv_record rec;
    auto take = [&] {
        flat_record f{{rec.fields().begin(), rec.fields().end()}, rec.line(), std::string(rec.problem())};
        out.push_back(std::move(f));
    };
    std::size_t base = 0;
    std::uint64_t line = 1;
    if (cut < text.size()) {  // first piece: not final, like a block of a larger file
        parser.reset(text.substr(0, cut), 1, false);
        amlops::data::csv_status st;
        while ((st = parser.next(rec)) == amlops::data::csv_status::record) take();
        base = parser.consumed();
        line = parser.line();
    }
    parser.reset(text.substr(base), line, true);
    while (parser.next(rec) == amlops::data::csv_status::record) take();
    return out;
}

bool valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (len == 0 || i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    // First byte picks where to cut; the rest is the CSV text.
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::size_t cut = text.empty() ? 0 : data[0] % (text.size() + 1);
    const auto whole = parse_all(text, text.size());
    if (parse_all(text, cut) != whole) __builtin_trap();
    for (const auto& r : whole)
        for (const auto& f : r.fields) {
            double v;
            (void)amlops::data::parse_double(f, v);
            (void)amlops::data::is_overflowing_number(f);
            if (!valid_utf8(amlops::data::printable_excerpt(f, 60))) __builtin_trap();
        }
    return 0;
}
