// The bad-input matrix: damaged copies of aml-datagen output (and of the feature tables and model
// aml-transform/aml-train make from it) fed to transform, train, score, compare, predict (CSV and
// scoring payloads) and register. Every case asserts the exit code, the message (file, line,
// field), the rejects and that every good row survives. The cases and their outcomes are written
// to $AMLOPS_TEST_TMP/badinput-matrix.md (the table of the issue's closing note).
#include "amlops/core/json.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace amlops;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) out.push_back(line);
    return out;
}

std::string join_lines(const std::vector<std::string>& lines, const std::string& eol = "\n") {
    std::string out;
    for (const auto& l : lines) out += l + eol;
    return out;
}

std::vector<std::string> split_fields(const std::string& line) {
    std::vector<std::string> out(1);
    for (char c : line) {
        if (c == ',') out.emplace_back();
        else out.back() += c;
    }
    return out;
}

std::string join_fields(const std::vector<std::string>& f) {
    std::string out;
    for (std::size_t i = 0; i < f.size(); ++i) out += (i ? "," : "") + f[i];
    return out;
}

// A CSV as header + rows of fields (the generated files have no quoted fields).
struct csv_text {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;

    static csv_text parse(const std::string& text) {
        csv_text t;
        auto lines = split_lines(text);
        t.header = split_fields(lines.at(0));
        for (std::size_t i = 1; i < lines.size(); ++i)
            if (!lines[i].empty()) t.rows.push_back(split_fields(lines[i]));
        return t;
    }
    std::size_t col(const std::string& name) const {
        auto it = std::find(header.begin(), header.end(), name);
        REQUIRE(it != header.end());
        return static_cast<std::size_t>(it - header.begin());
    }
    std::string text(const std::string& eol = "\n") const {
        std::vector<std::string> lines{join_fields(header)};
        for (const auto& r : rows) lines.push_back(join_fields(r));
        return join_lines(lines, eol);
    }
    // Physical line of data row i (header on line 1, no embedded newlines).
    static std::uint64_t line_of(std::size_t i) { return i + 2; }
};

// One row of the closing-note table.
struct matrix_row {
    std::string tool, name;
    int exit_code;
    std::string message;
};

std::vector<matrix_row>& matrix() {
    static std::vector<matrix_row> rows;
    return rows;
}

void write_matrix() {
    const char* base = std::getenv("AMLOPS_TEST_TMP");
    fs::path dir = base ? fs::path(base) : fs::temp_directory_path();
    fs::create_directories(dir);
    std::ofstream out(dir / "badinput-matrix.md");
    out << "| tool | case | exit | message |\n|---|---|---|---|\n";
    for (const auto& r : matrix()) {
        std::string m = r.message;
        std::replace(m.begin(), m.end(), '|', '/');
        std::replace(m.begin(), m.end(), '\n', ' ');
        out << "| " << r.tool << " | " << r.name << " | " << r.exit_code << " | " << m << " |\n";
    }
}

// The tool's JSON result (stdout) as "file:line: field 'f': message" for the table.
std::string outcome_message(const test::run_result& r) {
    try {
        auto doc = json::parse(r.out, "stdout").as_object();
        if (const auto* e = doc.if_contains("error")) {
            const auto& o = e->as_object();
            std::string m;
            if (const auto* f = o.if_contains("file")) m += fs::path(std::string(f->as_string())).filename().string();
            if (const auto* l = o.if_contains("line")) m += ":" + std::to_string(l->to_number<std::int64_t>());
            if (!m.empty()) m += ": ";
            if (const auto* f = o.if_contains("field")) m += "field '" + std::string(f->as_string()) + "': ";
            m += std::string(o.at("message").as_string());
            return m.size() > 220 ? m.substr(0, 220) + "..." : m;
        }
        return "ok";
    } catch (...) {
        return "(no JSON result) " + r.err.substr(0, 120);
    }
}

json::object result_doc(const test::run_result& r) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    return json::parse(r.out, "stdout").as_object();
}

