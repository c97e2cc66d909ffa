#include "amlops/features/transform.hpp"

#include "amlops/core/error.hpp"
#include "amlops/core/sha256.hpp"
#include "taxi_rows.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

using namespace amlops;
using namespace amlops::features;
using amlops::test::raw_trip;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// A green file of `n` distinct kept rows; the fare (cost) identifies the row: base + i/100.
std::string green_file(int n, double base) {
    std::string text = test::green_header + "\n";
    for (int i = 0; i < n; ++i) {
        raw_trip t;
        t.fare = std::to_string(base + i / 100.0);
        t.pickup = "2016-01-" + std::to_string(10 + i % 9) + " 10:0" + std::to_string(i % 10) + ":00";
        text += test::green_row(t) + "\n";
    }
    return text;
}

transform_options opts(double ratio) {
    transform_options o;
    o.test_ratio = ratio;
    o.clock = [] { return std::chrono::steady_clock::time_point{}; };
    return o;
}

// cost column (last field) of every data line of a CSV output, as text.
std::set<std::string> costs(const fs::path& file) {
    std::set<std::string> out;
    auto lines = lines_of(test::read_text(file));
    for (std::size_t i = 1; i < lines.size(); ++i) out.insert(lines[i].substr(lines[i].rfind(',') + 1));
    return out;
}

}  // namespace

TEST_CASE("transform: tiny green + yellow input gives exact rows, counts and report") {
    test::scratch_dir dir("transform");
    raw_trip a;  // kept: the published first green row
    raw_trip outside = a;
    outside.pickup_lat = "41.2";
    raw_trip zero_distance = a;
    zero_distance.distance = ".00";
    raw_trip free_ride = a;
    free_ride.fare = "0.0";
    raw_trip leap = a;
    leap.pickup = "2016-02-29 23:59:59";
    leap.dropoff = "2016-03-01 00:10:02";
    leap.store_forward = "0";
    leap.distance = "2.5";
    leap.fare = "12.0";
    raw_trip bad_time = a;
    bad_time.pickup = "2016-02-30 10:00:00";
    test::write_text(dir / "in/green.csv",
                     test::green_header + "\n" + test::green_row(a) + "\n" + test::green_row(outside) + "\n" +
                         std::string(22, ',') + "\n" + test::green_row(zero_distance) + "\n" +
                         test::green_row(free_ride) + "\n" + test::green_row(leap) + "\n" +
                         test::green_row(bad_time) + "\n\n");
    raw_trip y;
    y.vendor = "1";
    y.pickup = "1/6/2016 12:09";
    y.dropoff = "1/6/2016 12:22";
    y.passengers = "2";
    y.distance = "2.09";
    y.pickup_lon = "-73.98207092";
    y.pickup_lat = "40.74605942";
    y.dropoff_lon = "-74.00462341";
    y.dropoff_lat = "40.73062897";
    y.store_forward = "Y";
    y.fare = "10.5";
    test::write_text(dir / "in/yellow.csv", test::yellow_header + "\r\n" + test::yellow_row(y) + "\r\n");

    auto o = opts(0.0);
    o.max_reject_ratio = 0.5;
    o.hash_inputs = true;
    auto s = run_transform({dir / "in/green.csv", dir / "in/yellow.csv"}, dir / "out", o);

    CHECK(test::read_text(dir / "out/train.csv") ==
          test::feature_header + "\n" +
              "0.83,40.69454574584961,-73.97611236572266,1,40.6938362121582,-73.98726654052734,0,2,6,1,3,21,2,35,6,1,3,21,5,52,4.5\n"
              "2.5,40.69454574584961,-73.97611236572266,1,40.6938362121582,-73.98726654052734,0,2,0,2,29,23,59,59,1,3,1,0,10,2,12\n"
              "2.09,40.73062897,-74.00462341,2,40.74605942,-73.98207092,1,1,2,1,6,12,9,0,2,1,6,12,22,0,10.5\n");
    CHECK(test::read_text(dir / "out/test.csv") == test::feature_header + "\n");
    CHECK(test::read_text(dir / "out/rejects.csv") ==
          "file,line,reason\n" + (dir / "in/green.csv").string() +
              ",8,malformed datetime in lpepPickupDatetime: '2016-02-30 10:00:00'\n");

    REQUIRE(s.inputs.size() == 2);
    const auto& g = s.inputs[0].counts;
    CHECK(s.inputs[0].schema == taxi_schema::green);
    CHECK(s.inputs[1].schema == taxi_schema::yellow);
    CHECK(g.rows_read == 7);
    CHECK(g.dropped == std::array<std::uint64_t, 4>{1, 1, 1, 1});
    CHECK(g.rejected == 1);
    CHECK(g.kept == 2);
    CHECK(s.totals.kept == 3);
    CHECK(s.totals.train == 3);
    CHECK(s.inputs[0].sha256 == sha256_file(dir / "in/green.csv"));
    CHECK(s.train.sha256 == sha256_file(dir / "out/train.csv"));
    CHECK(s.rejects.rows == 1);

    auto report = json::read_file(dir / "out/transform_report.json").as_object();
    CHECK(report.at("totals").at("rows_read").to_number<int>() == 8);
    CHECK(report.at("totals").at("dropped").at("outside_bounding_box").to_number<int>() == 1);
    CHECK(report.at("inputs").at(0).at("schema").as_string() == "green");
    CHECK(report.at("inputs").at(1).at("sha256").as_string() == sha256_file(dir / "in/yellow.csv"));
    CHECK(report.at("outputs").at("test").at("sha256").as_string() == sha256_file(dir / "out/test.csv"));
    CHECK(report.at("seconds").to_number<double>() == 0.0);  // injected clock
}

