#include "amlops/model/trainer.hpp"

#include "amlops/core/error.hpp"
#include "amlops/core/json.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace amlops::model {
namespace {

// SplitMix64: a fixed, well-mixed function of (seed, row). std::shuffle and the standard
// distributions are implementation-defined, which would make the split differ across platforms.
std::uint64_t mix(std::uint64_t x) noexcept {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void check_table(const data::numeric_table& table, const model_signature& signature) {
    if (table.rows == 0) throw error(error_kind::bad_input, "no training rows");
    if (table.target.size() != table.rows) throw error(error_kind::bad_input, "training data has no target values");
    if (table.columns.size() != signature.inputs.size())
        throw error(error_kind::bad_input, "table has " + std::to_string(table.columns.size()) + " feature columns, the model " +
                                               std::to_string(signature.inputs.size()));
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
        if (table.columns[i] != signature.inputs[i].name)
            throw error(error_kind::bad_input, "column " + std::to_string(i) + " is '" + table.columns[i] +
                                                   "', the model expects '" + signature.inputs[i].name + "'")
                .on_field(signature.inputs[i].name);
    }
}

// Rows of `table` selected by `keep == want`, as a dense matrix plus targets.
struct part {
    std::vector<float> x;
    std::vector<double> y;
    std::size_t rows = 0;
};

part select_rows(const data::numeric_table& table, const std::vector<bool>& mask, bool want) {
    part p;
    for (std::size_t i = 0; i < table.rows; ++i) {
        if (mask[i] != want) continue;
        auto r = table.row(i);
        p.x.insert(p.x.end(), r.begin(), r.end());
        p.y.push_back(table.target[i]);
        ++p.rows;
    }
    return p;
}

}  // namespace

std::vector<bool> validation_mask(std::size_t rows, double fraction, std::int64_t seed) {
    std::vector<bool> mask(rows, false);
    auto k = static_cast<std::size_t>(std::llround(static_cast<double>(rows) * fraction));
    if (k == 0 || k >= rows) return mask;
    std::vector<std::pair<std::uint64_t, std::size_t>> keyed(rows);
    const auto s = mix(static_cast<std::uint64_t>(seed));
    for (std::size_t i = 0; i < rows; ++i) keyed[i] = {mix(s ^ static_cast<std::uint64_t>(i)), i};
    std::nth_element(keyed.begin(), keyed.begin() + static_cast<std::ptrdiff_t>(k), keyed.end());
    for (std::size_t j = 0; j < k; ++j) mask[keyed[j].second] = true;
    return mask;
}

std::vector<double> predict_table(const xgb::booster& booster, const data::numeric_table& table) {
    auto p = booster.predict_dense(table.features, table.rows, table.columns.size());
    return std::vector<double>(p.begin(), p.end());
}