json::object error_doc(const test::run_result& r) { return result_doc(r).at("error").as_object(); }

// Runs a tool for one case, records the outcome, and checks the exit code (never >= 128: no
// crash) and that the message names what it must.
test::run_result run_case(const std::string& tool, const std::string& name, const std::vector<std::string>& args,
                          int expected_exit, const std::vector<std::string>& message_parts = {}) {
    auto r = test::run_tool(tool, args);
    matrix().push_back({tool, name, r.exit_code, outcome_message(r)});
    write_matrix();
    INFO(tool << " / " << name << "\nstdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.exit_code < 128);
    CHECK(r.exit_code == expected_exit);
    for (const auto& part : message_parts) CHECK_THAT(r.out, Contains(part));
    return r;
}

std::multiset<std::string> data_lines(const fs::path& csv) {
    auto lines = split_lines(test::read_text(csv));
    return {lines.begin() + 1, lines.end()};
}

// Generated raw data, its transform (the feature tables) and a small model, made once.
struct fixture {
    test::scratch_dir dir{"badinput"};
    fs::path raw = dir / "raw";
    fs::path green = raw / "greenTaxiData.csv";
    fs::path base = dir / "base";  // aml-transform of the clean green file
    fs::path model = dir / "model";
    csv_text green_csv;
    csv_text features;  // base train.csv
    std::multiset<std::string> kept;  // every feature row of the clean transform (train + test)

    fixture() {
        auto g = test::run_tool("aml-datagen", {"--output", raw.string(), "--rows", "400", "--seed", "11",
                                                "--dirty-ratio", "0", "--green-share", "1"});
        INFO(g.out << g.err);
        REQUIRE(g.exit_code == 0);
        green_csv = csv_text::parse(test::read_text(green));
        REQUIRE(green_csv.rows.size() >= 100);
        auto t = test::run_tool("aml-transform", {green.string(), "--output", base.string()});
        INFO(t.out << t.err);
        REQUIRE(t.exit_code == 0);
        kept = data_lines(base / "train.csv");
        for (auto& l : data_lines(base / "test.csv")) kept.insert(l);
        REQUIRE(kept.size() == green_csv.rows.size());  // clean data: every row kept
        features = csv_text::parse(test::read_text(base / "train.csv"));
        auto m = test::run_tool("aml-train", {"--train", (base / "train.csv").string(), "--output", model.string(),
                                              "--n-estimators", "5", "--max-depth", "3", "--nthread", "1"});
        INFO(m.out << m.err);
        REQUIRE(m.exit_code == 0);
    }

    // Transforms `text` (as green file `name`) and returns the run; `bad_rows` data rows must be
    // rejected (their lines listed in rejects.csv with `reason`), all others kept byte for byte.
    test::run_result transform_rows(const std::string& name, const std::string& text, std::size_t bad_rows,
                                    const std::vector<std::uint64_t>& reject_lines, const std::string& reason,
                                    std::size_t expected_kept = 0) {
        const fs::path in = dir / ("t-" + name) / "green.csv";
        const fs::path out = dir / ("t-" + name) / "out";
        test::write_text(in, text);
        auto r = run_case("aml-transform", name, {in.string(), "--output", out.string(), "--max-reject-ratio", "0.5"}, 0);
        if (r.exit_code != 0) return r;
        auto got = data_lines(out / "train.csv");
        for (auto& l : data_lines(out / "test.csv")) got.insert(l);
        // Every kept row is one of the clean run's rows, and only the bad rows are missing.
        for (const auto& l : got) CHECK(kept.count(l) == 1);
        CHECK(got.size() == (expected_kept ? expected_kept : kept.size() - bad_rows));
        auto rejects = csv_text::parse(test::read_text(out / "rejects.csv"));
        CHECK(rejects.rows.size() == reject_lines.size());
        const std::string rejects_text = test::read_text(out / "rejects.csv");
        for (auto line : reject_lines) CHECK_THAT(rejects_text, Contains(in.string() + "," + std::to_string(line) + ","));
        if (!reason.empty()) CHECK_THAT(rejects_text, Contains(reason));
        auto report = json::read_file(out / "transform_report.json").as_object();
        CHECK(report.at("status").as_string() == "ok");
        return r;
    }
};

fixture& shared() {
    static fixture f;
    return f;
}

csv_text with_cell(csv_text t, std::size_t row, const std::string& column, const std::string& value) {
    t.rows.at(row)[t.col(column)] = value;
    return t;
}

}  // namespace