TEST_CASE("transform: a folder input means its *.csv files in name order") {
    test::scratch_dir dir("transform");
    test::write_text(dir / "in/b.csv", green_file(3, 20));
    test::write_text(dir / "in/a.csv", green_file(2, 10));
    auto s = run_transform({dir / "in"}, dir / "out", opts(0.0));
    REQUIRE(s.inputs.size() == 2);
    // Input hashing is opt-in (hash_inputs): without it the report says null, never a stale hash.
    CHECK(s.inputs[0].sha256.empty());
    CHECK(json::read_file(dir / "out/transform_report.json").as_object().at("inputs").at(0).at("sha256").is_null());
    CHECK(s.inputs[0].path.filename() == "a.csv");
    auto lines = lines_of(test::read_text(dir / "out/train.csv"));
    REQUIRE(lines.size() == 6);
    CHECK(lines[1].ends_with(",10"));
    CHECK(lines[3].ends_with(",20"));
}

TEST_CASE("transform: split is stable when files are reordered or appended, and close to the ratio") {
    test::scratch_dir dir("transform");
    test::write_text(dir / "a.csv", green_file(1500, 10));
    test::write_text(dir / "b.csv", green_file(1500, 30));
    test::write_text(dir / "c.csv", green_file(1000, 50));

    run_transform({dir / "a.csv", dir / "b.csv"}, dir / "ab", opts(0.3));
    run_transform({dir / "b.csv", dir / "a.csv"}, dir / "ba", opts(0.3));
    auto small_chunks = opts(0.3);
    small_chunks.chunk_bytes = 4096;  // different work units must not matter either
    small_chunks.workers = 2;
    run_transform({dir / "a.csv", dir / "b.csv", dir / "c.csv"}, dir / "abc", small_chunks);

    auto test_ab = costs(dir / "ab/test.csv"), train_ab = costs(dir / "ab/train.csv");
    CHECK(test_ab == costs(dir / "ba/test.csv"));
    CHECK(train_ab == costs(dir / "ba/train.csv"));
    auto test_abc = costs(dir / "abc/test.csv"), train_abc = costs(dir / "abc/train.csv");
    for (const auto& c : test_ab) CHECK(test_abc.count(c) == 1);
    for (const auto& c : train_ab) CHECK(train_abc.count(c) == 1);
    CHECK(test_ab.size() + train_ab.size() == 3000);
    // 3000 rows at 0.3: expect 900 +- 25 (1 sd); allow 6 sd.
    CHECK(test_ab.size() > 750);
    CHECK(test_ab.size() < 1050);
}

TEST_CASE("transform: one thread or many, big or small chunks: identical bytes") {
    test::scratch_dir dir("transform");
    test::write_text(dir / "a.csv", green_file(3000, 10));
    auto one = opts(0.2);
    one.workers = 1;
    auto many = opts(0.2);
    many.workers = 3;
    many.chunk_bytes = 1000;
    auto s1 = run_transform({dir / "a.csv"}, dir / "one", one);
    auto s2 = run_transform({dir / "a.csv"}, dir / "many", many);
    CHECK(s1.train.sha256 == s2.train.sha256);
    CHECK(s1.test.sha256 == s2.test.sha256);
}

TEST_CASE("transform: too many rejects -> bad_input naming count and rejects.csv, no train or test") {
    test::scratch_dir dir("transform");
    std::string text = green_file(97, 10);
    for (int i = 0; i < 3; ++i) text += "1,not a time,2016-01-03 21:05:52,1,0.83,,,-73.98,40.69,-73.97,40.69,1,N,1,4.5,0,0,0,0,0,,5.8,1\n";
    test::write_text(dir / "a.csv", text);
    try {
        run_transform({dir / "a.csv"}, dir / "out", opts(0.2));
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::bad_input);
        CHECK_THAT(e.what(), Catch::Contains("3 of 100 rows rejected (3%)") && Catch::Contains("--max-reject-ratio 1%") &&
                                 Catch::Contains((dir / "out/rejects.csv").string()));
    }
    CHECK(fs::exists(dir / "out/rejects.csv"));
    CHECK(fs::exists(dir / "out/transform_report.json"));
    CHECK_FALSE(fs::exists(dir / "out/train.csv"));
    CHECK_FALSE(fs::exists(dir / "out/test.csv"));
    CHECK(lines_of(test::read_text(dir / "out/rejects.csv")).size() == 4);

    auto lenient = opts(0.2);
    lenient.max_reject_ratio = 0.03;  // exactly at the limit is fine
    CHECK(run_transform({dir / "a.csv"}, dir / "out", lenient).totals.rejected == 3);
    CHECK(fs::exists(dir / "out/train.csv"));
}

