#include "amlops/data/table.hpp"

#include "amlops/core/error.hpp"
#include "amlops/data/pipeline.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

using namespace amlops;
using namespace amlops::data;
namespace fs = std::filesystem;


TEST_CASE("load_numeric_table picks columns by name, in the requested order") {
    test::scratch_dir dir("table");
    test::write_text(dir / "t.csv", "\xEF\xBB\xBF" "idx,b,a,cost\r\n0,1.5,2,10\r\n1,-3,4e1,20.25\r\n\r\n");
    auto t = load_numeric_table(dir / "t.csv", {{"a", "b"}, "cost"});
    REQUIRE(t.rows == 2);
    CHECK(t.columns == std::vector<std::string>{"a", "b"});
    CHECK(t.features == std::vector<float>{2.f, 1.5f, 40.f, -3.f});
    CHECK(t.target == std::vector<double>{10, 20.25});
    CHECK(t.row(1)[0] == 40.f);
}

TEST_CASE("load_numeric_table reads a folder of CSVs in name order, in parallel chunks") {
    test::scratch_dir dir("table");
    // Big enough for many chunks and both workers: 60k rows per file.
    for (int f = 0; f < 2; ++f) {
        std::string text = "x,y\n";
        for (int i = 0; i < 60000; ++i) text += std::to_string(f * 100000 + i) + "," + std::to_string(i % 7) + "\n";
        test::write_text(dir / ("part-" + std::to_string(1 - f) + ".csv"), text);  // part-1 holds f=0
    }
    test::write_text(dir / "notes.txt", "not a csv");
    auto t = load_numeric_table(dir.path(), {{"x"}, "y"});
    REQUIRE(t.rows == 120000);
    CHECK(t.features[0] == 100000.f);  // part-0.csv (f=1) comes first
    CHECK(t.features[59999] == 159999.f);
    CHECK(t.features[60000] == 0.f);
    CHECK(t.target[60006] == 6.0);
    bool ordered = true;
    for (std::size_t i = 1; i < 60000; ++i) ordered = ordered && t.features[i] == t.features[i - 1] + 1;
    CHECK(ordered);
}

TEST_CASE("load_numeric_table: optional target, missing column, bad cell errors") {
    test::scratch_dir dir("table");
    test::write_text(dir / "t.csv", "a,b\n1,2\n3,oops\n");
    auto no_target = load_numeric_table(dir / "t.csv", {{"a"}, "cost", true});
    CHECK(no_target.rows == 2);
    CHECK(no_target.target.empty());

    auto missing = test::error_of([&] { load_numeric_table(dir / "t.csv", {{"a", "zz"}, ""}); });
    CHECK(missing.kind() == error_kind::bad_input);
    CHECK(std::string(missing.what()).find("missing column 'zz'") != std::string::npos);
    CHECK(std::string(missing.what()).find("t.csv") != std::string::npos);

    auto bad = test::error_of([&] { load_numeric_table(dir / "t.csv", {{"a", "b"}, ""}); });
    CHECK(bad.kind() == error_kind::bad_input);
    CHECK(bad.describe() == (dir / "t.csv").string() + ":3: field 'b': not a number: 'oops' (column 'b')");

    test::write_text(dir / "short.csv", "a,b\n1,2\n3\n");
    auto short_row = test::error_of([&] { load_numeric_table(dir / "short.csv", {{"a"}, ""}); });
    CHECK(short_row.context().line == 3u);
    CHECK(std::string(short_row.what()) == "expected 2 fields, found 1");

    auto absent = test::error_of([&] { load_numeric_table(dir / "nope", {{"a"}, ""}); });
    CHECK(absent.kind() == error_kind::not_found);
}

TEST_CASE("load_numeric_table reports the first bad row in file order") {
    test::scratch_dir dir("table");
    std::string text = "a\n";
    for (int i = 0; i < 200000; ++i) text += (i == 150000 || i == 190000) ? "x\n" : "1\n";
    test::write_text(dir / "t.csv", text);
    auto e = test::error_of([&] { load_numeric_table(dir / "t.csv", {{"a"}, ""}); });
    CHECK(e.context().line == 150002u);
}

TEST_CASE("csv_files: a file is itself, a folder is its sorted *.csv") {
    test::scratch_dir dir("table");
    test::write_text(dir / "b.csv", "a\n");
    test::write_text(dir / "a.csv", "a\n");
    test::write_text(dir / "c.txt", "a\n");
    auto files = csv_files(dir.path());
    REQUIRE(files.size() == 2);
    CHECK(files[0].filename() == "a.csv");
    CHECK(csv_files(dir / "c.txt").size() == 1);
    fs::create_directories(dir / "empty");
    CHECK(test::error_of([&] { csv_files(dir / "empty"); }).kind() == error_kind::not_found);
}