// ---- aml-transform ---------------------------------------------------------------------------

TEST_CASE("bad input: aml-transform rejects damaged rows with file, line and reason, keeping every good row") {
    auto& f = shared();
    const csv_text& g = f.green_csv;

    SECTION("truncated line") {
        auto lines = split_lines(g.text());
        lines[5] = lines[5].substr(0, lines[5].size() / 2);  // data row 4, physical line 6
        f.transform_rows("truncated line", join_lines(lines), 1, {6}, "short row");
    }
    SECTION("quotes with embedded delimiters and newlines (unread column), then a bad row") {
        auto t = with_cell(g, 10, "ehailFee", "\"a,b\nc\"\"d\"");
        t = with_cell(t, 11, "passengerCount", "x");
        // Row 11 starts on physical line 14: row 10 spans two lines.
        f.transform_rows("quoted delimiter + newline", t.text(), 1, {14}, "not a number in passengerCount");
    }
    SECTION("UTF-8 BOM") { f.transform_rows("BOM", "\xEF\xBB\xBF" + g.text(), 0, {}, ""); }
    SECTION("CRLF line ends") { f.transform_rows("CRLF", g.text("\r\n"), 0, {}, ""); }
    SECTION("Latin-1 bytes") {
        auto t = with_cell(g, 3, "fareAmount", "12\xE9");
        t = with_cell(t, 4, "ehailFee", "caf\xE9");  // unread column: the row is kept
        f.transform_rows("Latin-1 bytes", t.text(), 1, {5}, "not a number in fareAmount: '12\\xE9'");
    }
    SECTION("binary garbage line") {
        auto lines = split_lines(g.text());
        std::string junk;
        for (int i = 0; i < 200; ++i) {
            char c = static_cast<char>((i * 37 + 11) % 256);
            if (c == '"' || c == '\n' || c == '\r' || c == ',') c = 'x';
            junk += c;
        }
        lines.insert(lines.begin() + 8, junk);  // physical line 9
        f.transform_rows("binary garbage line", join_lines(lines), 0, {9}, "short row");
    }
    SECTION("huge fields") {
        auto t = with_cell(g, 20, "ehailFee", std::string(1 << 20, 'h'));    // unread: kept
        t = with_cell(t, 21, "tripDistance", std::string(1 << 20, '9'));      // read: rejected
        f.transform_rows("huge fields (1 MB)", t.text(), 1, {23}, "not a finite number in tripDistance: '999");
    }
    SECTION("extra column") {
        auto t = g;
        t.header.push_back("note");
        for (auto& r : t.rows) r.push_back("x");
        f.transform_rows("extra column", t.text(), 0, {}, "");
    }
    SECTION("reordered columns") {
        auto t = g;
        const auto a = t.col("fareAmount"), b = t.col("vendorID");
        std::swap(t.header[a], t.header[b]);
        for (auto& r : t.rows) std::swap(r[a], r[b]);
        f.transform_rows("reordered columns", t.text(), 0, {}, "");
    }
    SECTION("out-of-range numbers") {
        auto t = with_cell(g, 30, "passengerCount", "5000");
        t = with_cell(t, 31, "pickupLatitude", "95");
        f.transform_rows("out-of-range numbers", t.text(), 2, {32, 33}, "out of range [0, 1000] in passengerCount: '5000'");
    }
    SECTION("non-finite and overflowing numbers") {
        auto t = g;
        const std::vector<std::string> values{"inf", "Infinity", "NaN", "1e308", "1e309", "-inf"};
        for (std::size_t i = 0; i < values.size(); ++i) t = with_cell(t, 40 + i, "tripDistance", values[i]);
        t = with_cell(t, 50, "fareAmount", "nan");
        auto r = f.transform_rows("inf/Infinity/NaN/1e308/1e309", t.text(), 7, {42, 43, 44, 45, 46, 47, 52},
                                  "not a finite number in tripDistance: 'Infinity'");
        const std::string rejects = test::read_text(f.dir / "t-inf/Infinity/NaN/1e308/1e309/out/rejects.csv");
        CHECK_THAT(rejects, Contains("out of range [-10000, 10000] in tripDistance: '1e308'"));
        CHECK_THAT(rejects, Contains("not a finite number in fareAmount: 'nan'"));
        CHECK_THAT(rejects, Contains("not a finite number in tripDistance: '1e309'"));
    }
    SECTION("invalid dates") {
        auto t = with_cell(g, 60, "lpepPickupDatetime", "2016-02-30 10:00:00");
        t = with_cell(t, 61, "lpepDropoffDatetime", "yesterday");
        f.transform_rows("invalid dates", t.text(), 2, {62, 63}, "malformed datetime in lpepPickupDatetime");
    }
}

