#include "amlops/model/model.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "amlops/core/json.hpp"
#include "amlops/core/version.hpp"
#include "amlops/model/fast_path_check.hpp"
#include "amlops/model/mlflow.hpp"
#include "amlops/model/model_integrity.hpp"
#include "amlops/model/trainer.hpp"
#include "amlops/xgb/booster.hpp"
#include "model_folder.hpp"
#include "synthetic_taxi.hpp"
#include "test_support.hpp"

#include <catch2/catch.hpp>

using namespace amlops;
namespace fs = std::filesystem;

namespace {

// A trained model folder plus the booster's own predictions for comparison.
struct trained {
    test::scratch_dir dir{"loaded-model"};
    fs::path folder = dir / "model";
    data::numeric_table table = test::synthetic_table(500, 11);
    std::vector<double> expected;

    trained() {
        model::train_params p;
        p.n_estimators = 10;
        p.max_depth = 4;
        p.nthread = 1;
        auto out = model::train_regressor(table, model::taxi_signature(), p);
        expected = model::predict_table(out.booster, table);
        test::write_taxi_model_folder(folder, out.booster.save_json());
    }
};

error load_error(const fs::path& p) {
    try {
        (void)model::loaded_model::load(p);
    } catch (const error& e) {
        return e;
    }
    FAIL("expected an error loading " << p);
    throw std::logic_error("unreachable");
}

void replace_in_file(const fs::path& p, const std::string& from, const std::string& to) {
    std::string text = read_file(p);
    auto pos = text.find(from);
    REQUIRE(pos != std::string::npos);
    text.replace(pos, from.size(), to);
    write_file_atomic(p, text);
}

}  // namespace

TEST_CASE("a loaded model exposes the signature and predicts like the booster") {
    trained t;
    auto m = model::loaded_model::load(t.folder);
    REQUIRE(m.input_columns().size() == features::feature_count);
    for (std::size_t i = 0; i < features::feature_count; ++i) CHECK(m.input_columns()[i] == features::feature_names[i]);
    CHECK(m.output_column() == "cost");
    CHECK(m.predict(t.table) == t.expected);
    // Chunks give the same numbers as the whole table.
    auto first = m.predict_rows(std::span<const float>(t.table.features).subspan(0, 7 * 20), 7);
    CHECK(std::equal(first.begin(), first.end(), t.expected.begin()));
    // Moving keeps it usable.
    model::loaded_model moved = std::move(m);
    CHECK(moved.predict(t.table) == t.expected);
}

TEST_CASE("predict rejects tables whose columns differ from the signature") {
    trained t;
    auto m = model::loaded_model::load(t.folder);
    auto swapped = t.table;
    std::swap(swapped.columns[1], swapped.columns[2]);
    try {
        (void)m.predict(swapped);
        FAIL("expected an error");
    } catch (const error& e) {
        CHECK(e.kind() == error_kind::bad_input);
        CHECK(e.context().field == std::optional<std::string>("dropoff_latitude"));
    }
    auto short_table = t.table;
    short_table.columns.pop_back();
    CHECK_THROWS_AS(m.predict(short_table), error);
    CHECK_THROWS_AS(m.predict_rows(std::span<const float>(t.table.features).subspan(0, 19), 1), error);
}

TEST_CASE("corrupt model.json gives a clear bad_input error (exit code 2)") {
    trained t;
    write_file_atomic(t.folder / "model.json", "{\"learner\": {\"broken\"");
    auto e = load_error(t.folder);
    CHECK(e.kind() == error_kind::bad_input);
    CHECK(e.exit_code() == 2);
    CHECK(e.describe().find("model.json") != std::string::npos);
    CHECK(std::string(e.what()).find("not a valid xgboost model") != std::string::npos);
}

TEST_CASE("a missing folder, MLmodel or model file is not_found") {
    trained t;
    CHECK(load_error(t.dir / "nope").kind() == error_kind::not_found);

    fs::remove(t.folder / "model.json");
    CHECK(load_error(t.folder).kind() == error_kind::not_found);

    fs::remove(t.folder / "MLmodel");
    CHECK(load_error(t.folder).kind() == error_kind::not_found);
}

