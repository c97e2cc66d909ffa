#include "amlops/data/csv.hpp"

#include "amlops/core/error.hpp"
#include "amlops/data/numbers.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace amlops;
using namespace amlops::data;
namespace fs = std::filesystem;

namespace {

struct parsed {
    std::vector<std::string> fields;
    std::uint64_t line;
    std::string raw;
    std::string problem;
};

// Parses a whole in-memory text as the final input (with the fastest instruction set the CPU
// has, or the one given).
std::vector<parsed> parse_all(std::string_view text, detail::csv_simd simd = detail::best_csv_simd()) {
    csv_parser parser(',', simd);
    csv_record rec;
    parser.reset(text, 1, true);
    std::vector<parsed> out;
    while (parser.next(rec) == csv_status::record)
        out.push_back({{rec.fields().begin(), rec.fields().end()}, rec.line(), std::string(rec.raw()),
                       std::string(rec.problem())});
    return out;
}

// Reads a file through csv_reader with a tiny block size, so records straddle blocks.
std::vector<parsed> read_all(const fs::path& file, std::size_t block = 64) {
    csv_reader in(file, block);
    std::vector<parsed> out;
    out.push_back({in.header().names(), 0, "", ""});
    while (in.next())
        out.push_back({{in.record().fields().begin(), in.record().fields().end()}, in.record().line(),
                       std::string(in.record().raw()), std::string(in.record().problem())});
    return out;
}

using strings = std::vector<std::string>;

// xorshift64*: deterministic test values.
struct test_random {
    std::uint64_t state;
    std::uint64_t operator()() noexcept {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 2685821657736338717ull;
    }
};

}  // namespace

TEST_CASE("csv parser splits plain records and tracks lines") {
    auto r = parse_all("a,b,c\n1,2,3\n");
    REQUIRE(r.size() == 2);
    CHECK(r[0].fields == strings{"a", "b", "c"});
    CHECK(r[1].fields == strings{"1", "2", "3"});
    CHECK(r[1].line == 2);
    CHECK(r[1].raw == "1,2,3");
}

TEST_CASE("csv parser handles CRLF, blank lines and a trailing blank line") {
    auto r = parse_all("a,b\r\n\r\n1,2\r\n\n\n3,4\r\n\n");
    REQUIRE(r.size() == 3);
    CHECK(r[1].fields == strings{"1", "2"});
    CHECK(r[1].line == 3);
    CHECK(r[1].raw == "1,2");
    CHECK(r[2].fields == strings{"3", "4"});
    CHECK(r[2].line == 6);
}

TEST_CASE("csv parser: last record without newline, empty fields, short rows") {
    auto r = parse_all("a,b,c\n,,\n1,\nx");
    REQUIRE(r.size() == 4);
    CHECK(r[1].fields == strings{"", "", ""});
    CHECK(r[2].fields == strings{"1", ""});
    CHECK(r[3].fields == strings{"x"});
    CHECK(r[3].line == 4);
}

TEST_CASE("csv parser: quoted fields with delimiters, escaped quotes and newlines") {
    auto r = parse_all("name,note\n\"Smith, J\",\"say \"\"hi\"\"\"\n\"multi\nline\",\"\"\nnext,1\n");
    REQUIRE(r.size() == 4);
    CHECK(r[1].fields == strings{"Smith, J", "say \"hi\""});
    CHECK(r[1].raw == "\"Smith, J\",\"say \"\"hi\"\"\"");
    CHECK(r[2].fields == strings{"multi\nline", ""});
    CHECK(r[2].line == 3);
    CHECK(r[3].line == 5);  // the quoted newline counts as a physical line
    CHECK(r[3].problem.empty());
}

TEST_CASE("csv parser flags malformed quoting but keeps going") {
    auto r = parse_all("a,b\n\"x\"y,2\n3,4\n\"open,5\n6\n");
    REQUIRE(r.size() == 4);
    CHECK(r[1].problem == "unexpected character after closing quote");
    CHECK(r[1].fields == strings{"\"x\"y", "2"});
    CHECK(r[2].problem.empty());
    CHECK(r[2].fields == strings{"3", "4"});
    CHECK(r[3].problem == "unterminated quoted field");
    CHECK(r[3].line == 4);
}

TEST_CASE("csv parser asks for more text when a record is cut") {
    csv_parser parser;
    csv_record rec;
    parser.reset("a,b\n1,\"x\ny", 1, false);
    REQUIRE(parser.next(rec) == csv_status::record);
    CHECK(parser.next(rec) == csv_status::need_more);
    CHECK(parser.consumed() == 4);
    CHECK(parser.line() == 2);
    parser.reset("1,\"x\ny\"\n", 2, true);
    REQUIRE(parser.next(rec) == csv_status::record);
    CHECK(rec[1] == "x\ny");
    CHECK(parser.next(rec) == csv_status::end);
    CHECK(parser.line() == 4);
}