TEST_CASE("bad input: aml-transform exits 2 on unusable files and leaves the previous outputs untouched") {
    auto& f = shared();
    const fs::path dir = f.dir / "t-files";
    const fs::path out = dir / "out";
    // A previous successful run whose outputs must survive every failure below.
    REQUIRE(test::run_tool("aml-transform", {f.green.string(), "--output", out.string()}).exit_code == 0);
    const std::string before_train = test::read_text(out / "train.csv");
    const std::string before_report = test::read_text(out / "transform_report.json");
    auto unchanged = [&] {
        CHECK(test::read_text(out / "train.csv") == before_train);
        CHECK(test::read_text(out / "transform_report.json") == before_report);
        for (const auto& e : fs::directory_iterator(out)) CHECK(e.path().string().find(".tmp.") == std::string::npos);
    };
    auto run_file = [&](const std::string& name, const std::string& content, const std::vector<std::string>& parts) {
        const fs::path in = dir / (name + ".csv");
        test::write_text(in, content);
        auto r = run_case("aml-transform", name, {in.string(), "--output", out.string()}, 2, parts);
        CHECK(error_doc(r).at("file").as_string() == in.string());
        unchanged();
        return r;
    };
    const csv_text& g = f.green_csv;

    run_file("empty file", "", {"empty file: no header line"});
    run_file("header only", join_fields(g.header) + "\n", {"no data rows"});
    {
        auto t = g;
        t.header[t.col("extra")] = "fareAmount";
        auto r = run_file("duplicate column", t.text(), {"duplicate column 'fareAmount'"});
        CHECK(error_doc(r).at("field").as_string() == "fareAmount");
    }
    {
        auto t = g;
        t.header[t.col("tripDistance")] = "trip_distance";
        run_file("missing column", t.text(), {"missing column 'tripDistance'"});
    }
    {
        std::string junk;
        for (int i = 0; i < 4096; ++i) junk += static_cast<char>((i * 131 + 7) % 256);
        run_file("binary garbage file", junk, {"unrecognised taxi data"});
    }
    {
        auto r = run_case("aml-transform", "unreadable path", {(dir / "no-such.csv").string(), "--output", out.string()}, 2,
                          {"no such file"});
        unchanged();
    }
}

