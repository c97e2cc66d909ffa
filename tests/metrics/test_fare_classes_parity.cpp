// Parity with the original workflow's labels: its published 30 % test split (test_data.csv, the
// fare class letter in `cost`) against the 9,773 cleaned trips (transformed_data.csv, numeric
// cost). Every test trip is found among the cleaned trips; the deciles of the other trips (the
// original's training rows) must give every test trip its published letter. Skips (with a
// warning) when the reference data is absent: tests never need it.
#include "amlops/metrics/fare_classes.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

using namespace amlops;
namespace fs = std::filesystem;

namespace {

struct csv {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    std::size_t col(const std::string& name) const {
        for (std::size_t i = 0; i < header.size(); ++i)
            if (header[i] == name) return i;
        FAIL("no column " << name);
        return 0;
    }
};

std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> out;
    std::stringstream s(line);
    std::string cell;
    while (std::getline(s, cell, ',')) out.push_back(cell);
    return out;
}

csv read_csv(const fs::path& p) {
    std::ifstream in(p);
    csv c;
    std::string line;
    std::getline(in, line);
    c.header = split(line);
    while (std::getline(in, line))
        if (!line.empty() && line != "\r") c.rows.push_back(split(line));
    return c;
}

// The two copies differ in precision (float32 coordinates vs 8 decimals) and the test copy has
// minute resolution: the key rounds coordinates to 4 decimals and ignores seconds.
using trip_key = std::vector<long long>;
trip_key key_of(const csv& c, const std::vector<std::string>& row) {
    trip_key k;
    auto num = [&](const char* name) { return std::stod(row[c.col(name)]); };
    k.push_back(std::llround(num("distance") * 100));
    for (const char* coord : {"pickup_latitude", "pickup_longitude", "dropoff_latitude", "dropoff_longitude"})
        k.push_back(std::llround(num(coord) * 1e4));
    for (const char* field : {"passengers", "vendor", "pickup_month", "pickup_monthday", "pickup_hour", "pickup_minute",
                              "dropoff_monthday", "dropoff_hour", "dropoff_minute"})
        k.push_back(std::llround(num(field)));
    return k;
}

}  // namespace

TEST_CASE("fare classes: the labels of the original's published test split are reproduced exactly") {
    const fs::path shared = test::shared_dir();
    const fs::path cleaned = shared / "data/taxi/azureml-examples/transformed_data.csv";
    const fs::path published = shared / "data/taxi/MLOPs-AzureML/test_data.csv";
    if (shared.empty() || !fs::exists(cleaned) || !fs::exists(published)) {
        WARN("SKIPPED: reference data not found (set AMLOPS_SHARED_DIR to the shared folder)");
        return;
    }
    const csv all = read_csv(cleaned);
    const csv test_split = read_csv(published);
    REQUIRE(all.rows.size() == 9773);
    REQUIRE(test_split.rows.size() == 2932);

    std::map<trip_key, std::vector<std::size_t>> index;
    for (std::size_t i = 0; i < all.rows.size(); ++i) index[key_of(all, all.rows[i])].push_back(i);
    std::vector<bool> in_test(all.rows.size(), false);
    std::vector<std::pair<std::size_t, std::string>> expected;  // cleaned row, published letter
    for (const auto& row : test_split.rows) {
        const auto it = index.find(key_of(test_split, row));
        REQUIRE(it != index.end());
        REQUIRE(it->second.size() == 1);
        in_test[it->second[0]] = true;
        expected.emplace_back(it->second[0], row[test_split.col("cost")]);
    }
    std::vector<double> training_cost;
    const std::size_t cost = all.col("cost");
    for (std::size_t i = 0; i < all.rows.size(); ++i)
        if (!in_test[i]) training_cost.push_back(std::stod(all.rows[i][cost]));
    REQUIRE(training_cost.size() == 9773 - 2932);

    const auto classes = metrics::fare_classes::deciles(training_cost);
    CHECK(classes.boundaries() == std::vector<double>{5.0, 6.0, 7.0, 8.0, 9.0, 10.5, 12.5, 16.0, 22.5});
    std::size_t mismatches = 0, on_boundary = 0;
    for (const auto& [row, letter] : expected) {
        const double c = std::stod(all.rows[row][cost]);
        on_boundary += std::find(classes.boundaries().begin(), classes.boundaries().end(), c) != classes.boundaries().end();
        if (classes.labels()[classes.classify(c)] != letter) ++mismatches;
    }
    CHECK(mismatches == 0);
    CHECK(on_boundary > 0);  // trips whose fare equals a boundary exist: the closed side was tested
}