TEST_CASE("csv_reader: BOM, CRLF, quotes across tiny blocks, line numbers") {
    test::scratch_dir dir("csv");
    std::string text = "\xEF\xBB\xBF" "id,text,value\r\n"
                       "1,\"a, \"\"quoted\"\"\r\nvalue that is long enough to cross blocks\",3.5\r\n"
                       "\r\n"
                       "2,plain,4\r\n"
                       "3,,\r\n"
                       "\r\n";
    test::write_text(dir / "in.csv", text);
    for (std::size_t block : {64, 7, 4096}) {
        auto r = read_all(dir / "in.csv", block);
        REQUIRE(r.size() == 4);
        CHECK(r[0].fields == strings{"id", "text", "value"});
        CHECK(r[1].fields == strings{"1", "a, \"quoted\"\r\nvalue that is long enough to cross blocks", "3.5"});
        CHECK(r[1].line == 2);
        CHECK(r[2].fields == strings{"2", "plain", "4"});
        CHECK(r[2].line == 5);
        CHECK(r[3].fields == strings{"3", "", ""});
        CHECK(r[3].line == 6);
    }
}

TEST_CASE("csv_reader: header lookup and errors") {
    test::scratch_dir dir("csv");
    test::write_text(dir / "in.csv", "x,y\n1,2\n");
    csv_reader in(dir / "in.csv");
    CHECK(in.header().require("y", dir / "in.csv") == 1);
    CHECK_FALSE(in.header().find("z"));
    try {
        in.header().require("z", dir / "in.csv");
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::bad_input);
        CHECK(std::string(e.what()).find("missing column 'z'") != std::string::npos);
        CHECK(std::string(e.what()).find("in.csv") != std::string::npos);
    }

    test::write_text(dir / "empty.csv", "\n\r\n");
    CHECK_THROWS_WITH(csv_reader(dir / "empty.csv"), Catch::Contains("no header"));
    try {
        csv_reader(dir / "absent.csv");
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::not_found);
    }
}

TEST_CASE("csv_chunker cuts at record boundaries and reports first lines") {
    const auto how = GENERATE(csv_chunker::source::read, csv_chunker::source::map_if_possible);
    test::scratch_dir dir("csv");
    std::string text = "a,b\n";
    for (int i = 0; i < 200; ++i)
        text += (i % 17 == 0) ? "\"q\n" + std::to_string(i) + "\",x\n" : std::to_string(i) + ",y\n";
    text += "\"last\nrecord longer than one chunk: " + std::string(300, 'z') + "\",end";  // no terminator
    test::write_text(dir / "in.csv", text);
    std::string seen;
    csv_chunker chunker(dir / "in.csv", 100, [&](std::string_view b) { seen.append(b); }, ',', how);
    CHECK(chunker.mapped() == (how == csv_chunker::source::map_if_possible));
    csv_chunk chunk;
    csv_parser parser;
    csv_record rec;
    int rows = 0;
    std::uint64_t expected_line = 2;
    while (chunker.next(chunk)) {
        CHECK(chunk.first_line == expected_line);
        parser.reset(chunk.text, chunk.first_line, true);
        while (parser.next(rec) == csv_status::record) {
            CHECK(rec.problem().empty());
            CHECK(rec.line() == expected_line);
            expected_line += (rows % 17 == 0 || rows == 200) ? 2 : 1;
            ++rows;
        }
        chunk.check_source();
    }
    CHECK(rows == 201);
    CHECK(seen == text);  // the observer saw every byte once, in order
    CHECK(chunk.text.empty());
}

TEST_CASE("append_csv_field quotes only when needed") {
    std::string out;
    append_csv_field(out, "plain");
    out += ',';
    append_csv_field(out, "a,b");
    out += ',';
    append_csv_field(out, "say \"x\"");
    CHECK(out == "plain,\"a,b\",\"say \"\"x\"\"\"");
    auto r = parse_all(out);
    REQUIRE(r.size() == 1);
    CHECK(r[0].fields == strings{"plain", "a,b", "say \"x\""});
}