TEST_CASE("bad input: --max-reject-ratio holds per input file; a failed run replaces the set with its failure") {
    auto& f = shared();
    const fs::path dir = f.dir / "t-ratio";
    const fs::path out = dir / "out";
    // Two inputs: the clean file and a small one with 2 of 20 rows bad: 10% of that file, but
    // under 1% of all rows.
    csv_text small = f.green_csv;
    small.rows.resize(20);
    small = with_cell(small, 0, "passengerCount", "inf");
    small = with_cell(small, 1, "passengerCount", "x");
    test::write_text(dir / "in/a.csv", test::read_text(f.green));
    test::write_text(dir / "in/b.csv", small.text());
    // A good previous run first.
    REQUIRE(test::run_tool("aml-transform", {(dir / "in/a.csv").string(), "--output", out.string()}).exit_code == 0);
    REQUIRE(fs::exists(out / "train.csv"));

    auto r = run_case("aml-transform", "one file over --max-reject-ratio", {(dir / "in").string(), "--output", out.string()}, 2,
                      {"2 of 20 rows of", "for a single input"});
    CHECK(error_doc(r).at("file").as_string() == (dir / "in/b.csv").string());
    // The failure replaced the set: report (status failed) + rejects, no train/test that the
    // report does not describe.
    auto report = json::read_file(out / "transform_report.json").as_object();
    CHECK(report.at("status").as_string() == "failed");
    CHECK_THAT(std::string(report.at("failure").as_string()), Contains("b.csv"));
    CHECK_FALSE(fs::exists(out / "train.csv"));
    CHECK_FALSE(fs::exists(out / "test.csv"));
    CHECK(csv_text::parse(test::read_text(out / "rejects.csv")).rows.size() == 2);
}

// ---- aml-train / aml-score / aml-compare on feature tables -------------------------------------

namespace {

struct table_case {
    std::string name;
    std::string text;
    int exit_code;
    std::vector<std::string> parts;
    std::uint64_t line = 0;  // expected error line (0: not checked)
    std::string field;       // expected error field ("" not checked)
};

std::vector<table_case> table_cases(const csv_text& t) {
    std::vector<table_case> cases;
    auto cell = [&](std::size_t row, const std::string& col, const std::string& v, const std::string& name,
                    const std::string& part) {
        cases.push_back({name, with_cell(t, row, col, v).text(), 2, {part}, csv_text::line_of(row), col});
    };
    cell(3, "distance", "inf", "inf", "not a finite number: 'inf'");
    cell(4, "distance", "Infinity", "Infinity", "not a finite number: 'Infinity'");
    cell(5, "pickup_latitude", "NaN", "NaN text", "not a finite number: 'NaN'");
    cell(6, "distance", "1e308", "1e308", "out of range [-10000, 10000]: '1e308'");
    cell(7, "distance", "1e309", "1e309", "not a finite number (beyond the double range): '1e309'");
    cell(8, "pickup_hour", "25", "out-of-range hour", "out of range [0, 23]: '25'");
    cell(9, "distance", "", "empty cell", "empty cell, expected a number");
    cell(10, "distance", "12\xE9", "Latin-1 bytes", "not a number: '12\\\\xE9'");
    {
        auto d = t;
        d.header[d.col("vendor")] = "distance";
        cases.push_back({"duplicate column", d.text(), 2, {"duplicate column 'distance'"}, 1, "distance"});
    }
    {
        auto d = t;
        d.header[d.col("pickup_minute")] = "pickup_min";
        cases.push_back({"missing column", d.text(), 2, {"missing column 'pickup_minute'"}, 1, "pickup_minute"});
    }
    {
        auto lines = split_lines(t.text());
        lines[4] = lines[4].substr(0, lines[4].size() / 2);
        cases.push_back({"truncated line", join_lines(lines), 2, {"fields, found"}, 5, ""});
    }
    {
        std::string junk;
        for (int i = 0; i < 2048; ++i) junk += static_cast<char>((i * 97 + 3) % 256);
        cases.push_back({"binary garbage file", junk, 2, {}, 0, ""});
    }
    cases.push_back({"empty file", "", 2, {"empty file: no header line"}, 0, ""});
    return cases;
}

void check_error_place(const test::run_result& r, const fs::path& file, const table_case& c) {
    if (r.exit_code != 2) return;
    auto e = error_doc(r);
    CHECK(e.at("file").as_string() == file.string());
    if (c.line) CHECK(e.at("line").to_number<std::uint64_t>() == c.line);
    if (!c.field.empty()) CHECK(e.at("field").as_string() == c.field);
}

}  // namespace

