#include "amlops/model/model.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"
#include "amlops/features/schema.hpp"
#include "amlops/model/fast_path_check.hpp"
#include "amlops/model/flat_forest.hpp"
#include "amlops/model/mlflow.hpp"
#include "amlops/model/model_integrity.hpp"
#include "amlops/model/signature.hpp"
#include "amlops/model/task.hpp"
#include "amlops/xgb/booster.hpp"
#include "amlops/yaml/load.hpp"
#include "xgboost_json.hpp"

#include <yaml-cpp/yaml.h>

#include <atomic>
#include <cstring>
#include <future>

namespace amlops::model {

struct loaded_model::impl {
    std::vector<std::string> inputs;
    std::string output;
    // xgboost's own copy. When the flat evaluator reads the model, xgboost's (much slower) load
    // runs on a background thread: it is only needed to check the fast path on the first rows
    // (or as the fallback), so scoring can start reading data meanwhile.
    std::shared_future<xgb::booster> booster_future;
    const xgb::booster& booster() const { return booster_future.get(); }
    std::optional<flat_forest> fast;  ///< absent when the model needs xgboost's own predictor
    std::optional<metrics::fare_classes> classes;  ///< classifiers only
    // The fast path is checked against xgboost on the first rows it predicts and switched off
    // for good if they ever disagree: 0 = not yet checked, 1 = agrees, 2 = off. A model whose
    // manifest records aml-train's check (model/fast_path_check.hpp) starts at 1.
    mutable std::atomic<int> fast_state{0};
    bool checked_at_training = false;
};

namespace {

namespace fs = std::filesystem;

// A classifier's folder: fare_classes.json must describe the softprob model beside it, or the
// probabilities would be labelled with the wrong classes.
metrics::fare_classes read_classes(const fs::path& file, const xgboost_model_fields& model, const std::string& model_origin) {
    const std::string origin = file.string();
    auto classes = metrics::fare_classes::from_json(json::parse(read_file(file), origin), origin);
    const std::string& objective = model.objective;
    const std::string& num_class = model.num_class;
    if (objective != "multi:softprob" || num_class != std::to_string(classes.size()))
        throw error(error_kind::bad_input, "the folder has " + std::string(fare_classes_file) + " (a classifier with " +
                                               std::to_string(classes.size()) + " classes) but the xgboost model's objective is '" +
                                               objective + "' with num_class " + num_class)
            .in_file(model_origin);
    return classes;
}

std::string signature_side(const YAML::Node& signature, const char* side, const std::string& origin) {
    if (!signature || !signature[side] || !signature[side].IsScalar())
        throw error(error_kind::bad_input, std::string("MLmodel has no signature.") + side +
                                               "; amlops needs the named input columns")
            .in_file(origin)
            .on_field(std::string("signature.") + side);
    return signature[side].Scalar();
}

// The columns MLmodel's signature names; no inputs when it has no signature.inputs.
loaded_model::model_columns signature_columns(const YAML::Node& doc, const std::string& origin) {
    loaded_model::model_columns out;
    if (doc["signature"] && doc["signature"]["inputs"]) {
        for (auto& c : columns_from_json(signature_side(doc["signature"], "inputs", origin), origin + " signature.inputs"))
            out.inputs.push_back(std::move(c.name));
    }
    if (doc["signature"]["outputs"] && doc["signature"]["outputs"].IsScalar()) {
        // MLflow allows an unnamed output column; the taxi target is the natural name then.
        json::value outs = json::parse(doc["signature"]["outputs"].Scalar(), origin + " signature.outputs");
        const json::value* name = nullptr;
        if (outs.is_array() && !outs.get_array().empty() && outs.get_array()[0].is_object())
            name = outs.get_array()[0].get_object().if_contains("name");
        out.output = (name != nullptr && name->is_string()) ? std::string(name->get_string()) : std::string(features::target_name);
    } else {
        out.output = std::string(features::target_name);
    }
    return out;
}

}  // namespace

std::optional<loaded_model::model_columns> loaded_model::read_signature_columns(const fs::path& dir) {
    const fs::path mlmodel = dir / mlmodel_file;
    const std::string origin = mlmodel.string();
    auto columns = signature_columns(parse_mlmodel(read_file(mlmodel), origin), origin);
    if (columns.inputs.empty()) return std::nullopt;
    return columns;
}

loaded_model loaded_model::load(const fs::path& dir) {
    if (!fs::is_directory(dir)) throw error(error_kind::not_found, "model folder not found").in_file(dir.string());
    const fs::path mlmodel = dir / mlmodel_file;
    const std::string origin = mlmodel.string();
    std::string text = read_file(mlmodel);
    YAML::Node doc = parse_mlmodel(text, origin);
    const fs::path model_file = mlmodel_data_path(doc, dir, origin);
    const std::string model_bytes = read_file(model_file);
    // Integrity before use: the model's JSON shape, so libxgboost only ever parses a well-formed
    // model document, then the folder's hashes (each file hashed once, from the bytes in hand).
    // The document is read once, streaming, for the checks and the evaluator.
    const xgboost_model_fields model_fields = read_xgboost_json(model_bytes, model_file.string());
    const std::string model_name = model_file.lexically_relative(dir).generic_string();
    json::object manifest;
    const std::size_t hashed = verify_model_folder(dir, {{mlmodel_file, text}, {model_name, model_bytes}}, &manifest);
    auto p = std::make_unique<impl>();
    if (fs::exists(dir / fare_classes_file)) p->classes = read_classes(dir / fare_classes_file, model_fields, model_file.string());
    // xgboost accepted the model; if the flat evaluator cannot read some detail of it, xgboost
    // keeps predicting: the fast path is an optimization, never a reason to fail.
    try {
        p->fast = flat_forest::from_xgboost_fields(model_fields, model_file.string());
    } catch (const error&) {
        p->fast.reset();
    }
    auto load_booster = [](const std::string& bytes, const std::string& source) {
        xgb::booster b = xgb::booster::load_buffer(bytes, source);
        b.set_param("nthread", "0");  // prediction on all cores
        return b;
    };
    if (p->fast && hashed > 0 && fast_path_check_applies(manifest, model_name, *p->fast)) {
        // aml-train compared this very model with xgboost on this build and kernel: no check
        // here, and xgboost loads only if something asks for it (deferred: on first get()).
        p->fast_state.store(1);
        p->checked_at_training = true;
        p->booster_future = std::async(std::launch::deferred, load_booster, model_bytes, model_file.string()).share();
    } else if (p->fast) {
        // The task owns a copy of the bytes; the future's destructor waits for it, so the thread
        // never outlives the model.
        p->booster_future = std::async(std::launch::async, load_booster, model_bytes, model_file.string()).share();
    } else {
        std::promise<xgb::booster> ready;
        ready.set_value(load_booster(model_bytes, model_file.string()));
        p->booster_future = ready.get_future().share();
    }
    auto columns = signature_columns(doc, origin);
    p->inputs = std::move(columns.inputs);
    p->output = std::move(columns.output);
    if (p->inputs.empty()) {
        // Models logged without a signature (e.g. by mlflow.xgboost without an input example)
        // still carry the training column names inside the booster.
        p->inputs = p->booster().feature_names();
        if (p->inputs.empty()) (void)signature_side(doc["signature"], "inputs", origin);  // throws: no names at all
    }
    const std::size_t expected = p->fast ? p->fast->num_features() : p->booster().num_features();
    if (expected != p->inputs.size())
        throw error(error_kind::bad_input, "signature lists " + std::to_string(p->inputs.size()) +
                                               " input columns but the xgboost model expects " +
                                               std::to_string(expected))
            .in_file(origin);
    return loaded_model(std::move(p));
}

loaded_model::loaded_model(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
loaded_model::loaded_model(loaded_model&&) noexcept = default;
loaded_model& loaded_model::operator=(loaded_model&&) noexcept = default;
loaded_model::~loaded_model() = default;

const std::vector<std::string>& loaded_model::input_columns() const noexcept { return impl_->inputs; }
const std::string& loaded_model::output_column() const noexcept { return impl_->output; }

const metrics::fare_classes* loaded_model::classes() const noexcept { return impl_->classes ? &*impl_->classes : nullptr; }

bool loaded_model::fast_path_verified() const noexcept { return impl_->fast && impl_->fast_state.load() == 1; }
bool loaded_model::fast_path_checked_at_training() const noexcept { return impl_->fast && impl_->checked_at_training; }

std::vector<double> loaded_model::predict(const data::numeric_table& table) const {
    const auto& want = impl_->inputs;
    for (std::size_t i = 0; i < want.size(); ++i) {
        if (i >= table.columns.size())
            throw error(error_kind::bad_input, "missing input column '" + want[i] + "'").on_field(want[i]);
        if (table.columns[i] != want[i])
            throw error(error_kind::bad_input, "column " + std::to_string(i) + " is '" + table.columns[i] +
                                                   "' but the model expects '" + want[i] + "' there")
                .on_field(want[i]);
    }
    if (table.columns.size() != want.size())
        throw error(error_kind::bad_input, "unexpected extra column '" + table.columns[want.size()] + "'")
            .on_field(table.columns[want.size()]);
    return predict_rows(table.features, table.rows);
}

std::vector<double> loaded_model::predict_rows(std::span<const float> values, std::size_t rows, unsigned threads) const {
    const std::size_t cols = impl_->inputs.size();
    if (values.size() != rows * cols)
        throw error(error_kind::bad_input, std::to_string(values.size()) + " values for " + std::to_string(rows) +
                                               " rows of " + std::to_string(cols) + " columns");
    // No rows: nothing to predict (and nothing to compare: memcmp of two empty vectors would be
    // handed null pointers).
    if (rows == 0) return {};
    std::vector<float> p;
    if (impl_->fast && impl_->fast_state.load() != 2) {
        p = impl_->fast->predict(values, rows, threads);
        if (impl_->fast_state.load() == 0) {
            const std::size_t probe = std::min<std::size_t>(rows, 4096);
            auto reference = impl_->booster().predict_dense(values.first(probe * cols), probe, cols);
            const bool same = std::memcmp(reference.data(), p.data(), probe * sizeof(float)) == 0;
            impl_->fast_state.store(same ? 1 : 2);
            if (!same) p = impl_->booster().predict_dense(values, rows, cols);
        }
    } else {
        p = impl_->booster().predict_dense(values, rows, cols);
    }
    const std::size_t per_row = impl_->classes ? impl_->classes->size() : 1;
    if (p.size() != rows * per_row)
        throw error(error_kind::bad_input, "the model predicts " + std::to_string(p.size() / rows) + " values per row, " +
                                               (impl_->classes ? "not one per fare class" : "not one: a classifier needs its " +
                                                                                                std::string(fare_classes_file)));
    return std::vector<double>(p.begin(), p.end());
}

}  // namespace amlops::model