TEST_CASE("numbers parse strictly and print shortest round-trip") {
    double d;
    CHECK(parse_double(" 1.5 ", d));
    CHECK(d == 1.5);
    CHECK(parse_double("+2", d));
    CHECK(d == 2);
    CHECK(parse_double(".00", d));
    CHECK(d == 0);
    CHECK(parse_double("-73.98726654052734", d));
    CHECK_FALSE(parse_double("", d));
    CHECK_FALSE(parse_double("1.5x", d));
    CHECK_FALSE(parse_double("+-1", d));
    std::int64_t i;
    CHECK(parse_int("42", i));
    CHECK(i == 42);
    CHECK_FALSE(parse_int("4.2", i));
    std::string s;
    append_double(s, 6.0);
    s += ' ';
    append_double(s, 0.1);
    s += ' ';
    append_double(s, -73.98726654052734);
    CHECK(s == "6 0.1 -73.98726654052734");
}

namespace {

// parse_double (with and without the shortest flag) gives exactly what std::from_chars gives
// for `text`, and "shortest" only when text is what std::to_chars writes. Returns that flag.
bool check_parse(const std::string& text) {
    double ours = 0, theirs = 0;
    bool ok = parse_double(text, ours);
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), theirs);
    bool std_ok = ec == std::errc() && ptr == text.data() + text.size();
    if (ok != std_ok || (ok && std::bit_cast<std::uint64_t>(ours) != std::bit_cast<std::uint64_t>(theirs)))
        FAIL_CHECK("parse " << text);
    bool shortest = false;
    double again = 0;
    if (parse_double(text, again, shortest) != ok || (ok && std::bit_cast<std::uint64_t>(again) != std::bit_cast<std::uint64_t>(theirs)))
        FAIL_CHECK("parse with shortest flag " << text);
    char buf[max_number_chars];
    if (shortest && std::string_view(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, again).ptr - buf)) != text)
        FAIL_CHECK("not shortest: " << text);
    return shortest;
}

}  // namespace