TEST_CASE("bad input: aml-train, aml-score and aml-compare exit 2 naming file, line and column") {
    auto& f = shared();
    const fs::path dir = f.dir / "tables";
    test::write_text(dir / "policy.yaml", "primary_metric: rmse\nmin_relative_improvement: 0\n");
    for (const auto& c : table_cases(f.features)) {
        const fs::path data = dir / (c.name + "/data.csv");
        test::write_text(data, c.text);
        auto t = run_case("aml-train", c.name, {"--train", data.string(), "--output", (dir / c.name / "model").string(),
                                                "--n-estimators", "2", "--nthread", "1"},
                          c.exit_code, c.parts);
        check_error_place(t, data, c);
        CHECK_FALSE(fs::exists(dir / c.name / "model/MLmodel"));
        auto s = run_case("aml-score", c.name, {"--model", f.model.string(), "--data", data.string(), "--output",
                                                (dir / c.name / "score").string()},
                          c.exit_code, c.parts);
        check_error_place(s, data, c);
        CHECK_FALSE(fs::exists(dir / c.name / "score/predictions.csv"));
        auto k = run_case("aml-compare", c.name, {"--candidate", f.model.string(), "--test", data.string(), "--policy",
                                                  (dir / "policy.yaml").string(), "--output", (dir / c.name / "gate").string()},
                          c.exit_code, c.parts);
        check_error_place(k, data, c);
    }
}

TEST_CASE("bad input: tables with extra, reordered columns, BOM and CRLF are read like the clean file") {
    auto& f = shared();
    const fs::path dir = f.dir / "tables-ok";
    auto t = f.features;
    t.header.push_back("note");
    for (auto& r : t.rows) r.push_back("free text");
    std::swap(t.header[0], t.header[5]);
    for (auto& r : t.rows) std::swap(r[0], r[5]);
    test::write_text(dir / "odd.csv", "\xEF\xBB\xBF" + t.text("\r\n"));
    auto clean = run_case("aml-score", "clean feature table", {"--model", f.model.string(), "--data",
                                                               (f.base / "train.csv").string(), "--output", (dir / "a").string()}, 0);
    auto odd = run_case("aml-score", "BOM + CRLF + extra + reordered columns",
                        {"--model", f.model.string(), "--data", (dir / "odd.csv").string(), "--output", (dir / "b").string()}, 0);
    CHECK(test::read_text(dir / "a/predictions.csv") == test::read_text(dir / "b/predictions.csv"));
    CHECK(result_doc(odd).at("result").at("rows") == result_doc(clean).at("result").at("rows"));
}

TEST_CASE("bad input: header-only data; a null-pointer memcmp no more; score's output set stays consistent") {
    auto& f = shared();
    const fs::path dir = f.dir / "header-only";
    const fs::path data = dir / "header.csv";
    test::write_text(data, join_fields(f.features.header) + "\n");
    test::write_text(dir / "policy.yaml", "primary_metric: rmse\nmin_relative_improvement: 0\n");
    auto t = run_case("aml-train", "header only", {"--train", data.string(), "--output", (dir / "model").string()}, 2,
                      {"no data rows (header only)"});
    CHECK(error_doc(t).at("file").as_string() == data.string());
    auto k = run_case("aml-compare", "header only", {"--candidate", f.model.string(), "--champion", f.model.string(), "--test",
                                                     data.string(), "--policy", (dir / "policy.yaml").string(), "--output",
                                                     (dir / "gate").string()},
                      2, {"test data has no rows"});
    // aml-score: a documented empty result (warning, header-only predictions.csv), and the
    // previous run's metrics.json goes with the previous predictions.
    const fs::path out = dir / "score";
    REQUIRE(run_case("aml-score", "previous run (with target)", {"--model", f.model.string(), "--data",
                                                                  (f.base / "test.csv").string(), "--output", out.string()}, 0)
                .exit_code == 0);
    REQUIRE(fs::exists(out / "metrics.json"));
    auto s = run_case("aml-score", "header only", {"--model", f.model.string(), "--data", data.string(), "--output", out.string()}, 0);
    CHECK_THAT(s.err, Contains("no data rows"));
    CHECK(test::read_text(out / "predictions.csv") == "predicted\n");
    CHECK_FALSE(fs::exists(out / "metrics.json"));
}