TEST_CASE("run_ordered consumes in order and surfaces the earliest worker failure") {
    int next = 0;
    std::vector<int> seen;
    run_ordered<std::pair<int, int>>(
        2, 3, [&](std::pair<int, int>& it) { it.first = next++; return it.first < 100; },
        [](std::pair<int, int>& it) { it.second = it.first * 2; },
        [&](std::pair<int, int>& it) { seen.push_back(it.second); });
    REQUIRE(seen.size() == 100);
    CHECK(seen[99] == 198);

    next = 0;
    seen.clear();
    CHECK_THROWS_WITH(run_ordered<int>(
                          2, 4, [&](int& it) { it = next++; return it < 50; },
                          [](int& it) {
                              if (it == 20 || it == 30) throw std::runtime_error("item " + std::to_string(it));
                          },
                          [&](int& it) { seen.push_back(it); }),
                      "item 20");
    CHECK(seen.size() == 20);
}

TEST_CASE("numeric_table_stream: pieces of any size parse to exactly the whole table") {
    test::scratch_dir dir("table-stream");
    // Two files; quoted cells and CRLF in one, so cuts must respect quotes and both line ends.
    std::string a = "id,x,y\n", b = "y,x,id\r\n";
    // append() rather than operator+ chains: GCC 12 emits a false -Wrestrict for those.
    for (int i = 0; i < 3000; ++i)
        a.append(std::to_string(i)).append(",").append(std::to_string(i * 0.25)).append(",").append(std::to_string(i % 13)).append("\n");
    for (int i = 0; i < 1000; ++i)
        b.append("\"").append(std::to_string(i % 5)).append("\",").append(std::to_string(-i)).append(",").append(std::to_string(i)).append("\r\n");
    test::write_text(dir / "a.csv", a);
    test::write_text(dir / "b.csv", b);
    const table_request req{{"x", "id"}, "y"};
    const numeric_table whole = load_numeric_table(dir.path(), req);
    REQUIRE(whole.rows == 4000);

    for (std::size_t chunk_bytes : {std::size_t{1}, std::size_t{37}, std::size_t{4096}, std::size_t{0}}) {
        INFO("chunk_bytes " << chunk_bytes);
        numeric_table_stream stream(dir.path(), req, chunk_bytes);
        CHECK(stream.has_target());
        CHECK(stream.files().size() == 2);
        numeric_table joined, piece_rows;
        std::size_t pieces = 0;
        table_piece piece;
        while (stream.next(piece)) {
            ++pieces;
            stream.parse(piece, piece_rows);
            CHECK(piece_rows.columns == req.feature_columns);
            CHECK(piece_rows.target.size() == piece_rows.rows);
            joined.features.insert(joined.features.end(), piece_rows.features.begin(), piece_rows.features.end());
            joined.target.insert(joined.target.end(), piece_rows.target.begin(), piece_rows.target.end());
            joined.rows += piece_rows.rows;
        }
        CHECK(pieces >= 2);  // at least one per file
        if (chunk_bytes == 37) CHECK(pieces > 100);
        CHECK(joined.rows == whole.rows);
        CHECK(joined.features == whole.features);
        CHECK(joined.target == whole.target);
    }
}

TEST_CASE("numeric_table_stream checks every header up front and names the line of a bad cell") {
    test::scratch_dir dir("table-stream");
    std::string good = "x,y\n";
    for (int i = 0; i < 500; ++i) good.append(std::to_string(i)).append(",1\n");
    test::write_text(dir / "1.csv", good);
    test::write_text(dir / "2.csv", "x\n1\n");  // no y: fails before anything is read
    auto missing = test::error_of([&] { numeric_table_stream s(dir.path(), {{"x"}, "y"}); });
    CHECK(missing.kind() == error_kind::bad_input);
    CHECK(std::string(missing.what()).find("2.csv") != std::string::npos);

    fs::remove(dir / "2.csv");
    test::write_text(dir / "1.csv", good + "7,oops\n");
    numeric_table_stream s(dir.path(), {{"x"}, "y"}, 64);
    table_piece piece;
    numeric_table rows;
    std::string what;
    while (s.next(piece)) {
        try {
            s.parse(piece, rows);
        } catch (const error& e) {
            what = e.describe();
        }
    }
    CHECK(what.find("oops") != std::string::npos);
    CHECK(what.find("1.csv:502") != std::string::npos);  // header is line 1, so the bad row is line 502
}