TEST_CASE("number fast paths agree with std::from_chars / std::to_chars exactly") {
    test_random next{12345};
    auto check_format = [](double v) {
        char ours[max_number_chars], theirs[max_number_chars];
        std::string_view a(ours, static_cast<std::size_t>(format_double(ours, v) - ours));
        std::string_view b(theirs, static_cast<std::size_t>(std::to_chars(theirs, theirs + sizeof theirs, v).ptr - theirs));
        if (a != b) FAIL_CHECK("format " << b << ": got " << a);
    };
    for (double v : {0.0, -0.0, 1.0, 6.0, 0.1, 0.5, 1e-7, 9.9e-8, 1e-5, 1e-4, 0.001, 100.0, 1e4, 1e5, 123456.0,
                     1e14, 1e15, 999999999999999.0, 99999999999999.9, 4.35, -73.98726654052734, 40.6938362121582,
                     1.0 / 3.0, 2.0 / 3.0, 1e22, 1e23, 5e-324, 1.7976931348623157e308})
        check_format(v);
    for (int i = 0; i < 300000; ++i) {
        // Short decimals at many scales: mantissa of 1..17 digits, 0..20 fraction digits.
        int digits = 1 + static_cast<int>(next() % 19);
        std::uint64_t mant = next() % static_cast<std::uint64_t>(std::pow(10.0, digits));
        int frac = static_cast<int>(next() % 21);
        // Built with append(): GCC 12 reports a false -Wrestrict for insert() here.
        std::string body = std::to_string(mant);
        if (static_cast<int>(body.size()) <= frac)
            body = std::string(static_cast<std::size_t>(frac) - body.size() + 1, '0').append(body);
        const std::size_t point = body.size() - static_cast<std::size_t>(frac);
        std::string text(next() % 2 ? "-" : "");
        text.append(body, 0, point);
        if (frac > 0) text.append(".").append(body, point, std::string::npos);
        check_parse(text);
        double v = 0;
        std::from_chars(text.data(), text.data() + text.size(), v);
        check_format(v);
        // Arbitrary doubles, including ones needing 16-17 digits.
        double r = std::bit_cast<double>(next());
        if (std::isfinite(r)) check_format(r);
        check_format(static_cast<double>(static_cast<float>(v)));  // float32 data widened
    }
    // The 16-19 digit exactness proofs (correct rounding by stepping, the one-digit-shorter
    // neighbours, the closest-decimal test) on doubles of every mantissa, not just float32 ones:
    // their shortest text, the text one unit off in the last digit, and the fixed 17-digit text.
    for (int i = 0; i < 100000; ++i) {
        const auto bits = (std::uint64_t{0x3F7} + next() % 0x3F) << 52 | (next() & ((std::uint64_t{1} << 52) - 1));
        const double v = std::bit_cast<double>(bits);  // in [2^-8, 2^55): the fast paths' exponent range
        char buf[max_number_chars];
        std::string text(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
        check_parse(text);
        if (text.find('e') == std::string::npos && text.back() < '9') {
            ++text.back();
            check_parse(text);
        }
        text.assign(buf, std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 17).ptr);
        check_parse(text);
    }
    // format_double_like with any source text writes what to_chars writes.
    auto check_like = [](double v, const std::string& source) {
        char ours[max_number_chars], theirs[max_number_chars];
        std::string_view a(ours, static_cast<std::size_t>(format_double_like(ours, v, source) - ours));
        std::string_view b(theirs, static_cast<std::size_t>(std::to_chars(theirs, theirs + sizeof theirs, v).ptr - theirs));
        if (a != b) FAIL_CHECK("format_like " << b << " from '" << source << "': got " << a);
    };
    for (int i = 0; i < 300000; ++i) {
        double v = static_cast<double>(static_cast<float>(static_cast<double>(next() % 2000000) / 1e4 - 100.0));
        if (i % 3 == 1) v = static_cast<double>(static_cast<float>(static_cast<double>(next() % 100000000) / 1e6 - 74.0));  // coordinates
        if (i % 3 == 2) v = static_cast<double>(next() % 100000) / 100.0;                                                 // fares
        char buf[max_number_chars];
        std::string shortest(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
        check_like(v, shortest);
        check_parse(shortest);
        check_like(v, " " + shortest + " ");
        for (int precision : {15, 16, 17}) {  // longer spellings of the same value
            std::string longer(buf, std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, precision).ptr);
            check_like(v, longer);
            check_parse(longer);
            while (longer.back() == '0') longer.pop_back();
            check_like(v, longer);
            check_parse(longer);
            check_like(std::nextafter(v, 1e300), longer);  // text of a different value
        }
        check_like(v, std::to_string(i));
        check_like(v, "");
    }
    for (const char* s : {"0.1", "-0.5", "100000", "1000", "0.0001", "0.001", "5", "05", "5.", ".5", "-0", "0", "1e5"}) {
        double v = 0;
        std::from_chars(s, s + std::strlen(s), v);
        check_like(v, s);
    }
    char lb[max_number_chars];
    CHECK(format_double_like(lb, 40.688682556152344, "40.688682556152344") - lb == 18);
    CHECK(detail::is_shortest_text(40.688682556152344, "40.688682556152344"));
    CHECK(detail::is_shortest_text(-73.96475219726562, "-73.96475219726562"));
    CHECK_FALSE(detail::is_shortest_text(0.1, "0.10000000000000001"));
    bool shortest = false;
    double d = 0;
    CHECK((parse_double(" -73.96475219726562 ", d, shortest) && shortest));
    CHECK((parse_double("4.5", d, shortest) && shortest));
    CHECK((parse_double("4.50", d, shortest) && !shortest));
    CHECK((parse_double("+4.5", d, shortest) && !shortest));
    CHECK((parse_double("1e5", d, shortest) && !shortest));

    // The fast paths do take the common cases (the agreement above is not vacuous).
    char buf[max_number_chars];
    for (double v : {4.5, 0.83, 12.25, 0.0125, 40.75786209, 999999999999999.0}) CHECK(detail::format_short_decimal(buf, v));
    for (double v : {-73.98726654052734, 1e15, 1e-8, 1e-5, 100000.0}) CHECK_FALSE(detail::format_short_decimal(buf, v));
    CHECK(detail::parse_plain_decimal("-73.98726654052734", d));
    CHECK(detail::parse_plain_decimal("40.764835357666016", d));  // 17 digits: exact stepping
    CHECK(d == 40.764835357666016);
    for (const char* text : {"1e5", "nan", "inf", "-", ".", "", "1.", ".5", "-.5", "00012.500", "18446744073709551616",
                             "9007199254740993", "0.30000000000000004", "1.0000000000000000000001"})
        check_parse(text);
}

