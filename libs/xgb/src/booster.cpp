#include "amlops/xgb/booster.hpp"

#include "check.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"

#include <xgboost/c_api.h>

#include <charconv>
#include <cstdint>
#include <utility>

namespace amlops::xgb {

using detail::check;

namespace {

std::vector<const char*> c_strings(const std::vector<std::string>& v) {
    std::vector<const char*> out;
    out.reserve(v.size());
    for (const auto& s : v) out.push_back(s.c_str());
    return out;
}

}  // namespace

booster::booster(std::span<const dmatrix* const> cache) {
    std::vector<DMatrixHandle> handles;
    handles.reserve(cache.size());
    for (const dmatrix* m : cache) handles.push_back(m->handle());
    BoosterHandle h = nullptr;
    check(XGBoosterCreate(handles.data(), static_cast<bst_ulong>(handles.size()), &h), "booster creation");
    handle_ = h;
}

booster booster::load_buffer(std::string_view bytes, std::string_view origin) {
    booster b;
    if (XGBoosterLoadModelFromBuffer(b.handle_, bytes.data(), static_cast<bst_ulong>(bytes.size())) != 0) {
        throw error(error_kind::bad_input, "not a valid xgboost model: " + detail::last_error())
            .in_file(std::string(origin));
    }
    return b;
}

booster booster::load_file(const std::filesystem::path& path) {
    // Reading the bytes ourselves (rather than XGBoosterLoadModel) gives a not_found error for a
    // missing file and format detection by content instead of by file extension.
    return load_buffer(read_file(path), path.string());
}

booster::booster(booster&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}

booster& booster::operator=(booster&& other) noexcept {
    if (this != &other) {
        if (handle_ != nullptr) XGBoosterFree(handle_);
        handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
}

booster::~booster() {
    if (handle_ != nullptr) XGBoosterFree(handle_);
}

void booster::set_param(const std::string& name, const std::string& value) {
    check(XGBoosterSetParam(handle_, name.c_str(), value.c_str()), "set parameter " + name);
}

void booster::set_feature_info(const std::vector<std::string>& names, const std::vector<std::string>& types) {
    auto n = c_strings(names);
    check(XGBoosterSetStrFeatureInfo(handle_, "feature_name", n.data(), static_cast<bst_ulong>(n.size())),
          "set feature names");
    auto t = c_strings(types);
    check(XGBoosterSetStrFeatureInfo(handle_, "feature_type", t.data(), static_cast<bst_ulong>(t.size())),
          "set feature types");
}

std::vector<std::string> booster::feature_names() const {
    bst_ulong len = 0;
    const char** names = nullptr;
    check(XGBoosterGetStrFeatureInfo(handle_, "feature_name", &len, &names), "get feature names");
    return std::vector<std::string>(names, names + len);
}

void booster::update_one_iter(int iteration, const dmatrix& train) {
    check(XGBoosterUpdateOneIter(handle_, iteration, train.handle()), "training round " + std::to_string(iteration));
}

std::string booster::eval_text(int iteration, std::span<const eval_set> sets) {
    std::vector<DMatrixHandle> handles;
    std::vector<const char*> names;
    for (const auto& s : sets) {
        handles.push_back(s.data->handle());
        names.push_back(s.name.c_str());
    }
    const char* out = nullptr;
    check(XGBoosterEvalOneIter(handle_, iteration, handles.data(), names.data(), static_cast<bst_ulong>(sets.size()),
                               &out),
          "evaluation");
    return out != nullptr ? std::string(out) : std::string();
}

std::vector<eval_result> booster::eval(int iteration, std::span<const eval_set> sets) {
    return parse_eval_text(eval_text(iteration, sets));
}

int booster::boosted_rounds() const {
    int n = 0;
    check(XGBoosterBoostedRounds(handle_, &n), "boosted rounds");
    return n;
}

std::size_t booster::num_features() const {
    bst_ulong n = 0;
    check(XGBoosterGetNumFeature(handle_, &n), "feature count");
    return static_cast<std::size_t>(n);
}

booster booster::slice(int begin, int end) const {
    BoosterHandle out = nullptr;
    check(XGBoosterSlice(handle_, begin, end, 1, &out),
          "slice [" + std::to_string(begin) + ", " + std::to_string(end) + ")");
    return booster(adopt_tag{}, out);
}

std::string booster::save(std::string_view format) const {
    std::string config = R"({"format": ")" + std::string(format) + R"("})";
    bst_ulong len = 0;
    const char* data = nullptr;
    check(XGBoosterSaveModelToBuffer(handle_, config.c_str(), &len, &data), "model save");
    return std::string(data, static_cast<std::size_t>(len));
}

std::string booster::save_json() const { return save("json"); }
std::string booster::save_ubj() const { return save("ubj"); }

void booster::set_attr(const std::string& key, const std::string& value) {
    check(XGBoosterSetAttr(handle_, key.c_str(), value.c_str()), "set attribute " + key);
}

std::optional<std::string> booster::attr(const std::string& key) const {
    const char* out = nullptr;
    int found = 0;
    check(XGBoosterGetAttr(handle_, key.c_str(), &out, &found), "get attribute " + key);
    if (found == 0 || out == nullptr) return std::nullopt;
    return std::string(out);
}

std::vector<float> booster::predict_dense(std::span<const float> values, std::size_t rows, std::size_t cols,
                                          iteration_range range) const {
    if (values.size() != rows * cols) {
        throw error(error_kind::bad_input, "dense matrix of " + std::to_string(rows) + " x " + std::to_string(cols) +
                                               " needs " + std::to_string(rows * cols) + " values, got " +
                                               std::to_string(values.size()));
    }
    if (rows == 0) return {};
    // numpy's __array_interface__ (version 3): the data pointer travels as an integer.
    std::string array = R"({"data": [)" + std::to_string(reinterpret_cast<std::uintptr_t>(values.data())) +
                        R"(, true], "shape": [)" + std::to_string(rows) + ", " + std::to_string(cols) +
                        R"(], "typestr": "<f4", "version": 3})";
    std::string config = R"({"type": 0, "training": false, "iteration_begin": )" + std::to_string(range.begin) +
                         R"(, "iteration_end": )" + std::to_string(range.end) +
                         R"(, "strict_shape": false, "cache_id": 0, "missing": NaN})";
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* result = nullptr;
    check(XGBoosterPredictFromDense(handle_, array.c_str(), config.c_str(), nullptr, &shape, &dim, &result),
          "prediction");
    bst_ulong total = 1;
    for (bst_ulong i = 0; i < dim; ++i) total *= shape[i];
    if (total % rows != 0) {
        throw error(error_kind::internal, "xgboost returned " + std::to_string(total) + " predictions for " +
                                              std::to_string(rows) + " rows");
    }
    return std::vector<float>(result, result + total);
}

std::vector<float> booster::predict(const dmatrix& data, iteration_range range) const {
    std::string config = R"({"type": 0, "training": false, "iteration_begin": )" + std::to_string(range.begin) +
                         R"(, "iteration_end": )" + std::to_string(range.end) + R"(, "strict_shape": false})";
    const bst_ulong* shape = nullptr;
    bst_ulong dim = 0;
    const float* result = nullptr;
    check(XGBoosterPredictFromDMatrix(handle_, data.handle(), config.c_str(), &shape, &dim, &result), "prediction");
    bst_ulong total = 1;
    for (bst_ulong i = 0; i < dim; ++i) total *= shape[i];
    const std::size_t rows = data.rows();
    if (rows != 0 && total % rows != 0) {
        throw error(error_kind::internal, "xgboost returned " + std::to_string(total) + " predictions for " +
                                              std::to_string(rows) + " rows");
    }
    return std::vector<float>(result, result + total);
}

std::vector<feature_score> booster::feature_scores(std::string_view importance_type) const {
    std::string config = R"({"importance_type": ")" + std::string(importance_type) + R"("})";
    bst_ulong n_features = 0, dim = 0;
    const char** features = nullptr;
    const bst_ulong* shape = nullptr;
    const float* scores = nullptr;
    check(XGBoosterFeatureScore(handle_, config.c_str(), &n_features, &features, &dim, &shape, &scores),
          "feature importance");
    std::vector<feature_score> out;
    out.reserve(n_features);
    for (bst_ulong i = 0; i < n_features; ++i) out.push_back({features[i], static_cast<double>(scores[i])});
    return out;
}

std::vector<eval_result> parse_eval_text(std::string_view text) {
    std::vector<eval_result> out;
    auto bad = [&] { return error(error_kind::internal, "unexpected xgboost evaluation text: '" + std::string(text) + "'"); };
    // "[12]\ttrain-rmse:1.5\tvalid-rmse:1.7": skip the round marker, then tab-separated entries.
    std::size_t pos = text.find('\t');
    if (text.empty() || text.front() != '[') throw bad();
    while (pos != std::string_view::npos) {
        std::size_t start = pos + 1;
        pos = text.find('\t', start);
        std::string_view entry = text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start);
        if (entry.empty()) continue;
        std::size_t colon = entry.rfind(':');
        std::size_t dash = entry.find('-');
        if (colon == std::string_view::npos || dash == std::string_view::npos || dash > colon) throw bad();
        eval_result r;
        r.set = std::string(entry.substr(0, dash));
        r.metric = std::string(entry.substr(dash + 1, colon - dash - 1));
        std::string_view number = entry.substr(colon + 1);
        auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), r.value);
        if (ec != std::errc() || ptr != number.data() + number.size()) throw bad();
        out.push_back(std::move(r));
    }
    return out;
}

std::string library_version() {
    int major = 0, minor = 0, patch = 0;
    XGBoostVersion(&major, &minor, &patch);
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

}  // namespace amlops::xgb
