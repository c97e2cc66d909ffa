#include "amlops/jobs/score_job.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/json.hpp"
#include "amlops/model/mlflow.hpp"
#include "amlops/model/model.hpp"
#include "amlops/model/trainer.hpp"
#include "model_folder.hpp"
#include "synthetic_taxi.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <charconv>

using namespace amlops;
namespace fs = std::filesystem;

namespace {

struct model_folder {
    test::scratch_dir dir{"score-job"};
    fs::path folder = dir / "model";

    model_folder() {
        model::train_params p;
        p.n_estimators = 25;
        p.max_depth = 5;
        p.nthread = 1;
        auto out = model::train_regressor(test::synthetic_table(800, 31), model::taxi_signature(), p);
        test::write_taxi_model_folder(folder, out.booster.save_json());
    }
};

// predictions.csv as the whole-table path would write it: loaded in one go, predicted at once.
std::string whole_table_predictions(const fs::path& model_dir, const fs::path& data) {
    auto m = model::loaded_model::load(model_dir);
    data::table_request req{m.input_columns(), m.output_column(), true};
    auto t = data::load_numeric_table(data, req);
    auto p = m.predict(t);
    std::string text = "actual,predicted\n";
    char buf[64];
    for (std::size_t i = 0; i < t.rows; ++i) {
        text.append(buf, std::to_chars(buf, buf + sizeof buf, t.target[i]).ptr);
        text += ',';
        text.append(buf, std::to_chars(buf, buf + sizeof buf, static_cast<float>(p[i])).ptr);
        text += '\n';
    }
    return text;
}

}  // namespace

TEST_CASE("streamed scoring writes exactly what predicting the whole table gives, for any chunk size") {
    model_folder m;
    // Three files of different sizes (one with the header only) and NaN-free synthetic rows.
    test::write_text(m.dir / "data/a.csv", test::synthetic_csv(1500, 41));
    test::write_text(m.dir / "data/b.csv", test::synthetic_csv(0, 42));
    test::write_text(m.dir / "data/c.csv", test::synthetic_csv(333, 43));
    const std::string expected = whole_table_predictions(m.folder, m.dir / "data");
    logger log("test", log_level::info, log_format::text, [](std::string_view) {});
    std::string metrics_text;
    for (std::size_t chunk_rows : {std::size_t{1}, std::size_t{7}, std::size_t{100}, std::size_t{65536}}) {
        INFO("chunk_rows " << chunk_rows);
        const fs::path out = m.dir / ("out-" + std::to_string(chunk_rows));
        auto result = model::run_score_job({m.folder, m.dir / "data", out, chunk_rows}, log);
        CHECK(result.at("rows").to_number<std::int64_t>() == 1833);
        CHECK(read_file(out / "predictions.csv") == expected);
        const std::string metrics = read_file(out / "metrics.json");
        if (metrics_text.empty()) metrics_text = metrics;
        CHECK(metrics == metrics_text);
    }
}

TEST_CASE("streamed scoring of data without the target, and of a header-only file") {
    model_folder m;
    std::vector<std::string> columns;
    for (auto n : features::feature_names) columns.emplace_back(n);
    test::write_text(m.dir / "nolabel.csv", test::synthetic_csv(50, 44, columns));
    logger log("test", log_level::info, log_format::text, [](std::string_view) {});
    auto r = model::run_score_job({m.folder, m.dir / "nolabel.csv", m.dir / "o1", 8}, log);
    CHECK(r.at("metrics").is_null());
    const std::string text = read_file(m.dir / "o1/predictions.csv");
    CHECK(text.rfind("predicted\n", 0) == 0);
    CHECK(std::count(text.begin(), text.end(), '\n') == 51);

    test::write_text(m.dir / "empty.csv", test::synthetic_csv(0, 45));
    auto e = model::run_score_job({m.folder, m.dir / "empty.csv", m.dir / "o2"}, log);
    CHECK(e.at("rows").to_number<std::int64_t>() == 0);
    CHECK(read_file(m.dir / "o2/predictions.csv") == "predicted\n");
    CHECK(!fs::exists(m.dir / "o2/metrics.json"));
}