TEST_CASE("number fast paths: adversarial decimals at the edges of the exactness proofs") {
    // The decimals nearest to the midpoint between a double and its neighbours (where correct
    // rounding and the one-digit-shorter neighbours are decided by a single unit), cut to 16-19
    // significant digits, on both sides and exactly on it when it is that short. The midpoint
    // (a 54-bit mantissa) is exact in x87 long double and printf prints it exactly.
    auto midpoint_texts = [](double v, double toward) {
        const long double mid = (static_cast<long double>(v) + static_cast<long double>(std::nextafter(v, toward))) / 2;
        char exact[128];
        std::snprintf(exact, sizeof exact, "%.70Lf", mid);
        std::string full(exact);
        while (full.back() == '0') full.pop_back();
        std::vector<std::string> texts;
        const std::size_t first = full.find_first_not_of("-0.");
        for (std::size_t significant = 16; significant <= 19; ++significant) {
            std::string cut;
            std::size_t taken = 0;
            for (std::size_t i = 0; i < full.size() && (taken < significant || full[i] == '.'); ++i) {
                if (i >= first && full[i] != '.') ++taken;
                if (full[i] == '.' && taken >= significant) break;
                cut += full[i];
            }
            if (cut.find('.') == std::string::npos) continue;  // an integer part longer than `significant`
            texts.push_back(cut);  // the midpoint when it has <= significant digits, else just toward zero
            std::string up = cut;  // one unit of the last digit further from zero
            for (std::size_t i = up.size(); i-- > 0;) {
                if (up[i] == '.' || up[i] == '-') continue;
                if (up[i] != '9') {
                    ++up[i];
                    break;
                }
                up[i] = '0';
            }
            texts.push_back(up);
        }
        return texts;
    };
    test_random next{2026};
    std::vector<double> values;
    for (int e = -8; e <= 53; ++e) values.push_back(std::ldexp(1.0, e));  // M = 2^52: the asymmetric interval
    for (int i = 0; i < 4000; ++i) {
        // float32 coordinates widened (the common case), doubles of any mantissa, fares.
        values.push_back(static_cast<double>(static_cast<float>(static_cast<double>(next() % 100000000) / 1e6 - 74.0)));
        values.push_back(std::bit_cast<double>((std::uint64_t{0x3F7} + next() % 0x3F) << 52 | (next() & ((std::uint64_t{1} << 52) - 1))));
        values.push_back(static_cast<double>(next() % 10000000) / 100.0);
    }
    for (double v : values) {
        for (double sign : {1.0, -1.0}) {
            const double w = sign * v;
            for (double toward : {0.0, 2 * w}) {
                if (w == 0 || std::abs(w) >= 1e19) continue;
                for (const auto& text : midpoint_texts(w, toward)) check_parse(text);
            }
            char buf[max_number_chars];
            for (int precision = 15; precision <= 19; ++precision) {  // 16-digit neighbours of 17-digit forms
                std::string text(buf, std::to_chars(buf, buf + sizeof buf, w, std::chars_format::general, precision).ptr);
                check_parse(text);
                text.assign(buf, std::to_chars(buf, buf + sizeof buf, w, std::chars_format::fixed, precision).ptr);
                check_parse(text);
            }
        }
    }
    // Around 2^53 (where the digits stop being exact doubles) with the point anywhere.
    for (std::uint64_t digits = 9007199254740980ull; digits <= 9007199254741010ull; ++digits) {
        const std::string body = std::to_string(digits);
        for (std::size_t point = 1; point < body.size(); ++point) {
            // Built with append(): GCC 12 reports a false -Wrestrict for operator+ here.
            std::string text("-");
            text.append(body, 0, point).append(".").append(body, point, std::string::npos);
            check_parse(text);
            check_parse(text.substr(1));
        }
        check_parse(body);
        check_parse(std::string(body).append("0"));
    }
    // Zeros, integers, trailing zeros, leading zeros: all shapes the fast paths must hand on.
    for (const char* text : {"0", "-0", "0.0", "-0.0", "0.00000000000000", "-0.0000000000000000", "00.000000000",
                             "0.000000000000000001", "0.0000000000000001", "1", "-1", "73", "100", "9007199254740992",
                             "40.68868255615234400", "-73.9647521972656200", "1.50", "40.000000000000000",
                             "040.68868255615234", "-073.96475219726562", "0.6886825561523438", "-0.6886825561523438",
                             "123.4567890123456789", "999.9999999999999999", "1.000000000000000", "1.0000000000000001",
                             "4.5", "0.1", "-.5", "1.", "-", "-.", "40,688682556152344", "40.688682556152344e0", "4O.688682556152344", "40.6886825561523-4"})
        check_parse(text);
    // Every byte of a coordinate replaced by bytes that are not digits (or that borrow and carry
    // in the 8-byte digit tests): parsing must still agree with from_chars.
    for (std::string base : {"-73.96475219726562", "40.688682556152344", "-7.123456789", "123.4567890123456789"}) {
        for (std::size_t i = 0; i < base.size(); ++i)
            for (char bad : {'.', '-', '/', ':', ' ', 'e', '\0', '\xff', '\x80', '\x7f', '\x2e', '\x3a'}) {
                std::string text = base;
                text[i] = bad;
                if (text.front() != ' ' && text.back() != ' ') check_parse(text);  // blanks are trimmed by design
            }
    }
    // Every text of 1-5 bytes over digits, point and bytes next to them (the amount path and
    // the general one must both agree with from_chars).
    auto every_text = [](const std::string& alphabet, std::size_t length, auto&& visit) {
        std::vector<std::size_t> at(length, 0);
        std::string text(length, alphabet[0]);
        for (;;) {
            visit(text);
            std::size_t i = 0;
            while (i < length && ++at[i] == alphabet.size()) {
                at[i] = 0;
                text[i] = alphabet[0];
                ++i;
            }
            if (i == length) return;
            text[i] = alphabet[at[i]];
        }
    };
    auto check = [](const std::string& text) { check_parse(text); };
    for (std::size_t length = 1; length <= 4; ++length) every_text("0123456789.-/:e", length, check);
    every_text("01259.-/:", 5, check);
    for (const char* amount : {"0.5", "20.91", "5.14", "0.3", "1.1", "0.05", "0.001", "999.9"}) CHECK(check_parse(amount));
    for (const char* amount : {"0.0", "1.0", "00.5", "1.50", "0.00", "05.1"}) CHECK_FALSE(check_parse(amount));
    // The fast paths read only inside the cell (a CSV block is not padded): each text sits alone
    // in a heap block of exactly its size, where AddressSanitizer builds catch a read past
    // either end (a std::string would hide it in its inline buffer or its terminating NUL).
    for (std::size_t length = 1; length <= 24; ++length) {
        for (int i = 0; i < 300; ++i) {
            std::string text;
            for (std::size_t k = 0; k < length; ++k) text += static_cast<char>('0' + next() % 10);
            if (i % 3 > 0 && length > 1) text[1 + next() % std::min<std::size_t>(length - 1, 4)] = '.';
            if (i % 2 > 0) text[0] = '-';
            const auto block = std::make_unique<char[]>(length);
            std::memcpy(block.get(), text.data(), length);
            double ours = 0, theirs = 0;
            bool shortest = false;
            const bool ok = parse_double(std::string_view(block.get(), length), ours, shortest);
            const auto [ptr, ec] = std::from_chars(text.data(), text.data() + length, theirs);
            if (ok != (ec == std::errc() && ptr == text.data() + length) ||
                (ok && std::bit_cast<std::uint64_t>(ours) != std::bit_cast<std::uint64_t>(theirs)))
                FAIL_CHECK("parse in an exact-size block: " << text);
        }
    }
    // The fast path does settle the common case (agreement above is not vacuous): float32
    // coordinates printed shortest are recognised as shortest.
    int recognised = 0;
    for (int i = 0; i < 1000; ++i) {
        const double v = static_cast<double>(static_cast<float>(static_cast<double>(next() % 100000000) / 1e6 - 74.0));
        char buf[max_number_chars];
        const std::string text(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
        recognised += check_parse(text);
    }
    CHECK(recognised == 1000);
}

TEST_CASE("format_int writes what std::to_chars writes") {
    auto check = [](std::int64_t v) {
        char ours[max_number_chars], theirs[max_number_chars];
        const std::string_view a(ours, static_cast<std::size_t>(format_int(ours, v) - ours));
        const std::string_view b(theirs, static_cast<std::size_t>(std::to_chars(theirs, theirs + sizeof theirs, v).ptr - theirs));
        if (a != b) FAIL_CHECK(b << ": got " << a);
    };
    for (std::int64_t v = -1000; v <= 100000; ++v) check(v);
    for (std::int64_t v : {INT64_MIN, INT64_MAX, std::int64_t{-1} << 40, std::int64_t{1} << 53}) check(v);
}

TEST_CASE("number parsing agrees with std::from_chars on malformed text of every length") {
    // The digit scanner reads 8 bytes at a time and finishes a short run from one load ending at
    // the text's end: a stray byte anywhere (also bytes whose +6 carries, like 0xFF) must still
    // end the run exactly where from_chars sees it end.
    test_random next{777};
    static constexpr char alphabet[] = "0123456789012345678901234567890123456789..--+e :/\xff\xfa\x2f\x3a";
    for (int i = 0; i < 400000; ++i) {
        const std::size_t length = 1 + next() % 24;
        std::string text;
        for (std::size_t k = 0; k < length; ++k) text += alphabet[next() % (sizeof alphabet - 1)];
        if (i % 2) {  // mostly digits, one stray byte: the interesting case
            for (auto& c : text) c = static_cast<char>('0' + next() % 10);
            if (next() % 4 == 0) text[next() % length] = '.';
            text[next() % length] = alphabet[40 + next() % (sizeof alphabet - 41)];
        }
        double ours = 0, theirs = 0;
        const bool ok = parse_double(text, ours);
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), theirs);
        const bool std_ok = ec == std::errc() && ptr == text.data() + text.size() && text.front() != '+';
        bool shortest = false;
        double again = 0;
        const bool ok_shortest = parse_double(text, again, shortest);
        if (text.front() == '+' || text.front() == ' ' || text.back() == ' ') continue;  // trimmed / '+' forms differ from from_chars by design
        if (ok != std_ok || (ok && std::bit_cast<std::uint64_t>(ours) != std::bit_cast<std::uint64_t>(theirs)))
            FAIL_CHECK("parse '" << text << "'");
        if (ok_shortest != ok || (ok && std::bit_cast<std::uint64_t>(again) != std::bit_cast<std::uint64_t>(theirs)))
            FAIL_CHECK("parse with shortest flag '" << text << "'");
        char buf[max_number_chars];
        if (shortest && std::string_view(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, again).ptr - buf)) != text)
            FAIL_CHECK("not shortest: '" << text << "'");
    }
}