TEST_CASE("MLmodel problems name the file and what is wrong") {
    trained t;
    const fs::path mlmodel = t.folder / "MLmodel";
    const std::string original = read_file(mlmodel);

    write_file_atomic(mlmodel, "flavors: [unclosed\n");
    auto syntax = load_error(t.folder);
    CHECK(syntax.kind() == error_kind::bad_input);
    CHECK(syntax.context().file == std::optional<std::string>(mlmodel.string()));

    // Without a signature, the column names stored in the xgboost model are used.
    write_file_atomic(mlmodel, original);
    replace_in_file(mlmodel, "  inputs:", "  no_inputs:");
    auto unsigned_model = model::loaded_model::load(t.folder);
    CHECK(unsigned_model.input_columns().front() == "distance");
    CHECK(unsigned_model.input_columns().size() == 20);
    CHECK(unsigned_model.predict(t.table) == t.expected);

    write_file_atomic(mlmodel, original);
    replace_in_file(mlmodel, R"({"type": "long", "name": "dropoff_second"})", R"({"type": "long", "name": "x"}, {"type": "long", "name": "y"})");
    auto mismatch = load_error(t.folder);
    CHECK(std::string(mismatch.what()).find("21 input columns") != std::string::npos);

    write_file_atomic(mlmodel, original);
    replace_in_file(mlmodel, "    data: model.json\n    model_class", "    data: ../../etc/passwd\n    model_class");
    CHECK(load_error(t.folder).context().field == std::optional<std::string>("flavors.xgboost.data"));
}

TEST_CASE("a model with neither a signature nor feature names is rejected, naming signature.inputs") {
    test::scratch_dir dir("loaded-model-unnamed");
    auto t = test::synthetic_table(100, 12);
    auto m = xgb::dmatrix::from_dense(t.features, t.rows, 20);
    m.set_labels(t.target);
    const xgb::dmatrix* cache[] = {&m};
    xgb::booster b(cache);
    b.set_param("nthread", "1");
    b.update_one_iter(0, m);
    test::write_taxi_model_folder(dir / "m", b.save_json());
    replace_in_file(dir / "m/MLmodel", "  inputs:", "  no_inputs:");
    auto e = load_error(dir / "m");
    CHECK(e.kind() == error_kind::bad_input);
    CHECK(std::string(e.what()).find("signature.inputs") != std::string::npos);
}

namespace {

// A manifest like aml-train's: the model file's hash and, optionally, a fast-path record.
void write_manifest(const fs::path& folder, const std::optional<model::fast_path_check>& check) {
    json::object manifest{{"files", model::file_hashes({{"model.json", read_file(folder / "model.json")}})}};
    if (check) manifest[model::fast_path_check_key] = model::to_json(*check);
    json::write_file(folder / model::manifest_file, manifest);
}

}  // namespace

TEST_CASE("a manifest record of aml-train's check skips the check at loading only for this model, build and kernel") {
    trained t;
    const std::string model_json = read_file(t.folder / "model.json");
    const std::vector<float> reference(t.expected.begin(), t.expected.end());
    const auto booster = xgb::booster::load_buffer(model_json, "model.json");
    auto check = model::check_fast_path(model_json, booster, t.table.features, t.table.rows, reference);
    REQUIRE(check.has_value());
    CHECK(check->identical);
    CHECK(check->probe_sha256.size() == 64);
    CHECK(check->rows == t.table.rows);
    CHECK(check->build_commit == build_commit());

    SECTION("a matching record: verified from the start, same predictions") {
        write_manifest(t.folder, check);
        auto m = model::loaded_model::load(t.folder);
        CHECK(m.fast_path_checked_at_training());
        CHECK(m.fast_path_verified());
        CHECK(m.predict(t.table) == t.expected);
    }
    SECTION("no record (a model from elsewhere): checked against xgboost on the first rows") {
        write_manifest(t.folder, std::nullopt);
        auto m = model::loaded_model::load(t.folder);
        CHECK_FALSE(m.fast_path_checked_at_training());
        CHECK_FALSE(m.fast_path_verified());
        CHECK(m.predict(t.table) == t.expected);
        CHECK(m.fast_path_verified());
    }
    SECTION("records that do not apply are ignored, never trusted") {
        auto other = *check;
        SECTION("a difference was recorded") { other.identical = false; }
        SECTION("another build") { other.build_commit = "0000000"; }
        SECTION("another version") { other.amlops_version = "0.0.0-other"; }
        SECTION("another kernel") { other.kernel = "generic"; }
        SECTION("another model file") { other.model_sha256 = std::string(64, 'a'); }
        SECTION("no rows compared") { other.rows = 0; }
        SECTION("the evaluator predicts the probe differently now") { other.probe_sha256 = std::string(64, '0'); }
        write_manifest(t.folder, other);
        auto m = model::loaded_model::load(t.folder);
        CHECK_FALSE(m.fast_path_checked_at_training());
        CHECK(m.predict(t.table) == t.expected);
    }
    SECTION("a model changed after the check fails the folder's hash, record or not") {
        write_manifest(t.folder, check);
        replace_in_file(t.folder / "model.json", "\"num_feature\":\"20\"", "\"num_feature\":\"20\" ");
        CHECK(load_error(t.folder).kind() == error_kind::bad_input);
    }
}
