#pragma once
// Shared by the serving tests: two small models trained once per test process with aml-train
// (--nthread 1: tests run in parallel), and test rows in the model's column order.
#include "amlops/features/schema.hpp"
#include "http_client.hpp"
#include "../model/synthetic_taxi.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <sstream>
#include <thread>

namespace amlops::test {

struct trained_models {
    scratch_dir dir{"serve-models"};
    std::filesystem::path blue = dir / "blue-model";
    std::filesystem::path green = dir / "green-model";
    std::filesystem::path rows_csv = dir / "rows/rows.csv";

    trained_models() {
        write_text(dir / "train-a/train.csv", synthetic_csv(600, 1));
        write_text(dir / "train-b/train.csv", synthetic_csv(600, 2));
        std::vector<std::string> no_cost;
        for (auto n : features::feature_names) no_cost.emplace_back(n);
        write_text(rows_csv, synthetic_csv(25, 7, no_cost));
        for (auto [data, out, depth] : {std::tuple{"train-a", blue, "3"}, std::tuple{"train-b", green, "5"}}) {
            auto r = run_tool("aml-train", {"--train", (dir / data).string(), "--output", out.string(), "--n-estimators", "15",
                                            "--max-depth", depth, "--nthread", "1"});
            INFO(r.err);
            REQUIRE(r.exit_code == 0);
        }
    }

    static const trained_models& get() {
        static trained_models m;
        return m;
    }
};

/// `n` rows of synthetic features as a JSON array of arrays in schema (= model) order.
inline std::string rows_json(std::size_t n, std::uint64_t seed) {
    auto t = synthetic_table(n, seed);
    std::ostringstream s;
    s.precision(9);
    s << '[';
    for (std::size_t r = 0; r < t.rows; ++r) {
        s << (r ? ",[" : "[");
        for (std::size_t c = 0; c < t.columns.size(); ++c) s << (c ? "," : "") << t.features[r * t.columns.size() + c];
        s << ']';
    }
    s << ']';
    return s.str();
}

/// The schema's feature names as a JSON array.
inline std::string columns_json() {
    std::string s = "[";
    for (std::size_t i = 0; i < features::feature_names.size(); ++i) {
        s += (i ? ",\"" : "\"") + std::string(features::feature_names[i]) + "\"";
    }
    return s + "]";
}

/// Waits until `aml-predict serve` on `port` answers GET / with 200 (models loaded): it listens
/// (and writes its port file) before loading, answering 503 meanwhile.
inline void wait_ready(std::uint16_t port) {
    int last = 0;
    for (int i = 0; i < 600; ++i) {
        try {
            last = static_cast<int>(server::fetch("127.0.0.1", port, {"GET", "/", ""}).status);
            if (last == 200) return;
        } catch (const std::exception&) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL("the server never became ready; last GET / status " << last);
}

}  // namespace amlops::test