// Every instruction set the parser can use on this build and CPU (portable first).
std::vector<detail::csv_simd> supported_simd() {
    std::vector<detail::csv_simd> levels;
    for (auto s : {detail::csv_simd::portable, detail::csv_simd::sse2, detail::csv_simd::avx2})
        if (detail::csv_simd_supported(s)) levels.push_back(s);
    return levels;
}

TEST_CASE("csv line masks: the SIMD versions agree with the portable loop") {
    const auto levels = supported_simd();
    INFO(levels.size() << " instruction sets");
    test_random next{99};
    static constexpr char alphabet[] = ",,,\n\"\r;ab9 \t\x80\xff";
    char block[64];
    for (int i = 0; i < 20000; ++i) {
        for (char& c : block) c = alphabet[next() % (sizeof alphabet - 1)];
        for (char delim : {',', ';', '\t'}) {
            const auto plain = detail::line_masks_portable(block, delim);
            for (auto level : levels) {
                const auto simd = detail::line_masks(block, delim, level);
                if (simd.delim != plain.delim || simd.newline != plain.newline || simd.special != plain.special)
                    FAIL_CHECK("masks differ for block " << i << " delimiter '" << delim << "' instruction set "
                                                         << static_cast<int>(level));
            }
            const auto sse = detail::line_masks(block, delim);
            CHECK((sse.delim == plain.delim && sse.newline == plain.newline && sse.special == plain.special));
        }
    }
    CHECK(detail::line_masks_portable(",\n\"\rxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", ',').special == 0b1100);
}