TEST_CASE("transform: header problems fail before any output is written") {
    test::scratch_dir dir("transform");
    test::write_text(dir / "good.csv", green_file(5, 10));
    std::string header = test::rename_column(test::yellow_header, "endLat", "endLatitude");
    test::write_text(dir / "bad.csv", header + "\n");
    try {
        run_transform({dir / "good.csv", dir / "bad.csv"}, dir / "out", opts(0.2));
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::bad_input);
        CHECK(std::string(e.what()) ==
              "missing column 'endLat' (dropoff_latitude) in yellow taxi file " + (dir / "bad.csv").string());
    }
    CHECK_FALSE(fs::exists(dir / "out"));
    CHECK_THROWS_AS(run_transform({dir / "absent.csv"}, dir / "out", opts(0.2)), error);
    auto bad_ratio = opts(1.5);
    CHECK_THROWS_WITH(run_transform({dir / "good.csv"}, dir / "out", bad_ratio), Catch::Contains("between 0 and 1"));
}

TEST_CASE("transform: malformed CSV quoting is a reject, not an abort") {
    test::scratch_dir dir("transform");
    std::string text = green_file(200, 10);
    text += "\"2\"x,2016-01-03 21:02:35,2016-01-03 21:05:52,1,0.83,,,-73.98,40.69,-73.97,40.69,1,N,1,4.5,0,0,0,0,0,,5.8,1\n";
    test::write_text(dir / "a.csv", text);
    auto o = opts(0.0);
    o.max_reject_ratio = 0.1;
    auto s = run_transform({dir / "a.csv"}, dir / "out", o);
    CHECK(s.totals.rejected == 1);
    CHECK(s.totals.kept == 200);
    CHECK_THAT(test::read_text(dir / "out/rejects.csv"), Catch::Contains(",202,unexpected character after closing quote"));
}

TEST_CASE("transform: an input that shrinks while being read fails with io, outputs untouched") {
    test::scratch_dir dir("transform");
    test::write_text(dir / "a.csv", green_file(50, 10));
    const std::string b = green_file(20000, 30);  // ~3 MB: hundreds of 4 kB chunks
    test::write_text(dir / "b.csv", b);
    auto o = opts(0.2);
    o.chunk_bytes = 4096;
    o.workers = 2;
    // The previous run's outputs, to be left as they are.
    run_transform({dir / "a.csv"}, dir / "out", o);
    const std::string previous_train = test::read_text(dir / "out/train.csv");
    const std::string previous_report = test::read_text(dir / "out/transform_report.json");

    // Called on the main thread when the first chunk of b.csv is consumed: b.csv is mapped by
    // then, a few chunks are cut and most of the file is still to be read.
    o.on_input_done = [&](const input_summary& done) {
        if (done.path == dir / "a.csv") REQUIRE(::truncate((dir / "b.csv").c_str(), 100000) == 0);
    };
    error e = test::error_of([&] { run_transform({dir / "a.csv", dir / "b.csv"}, dir / "out", o); });
    CHECK(e.kind() == error_kind::io);  // exit 1
    CHECK(e.context().file == (dir / "b.csv").string());
    CHECK_THAT(e.what(), Catch::Contains("changed size while being read (" + std::to_string(b.size()) +
                                         " bytes when opened, 100000 now)"));
    CHECK(test::read_text(dir / "out/train.csv") == previous_train);
    CHECK(test::read_text(dir / "out/transform_report.json") == previous_report);
    for (const auto& entry : fs::directory_iterator(dir / "out"))
        CHECK(entry.path().filename().string().find(".tmp.") == std::string::npos);
}

TEST_CASE("transform: a pipe input is read whole, as the same bytes in a file") {
    test::scratch_dir dir("transform");
    const std::string text = green_file(3000, 10);  // ~480 kB: several 64 kB header-check blocks
    test::write_text(dir / "a.csv", text);
    auto o = opts(0.2);
    o.hash_inputs = true;
    const auto from_file = run_transform({dir / "a.csv"}, dir / "file", o);

    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::thread writer([&] {
        for (std::size_t at = 0; at < text.size();) {
            const ssize_t n = ::write(fds[1], text.data() + at, text.size() - at);
            if (n <= 0) break;
            at += static_cast<std::size_t>(n);
        }
        ::close(fds[1]);
    });
    const fs::path pipe = "/proc/self/fd/" + std::to_string(fds[0]);
    const auto from_pipe = run_transform({pipe}, dir / "pipe", o);
    writer.join();
    ::close(fds[0]);
    REQUIRE(from_pipe.inputs.size() == 1);
    CHECK(from_pipe.inputs[0].bytes == text.size());
    CHECK(from_pipe.inputs[0].sha256 == from_file.inputs[0].sha256);
    CHECK(from_pipe.totals.rows_read == 3000);
    CHECK(from_pipe.train.sha256 == from_file.train.sha256);
    CHECK(from_pipe.test.sha256 == from_file.test.sha256);
}