// ---- model integrity ---------------------------------------------------------------------------

TEST_CASE("bad input: a model folder whose files do not match manifest.json is refused by every loader") {
    auto& f = shared();
    const fs::path dir = f.dir / "integrity";
    const fs::path tampered = dir / "tampered";
    fs::create_directories(dir);
    fs::copy(f.model, tampered, fs::copy_options::recursive);
    // One digit of one split value.
    std::string model = test::read_text(tampered / "model.json");
    const auto at = model.find("\"split_conditions\":[");
    REQUIRE(at != std::string::npos);
    auto digit = model.find_first_of("123456789", at + 21);
    model[digit] = model[digit] == '9' ? '8' : static_cast<char>(model[digit] + 1);
    test::write_text(tampered / "model.json", model);
    test::write_text(dir / "policy.yaml", "primary_metric: rmse\nmin_relative_improvement: 0\n");
    test::write_text(dir / "decision.json", R"({"decision": "approve", "reasons": []})");
    test::write_text(dir / "rows.json", R"({"input_data": {"data": [[1,40.7,-73.9,1,40.7,-73.9,0,2,1,1,5,10,0,0,1,1,5,10,5,0]]}})");
    const std::string msg = "does not match manifest.json";
    const std::string file = (tampered / "model.json").string();
    auto check_file = [&](const test::run_result& r) {
        if (r.exit_code == 2) CHECK(error_doc(r).at("file").as_string() == file);
    };
    check_file(run_case("aml-score", "model.json one digit changed", {"--model", tampered.string(), "--data",
                                                                      (f.base / "test.csv").string(), "--output",
                                                                      (dir / "s").string()}, 2, {msg}));
    check_file(run_case("aml-predict", "model.json one digit changed", {"--model", tampered.string(), "--input",
                                                                        (dir / "rows.json").string()}, 2, {msg}));
    check_file(run_case("aml-compare", "champion model.json one digit changed",
                        {"--candidate", f.model.string(), "--champion", tampered.string(), "--test",
                         (f.base / "test.csv").string(), "--policy", (dir / "policy.yaml").string(), "--output",
                         (dir / "g").string()}, 2, {msg}));
    check_file(run_case("aml-register", "model.json one digit changed",
                        {"--model", tampered.string(), "--decision", (dir / "decision.json").string(), "--name", "taxi",
                         "--home", (dir / "ws").string()}, 2, {msg}));

    // MLmodel edited (e.g. another data path) is caught too.
    const fs::path edited = dir / "edited";
    fs::copy(f.model, edited, fs::copy_options::recursive);
    test::write_text(edited / "MLmodel", test::read_text(edited / "MLmodel") + "# edited\n");
    auto e = run_case("aml-score", "MLmodel edited", {"--model", edited.string(), "--data", (f.base / "test.csv").string(),
                                                      "--output", (dir / "s2").string()}, 2, {msg});
    CHECK(error_doc(e).at("file").as_string() == (edited / "MLmodel").string());

    // Random bytes as model.json, with no manifest to catch it: refused before libxgboost.
    const fs::path garbage = dir / "garbage";
    fs::copy(f.model, garbage, fs::copy_options::recursive);
    fs::remove(garbage / "manifest.json");
    std::string junk;
    for (int i = 0; i < 65536; ++i) junk += static_cast<char>((i * 2654435761u >> 13) & 0xFF);
    test::write_text(garbage / "model.json", junk);
    run_case("aml-score", "random-bytes model.json (no manifest)", {"--model", garbage.string(), "--data",
                                                                     (f.base / "test.csv").string(), "--output",
                                                                     (dir / "s3").string()}, 2, {"not a valid xgboost model"});
    test::write_text(garbage / "model.json", "{\"learner\": 5, \"version\": [1, 7, 4]}");
    run_case("aml-predict", "JSON model.json of the wrong shape", {"--model", garbage.string(), "--input",
                                                                    (dir / "rows.json").string()}, 2,
             {"not a valid xgboost model (an xgboost JSON document): no \\\"learner\\\" object"});
}