TEST_CASE("count_byte: the SIMD count agrees with the portable loop at every length and offset") {
    test_random next{31};
    std::string text(9000, 'x');
    for (char& c : text) c = "\n\nab,\xff"[next() % 6];
    text.append(std::string(70000, '\n'));  // long runs: more than 255 hits per byte counter
    for (std::size_t offset : {0, 1, 7, 15, 16, 17}) {
        for (std::size_t n = 0; n < 300; ++n)
            CHECK(detail::count_byte(text.data() + offset, n, '\n') == detail::count_byte_portable(text.data() + offset, n, '\n'));
        CHECK(detail::count_byte(text.data() + offset, text.size() - offset, '\n') ==
              detail::count_byte_portable(text.data() + offset, text.size() - offset, '\n'));
    }
    CHECK(detail::count_byte(text.data() + 9000, 70000, '\n') == 70000);
    CHECK(detail::count_byte(text.data(), text.size(), '\xff') == detail::count_byte_portable(text.data(), text.size(), '\xff'));
}

TEST_CASE("csv parser: records of every shape and length give the fields they were built from") {
    // Lines longer and shorter than the one-line fast path's 64-byte blocks, next to lines it
    // must leave to the general parser (quotes, CRLF, blank lines) and near the end of the text.
    test_random next{4242};
    for (int round = 0; round < 300; ++round) {
        std::string text;
        std::vector<parsed> expected;
        std::uint64_t line = 1;
        const int records = 1 + static_cast<int>(next() % 12);
        for (int r = 0; r < records; ++r) {
            if (next() % 5 == 0) {  // blank line (LF or CRLF)
                text += next() % 2 ? "\n" : "\r\n";
                ++line;
            }
            parsed rec{{}, line, "", ""};
            const int fields = 1 + static_cast<int>(next() % 30);
            const bool crlf = next() % 6 == 0;
            std::uint64_t newlines = 0;
            for (int f = 0; f < fields; ++f) {
                if (f > 0) rec.raw += ',';
                std::string value;
                const std::size_t length = next() % 4 == 0 ? next() % 70 : next() % 8;
                for (std::size_t k = 0; k < length; ++k) value += "ab12.- x"[next() % 8];
                if (fields == 1 && value.empty()) value.push_back('x');  // an empty line is blank, not a record
                if (next() % 25 == 0) {  // a quoted field with a comma, a newline and an escaped quote
                    value += ",\n\"";
                    ++newlines;
                    // append(), not operator+: GCC 12 reports a false -Wrestrict for the chain.
                    rec.raw.append("\"").append(value, 0, value.size() - 1).append("\"\"\"");
                } else {
                    rec.raw += value;
                }
                rec.fields.push_back(value);
            }
            text += rec.raw;
            line += newlines;
            const bool last = r + 1 == records;
            if (!last || next() % 2) {
                text += crlf ? "\r\n" : "\n";
                ++line;
            }
            expected.push_back(rec);
        }
        for (auto level : supported_simd()) {
            const auto got = parse_all(text, level);
            REQUIRE(got.size() == expected.size());
            for (std::size_t i = 0; i < got.size(); ++i) {
                INFO("round " << round << " record " << i << " instruction set " << static_cast<int>(level));
                CHECK(got[i].fields == expected[i].fields);
                CHECK(got[i].raw == expected[i].raw);
                CHECK(got[i].line == expected[i].line);
                CHECK(got[i].problem.empty());
            }
        }
    }
}