training_outcome train_regressor(const data::numeric_table& table, const model_signature& signature,
                                 const train_params& params, const round_callback& on_round,
                                 const std::vector<std::string>& class_labels) {
    params.validate();
    check_table(table, signature);
    const std::size_t cols = table.columns.size();

    std::vector<bool> mask = validation_mask(table.rows, params.validation_fraction, params.seed);
    const bool has_validation = std::find(mask.begin(), mask.end(), true) != mask.end();
    if (params.early_stopping_rounds > 0 && !has_validation)
        throw error(error_kind::bad_input, "early stopping needs validation rows, but " + std::to_string(table.rows) +
                                               " rows at validation_fraction " + std::to_string(params.validation_fraction) +
                                               " leave none")
            .on_field("validation_fraction");

    // Without a hold-out the table is used in place; with one, both parts are copied once.
    part train_part, valid_part;
    if (has_validation) {
        train_part = select_rows(table, mask, false);
        valid_part = select_rows(table, mask, true);
    }
    std::span<const float> train_x = has_validation ? std::span<const float>(train_part.x) : std::span<const float>(table.features);
    std::span<const double> train_y = has_validation ? std::span<const double>(train_part.y) : std::span<const double>(table.target);
    const std::size_t train_rows = has_validation ? train_part.rows : table.rows;

    std::vector<std::string> names, types;
    for (const auto& c : signature.inputs) {
        names.push_back(c.name);
        types.push_back(xgboost_feature_type(c.type));
    }

    auto dtrain = xgb::dmatrix::from_dense(train_x, train_rows, cols, params.nthread);
    dtrain.set_labels(train_y);
    dtrain.set_feature_names(names);
    std::optional<xgb::dmatrix> dvalid;
    if (has_validation) {
        dvalid = xgb::dmatrix::from_dense(valid_part.x, valid_part.rows, cols, params.nthread);
        dvalid->set_labels(valid_part.y);
        dvalid->set_feature_names(names);
    }

    std::vector<const xgb::dmatrix*> cache{&dtrain};
    if (dvalid) cache.push_back(&*dvalid);
    xgb::booster b(cache);
    for (const auto& [k, v] : params.xgboost_params()) b.set_param(k, v);
    const bool classify = !class_labels.empty();
    if (classify) {
        b.set_param("objective", "multi:softprob");
        b.set_param("num_class", std::to_string(class_labels.size()));
    }
    b.set_feature_info(names, types);

    const bool early = params.early_stopping_rounds > 0;
    std::string watched_metric;
    double best = std::numeric_limits<double>::infinity();
    int best_round = 0;
    int round = 0;
    bool stopped = false;
    for (; round < params.n_estimators; ++round) {
        b.update_one_iter(round, dtrain);
        round_progress progress{round, params.n_estimators, {}};
        if (early) {
            xgb::eval_set sets[] = {{"valid", &*dvalid}};
            progress.eval = b.eval(round, sets);
            if (progress.eval.empty()) throw error(error_kind::internal, "xgboost reported no validation metric");
            // Like xgboost's own early-stopping callback: the last metric reported decides.
            const auto& watched = progress.eval.back();
            watched_metric = watched.metric;
            if (watched.value < best) {
                best = watched.value;
                best_round = round;
            }
        }
        if (on_round) on_round(progress);
        if (early && round - best_round >= params.early_stopping_rounds) {
            ++round;
            stopped = true;
            break;
        }
    }
    const int best_iteration = early ? best_round : round - 1;

    // Keep only the rounds up to the best one, so every consumer (Python's Booster.predict,
    // which ignores best_iteration, included) uses the model early stopping chose.
    training_outcome out{.booster = (best_iteration + 1 < b.boosted_rounds()) ? b.slice(0, best_iteration + 1)
                                                                                : std::move(b)};
    out.rounds_run = round;
    out.best_iteration = best_iteration;
    out.stopped_early = stopped;
    out.eval_metric = watched_metric;
    out.booster.set_attr("best_iteration", std::to_string(best_iteration));
    if (early) {
        out.best_score = best;
        // The same shortest round-trip text as the JSON reports.
        out.booster.set_attr("best_score", boost::json::serialize(json::value(best)));
    }

    out.train_rows = train_rows;
    out.validation_rows = has_validation ? valid_part.rows : 0;
    // Through the DMatrix: when no rounds were cut, xgboost answers from its prediction cache.
    auto as_double = [](const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); };
    if (classify) {
        out.train_classes = metrics::summarize_classes(train_y, out.booster.predict(dtrain), class_labels);
        if (has_validation) out.validation_classes = metrics::summarize_classes(valid_part.y, out.booster.predict(*dvalid), class_labels);
        return out;
    }
    out.train = metrics::summarize(train_y, as_double(out.booster.predict(dtrain)));
    if (has_validation) out.validation = metrics::summarize(valid_part.y, as_double(out.booster.predict(*dvalid)));
    return out;
}

}  // namespace amlops::model