// ---- aml-predict: CSV rows and scoring payloads (the server's decoder) --------------------------

TEST_CASE("bad input: aml-predict CSV rows and JSON payloads") {
    auto& f = shared();
    const fs::path dir = f.dir / "predict";
    auto t = f.features;
    t.rows.resize(10);
    auto predict = [&](const std::string& name, const std::string& file, const std::string& content, int code,
                       const std::vector<std::string>& parts) {
        const fs::path in = dir / name / file;
        test::write_text(in, content);
        return run_case("aml-predict", name, {"--model", f.model.string(), "--input", in.string()}, code, parts);
    };
    predict("rows.csv clean", "rows.csv", t.text(), 0, {});
    predict("rows.csv inf", "rows.csv", with_cell(t, 2, "distance", "inf").text(), 2, {"not a finite number"});
    predict("rows.csv duplicate column", "rows.csv",
            [&] { auto d = t; d.header[d.col("vendor")] = "distance"; return d.text(); }(), 2, {"duplicate column 'distance'"});
    predict("rows.csv header only", "rows.csv", join_fields(t.header) + "\n", 0, {"\"rows\": 0"});

    std::string cols, row;
    for (std::size_t i = 0; i < t.header.size(); ++i) {
        if (t.header[i] == "cost") continue;
        cols += std::string(cols.empty() ? "" : ",") + "\"" + t.header[i] + "\"";
        row += std::string(row.empty() ? "" : ",") + t.rows[0][i];
    }
    auto split = [&](const std::string& c, const std::string& r) {
        return "{\"input_data\": {\"columns\": [" + c + "], \"data\": [[" + r + "]]}}";
    };
    predict("payload clean", "rows.json", split(cols, row), 0, {"\"rows\": 1"});
    auto big = row;
    big.replace(0, big.find(','), "1e39");
    predict("payload 1e39 (float overflow)", "rows.json", split(cols, big), 2, {"not a finite number"});
    auto huge = row;
    huge.replace(0, huge.find(','), "1e309");
    predict("payload 1e309", "rows.json", split(cols, huge), 2, {});
    {
        auto fields = split_fields(row);
        fields[f.features.col("pickup_hour")] = "25";
        predict("payload out-of-range hour", "rows.json", split(cols, join_fields(fields)), 2,
                {"row 0, column 'pickup_hour': out of range [0, 23]: 25"});
    }
    predict("payload NaN literal", "rows.json", split(cols, "NaN" + row.substr(row.find(','))), 2, {});
    predict("payload duplicate column", "rows.json", split(cols + ",\"distance\"", row + ",1"), 2, {"appears twice"});
    predict("payload missing column", "rows.json", split(cols.substr(cols.find(',') + 1), row.substr(row.find(',') + 1)), 2,
            {"missing column"});
    predict("payload extra column", "rows.json", split(cols + ",\"note\"", row + ",7"), 0, {"\"rows\": 1"});
    predict("payload truncated", "rows.json", split(cols, row).substr(0, 40), 2, {});
    predict("payload string value", "rows.json", split(cols, "\"12\xE9\"" + row.substr(row.find(','))), 2, {});
    std::string junk;
    for (int i = 0; i < 1024; ++i) junk += static_cast<char>((i * 193 + 5) % 256);
    predict("payload binary garbage", "rows.json", junk, 2, {});
    predict("payload empty", "rows.json", "", 2, {});
    predict("payload huge field", "rows.json", split(cols, "\"" + std::string(1 << 20, 'x') + "\"" + row.substr(row.find(','))),
            2, {"expected a number or null"});
    run_case("aml-predict", "unreadable path", {"--model", f.model.string(), "--input", (dir / "none.json").string()}, 2, {});
}