TEST_CASE("csv_reader over any block size matches parsing the whole text at once") {
    test::scratch_dir dir("csv");
    std::uint64_t state = 99;
    auto next = [&] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    const char alphabet[] = {'a', 'b', ',', ',', '"', '\n', '\n', '\r', ' ', '1'};
    for (int round = 0; round < 300; ++round) {
        std::string text = "h1,h2\n";
        std::size_t len = next() % 400;
        for (std::size_t i = 0; i < len; ++i) text += alphabet[next() % sizeof alphabet];
        test::write_text(dir / "in.csv", text);
        auto whole = parse_all(text);
        for (std::size_t block : {64, 65, 100, 1 << 20}) {
            auto chunked = read_all(dir / "in.csv", block);
            REQUIRE(chunked.size() == whole.size());
            for (std::size_t i = 1; i < whole.size(); ++i) {
                INFO("round " << round << " block " << block << " record " << i);
                CHECK(chunked[i].fields == whole[i].fields);
                CHECK(chunked[i].line == whole[i].line);
                CHECK(chunked[i].raw == whole[i].raw);
                CHECK(chunked[i].problem == whole[i].problem);
            }
        }
    }
}

TEST_CASE("csv parser: every instruction set splits like the portable loop, at 16/32/64-byte boundaries") {
    // Lines whose ends, delimiters, quotes and CRs fall on either side of the 16-, 32- and 64-byte
    // compare widths (and of the 64-byte blocks the fast path keeps between records), then random
    // malformed text; every supported instruction set must give the portable parser's records.
    const auto levels = supported_simd();
    auto same_as_portable = [&](const std::string& text, const std::string& what) {
        const auto expected = parse_all(text, detail::csv_simd::portable);
        for (auto level : levels) {
            const auto got = parse_all(text, level);
            INFO(what << " instruction set " << static_cast<int>(level));
            REQUIRE(got.size() == expected.size());
            for (std::size_t i = 0; i < got.size(); ++i) {
                INFO("record " << i);
                CHECK(got[i].fields == expected[i].fields);
                CHECK(got[i].raw == expected[i].raw);
                CHECK(got[i].line == expected[i].line);
                CHECK(got[i].problem == expected[i].problem);
            }
        }
    };
    const std::vector<std::string> shapes = {"x", ",", ",,", "\"q\"", "\"a,b\"", "\"a\"\"b\"", "\"multi\nline\"", "e\r",
                                             "", "1.5", "\"x\"y", "\"open"};
    for (std::size_t length : {15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 95, 127, 128, 129}) {
        for (std::size_t s = 0; s < shapes.size(); ++s) {
            // A run of plain lines of `length` bytes, one with the shape at its end, a CRLF line,
            // a line with an empty last field, then more plain lines and a last line without "\n".
            std::string plain(length, 'a');
            for (std::size_t k = 3; k < length; k += 7) plain[k] = ',';
            std::string text;
            for (int r = 0; r < 3; ++r) text += plain + "\n";
            std::string shaped = plain.substr(0, length > shapes[s].size() ? length - shapes[s].size() : 0) + shapes[s];
            text += shaped + "\n" + plain + "\r\n" + plain + ",\n";
            for (int r = 0; r < 3; ++r) text += plain + "\n";
            text += shaped;
            same_as_portable(text, "length " + std::to_string(length) + " shape " + std::to_string(s));
            same_as_portable(text.substr(1), "shifted, length " + std::to_string(length) + " shape " + std::to_string(s));
        }
    }
    test_random next{777};
    static constexpr char alphabet[] = "abc,,,,\n\n\"\r 1";
    for (int round = 0; round < 2000; ++round) {
        std::string text(next() % 300, 'x');
        for (char& c : text) c = next() % 4 == 0 ? alphabet[next() % (sizeof alphabet - 1)] : "ab1."[next() % 4];
        same_as_portable(text, "random text " + std::to_string(round));
    }
}
