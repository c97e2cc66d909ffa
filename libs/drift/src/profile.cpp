#include "amlops/drift/profile.hpp"

#include "amlops/core/atomic_file.hpp"
#include "amlops/core/error.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <cmath>
#include <limits>
#include <numeric>

namespace amlops::drift {
namespace {

// The ranks floor(k n / q), k = 1..q-1: the lower edges of q bins of about n/q values each. Both
// the grid and the PSI bins use this rank, so every decile edge is also a percentile edge
// (floor(10k n / 100) = floor(k n / 10)).
void add_quantile_ranks(std::vector<std::size_t>& ranks, std::size_t n, std::size_t q) {
    for (std::size_t k = 1; k < q; ++k) ranks.push_back(k * n / q);
}

// Puts the order statistic of every rank in [rlo, rhi) (sorted, absolute positions) at its
// position, like a full sort would, in O(n log ranks): a median rank first, then each side.
void select_ranks(float* first, float* last, std::size_t offset, const std::size_t* rlo, const std::size_t* rhi) {
    if (rlo == rhi || first == last) return;
    const std::size_t* mid = rlo + (rhi - rlo) / 2;
    float* nth = first + (*mid - offset);
    std::nth_element(first, nth, last);
    select_ranks(first, nth, offset, rlo, mid);
    select_ranks(nth + 1, last, *mid + 1, mid + 1, rhi);
}

// The float just above the training maximum: the lower edge of the "above the range" bin. None
// for FLT_MAX, above which no finite float lies.
std::optional<float> above(float max) {
    if (max >= std::numeric_limits<float>::max()) return std::nullopt;
    return std::nextafter(max, std::numeric_limits<float>::infinity());
}

void unique_sorted(std::vector<float>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
}

void derive_psi_bins(feature_profile& f) {
    f.psi_bin.assign(f.grid.bins(), 0);
    for (std::size_t j = 1; j < f.grid.bins(); ++j) f.psi_bin[j] = f.psi.bin_of(f.grid.edges[j - 1]);
}

feature_profile profile_column(const std::string& name, std::vector<float> values) {
    feature_profile f;
    f.name = name;
    const auto nan_end = std::remove_if(values.begin(), values.end(), [](float v) { return std::isnan(v); });
    f.missing = static_cast<std::uint64_t>(values.end() - nan_end);
    values.erase(nan_end, values.end());
    f.n = values.size();
    if (values.empty()) {  // nothing to bin: one bin, no edges
        f.counts.assign(1, 0);
        f.psi_bin.assign(1, 0);
        return f;
    }
    // The distinct values, up to one more than a discrete feature may have: a discrete column
    // needs no sort at all, a continuous one stops this scan early.
    std::vector<float> distinct;
    for (float v : values) {
        if (std::find(distinct.begin(), distinct.end(), v) != distinct.end()) continue;
        distinct.push_back(v);
        if (distinct.size() > max_discrete_values) break;
    }
    f.discrete = distinct.size() <= max_discrete_values;
    if (f.discrete) {
        std::sort(distinct.begin(), distinct.end());
        f.min = distinct.front();
        f.max = distinct.back();
        f.grid.edges = distinct;
        f.psi.edges = distinct;
    } else {
        // The order statistics the edges need, not a full sort (a column may have millions of rows).
        const std::size_t n = values.size();
        std::vector<std::size_t> ranks{0, n - 1};
        add_quantile_ranks(ranks, n, grid_quantiles);
        std::sort(ranks.begin(), ranks.end());
        ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
        select_ranks(values.data(), values.data() + n, 0, ranks.data(), ranks.data() + ranks.size());
        f.min = values.front();
        f.max = values[n - 1];
        std::vector<std::size_t> grid_ranks, psi_ranks;
        add_quantile_ranks(grid_ranks, n, grid_quantiles);
        add_quantile_ranks(psi_ranks, n, psi_quantiles);
        for (auto r : grid_ranks) f.grid.edges.push_back(values[r]);
        f.grid.edges.push_back(values.front());
        for (auto r : psi_ranks) f.psi.edges.push_back(values[r]);
        unique_sorted(f.psi.edges);
    }
    if (auto a = above(static_cast<float>(f.max))) {
        f.grid.edges.push_back(*a);
        if (f.discrete) f.psi.edges.push_back(*a);
    }
    unique_sorted(f.grid.edges);
    f.counts.assign(f.grid.bins(), 0);
    for (float v : values) ++f.counts[f.grid.bin_of(v)];
    derive_psi_bins(f);
    return f;
}

[[noreturn]] void bad(const std::string& origin, const std::string& field, const std::string& why) {
    throw error(error_kind::bad_input, "invalid training profile: " + why).in_file(origin).on_field(field);
}

std::vector<float> read_edges(const json::object& o, const char* key, const std::string& origin, const std::string& field) {
    const auto& v = json::require(o, key, origin);
    if (!v.is_array()) bad(origin, field + "." + key, "must be an array of numbers");
    std::vector<float> out;
    for (const auto& e : v.get_array()) {
        if (!e.is_number()) bad(origin, field + "." + key, "must be an array of numbers");
        const float f = static_cast<float>(json::to_double(e, key));
        if (!std::isfinite(f)) bad(origin, field + "." + key, "edges must be finite floats");
        if (!out.empty() && !(f > out.back())) bad(origin, field + "." + key, "edges must be strictly increasing");
        out.push_back(f);
    }
    return out;
}

std::vector<std::uint64_t> read_counts(const json::object& o, const char* key, const std::string& origin, const std::string& field) {
    const auto& v = json::require(o, key, origin);
    if (!v.is_array()) bad(origin, field + "." + key, "must be an array of counts");
    std::vector<std::uint64_t> out;
    for (const auto& e : v.get_array()) {
        if (e.is_uint64()) out.push_back(e.get_uint64());
        else if (e.is_int64() && e.get_int64() >= 0) out.push_back(static_cast<std::uint64_t>(e.get_int64()));
        else bad(origin, field + "." + key, "counts must be whole numbers >= 0");
    }
    return out;
}

std::uint64_t read_count(const json::object& o, const char* key, const std::string& origin, const std::string& field) {
    const double d = json::require_number(o, key, origin);
    if (!(d >= 0) || d != std::floor(d)) bad(origin, field + "." + key, "must be a whole number >= 0");
    return static_cast<std::uint64_t>(d);
}

json::array number_array(const std::vector<float>& v) {
    json::array a;
    for (float f : v) a.push_back(static_cast<double>(f));
    return a;
}

json::array count_array(const std::vector<std::uint64_t>& v) {
    json::array a;
    for (auto c : v) a.push_back(c);
    return a;
}

}  // namespace

std::size_t bin_edges::bin_of(float v) const noexcept {
    // upper_bound without branches on the data (the comparison becomes a conditional move): the
    // scoring paths call this once per cell, and the edges are quantiles, so a branch on them
    // would be mispredicted half the time.
    std::size_t n = edges.size();
    if (n == 0) return 0;
    const float* base = edges.data();
    while (n > 1) {
        const std::size_t half = n / 2;
        base = base[half] <= v ? base + half : base;
        n -= half;
    }
    return static_cast<std::size_t>(base - edges.data()) + (*base <= v ? 1 : 0);
}

std::vector<std::uint64_t> feature_profile::to_psi_bins(std::span<const std::uint64_t> grid_counts) const {
    std::vector<std::uint64_t> out(psi.bins(), 0);
    for (std::size_t j = 0; j < grid_counts.size() && j < psi_bin.size(); ++j) out[psi_bin[j]] += grid_counts[j];
    return out;
}

const feature_profile* profile::find(std::string_view name) const noexcept {
    for (const auto& f : features)
        if (f.name == name) return &f;
    return nullptr;
}

profile build_profile(const std::vector<std::string>& columns, std::span<const float> row_major, std::size_t rows) {
    const std::size_t width = columns.size();
    if (row_major.size() != rows * width)
        throw error(error_kind::internal, "build_profile: " + std::to_string(row_major.size()) + " values for " +
                                              std::to_string(rows) + " rows of " + std::to_string(width) + " columns");
    profile p;
    p.rows = rows;
    p.features.resize(width);
    // Columns are independent: profiled on a few threads (a continuous column is one sort).
    const std::size_t threads = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, std::max<std::size_t>(width, 1));
    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    std::mutex failure_mu;
    auto work = [&] {
        try {
            std::vector<float> column(rows);
            for (std::size_t c; (c = next.fetch_add(1)) < width;) {
                for (std::size_t r = 0; r < rows; ++r) column[r] = row_major[r * width + c];
                p.features[c] = profile_column(columns[c], column);
            }
        } catch (...) {
            std::lock_guard lock(failure_mu);
            failure = std::current_exception();
        }
    };
    std::vector<std::thread> pool;
    for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
    return p;
}

json::object to_json(const profile& p) {
    json::array features;
    for (const auto& f : p.features) {
        features.push_back(json::object{{"name", f.name},
                                        {"kind", f.discrete ? "discrete" : "continuous"},
                                        {"n", f.n},
                                        {"missing", f.missing},
                                        {"min", f.min},
                                        {"max", f.max},
                                        {"psi_edges", number_array(f.psi.edges)},
                                        {"psi_counts", count_array(f.to_psi_bins(f.counts))},
                                        {"grid_edges", number_array(f.grid.edges)},
                                        {"grid_counts", count_array(f.counts)}});
    }
    return json::object{{"format", profile_format},
                        {"rows", p.rows},
                        {"grid_quantiles", grid_quantiles},
                        {"psi_quantiles", psi_quantiles},
                        {"max_discrete_values", max_discrete_values},
                        {"bins", "lower-inclusive: edges e0<e1<... make bins (-inf,e0), [e0,e1), ..., [e_last,+inf)"},
                        {"features", std::move(features)}};
}

profile profile_from_json(const json::value& doc, const std::string& origin) {
    if (!doc.is_object()) bad(origin, "", "not a JSON object");
    const auto& o = doc.get_object();
    if (json::require_number(o, "format", origin) != profile_format)
        bad(origin, "format", "unknown format (this amlops reads format " + std::to_string(profile_format) + ")");
    profile p;
    p.rows = read_count(o, "rows", origin, "rows");
    const auto& features = json::require(o, "features", origin);
    if (!features.is_array()) bad(origin, "features", "must be an array");
    for (std::size_t i = 0; i < features.get_array().size(); ++i) {
        const std::string field = "features[" + std::to_string(i) + "]";
        const auto& fv = features.get_array()[i];
        if (!fv.is_object()) bad(origin, field, "must be an object");
        const auto& fo = fv.get_object();
        feature_profile f;
        f.name = json::require_string(fo, "name", origin);
        const std::string kind = json::require_string(fo, "kind", origin);
        if (kind != "discrete" && kind != "continuous") bad(origin, field + ".kind", "must be discrete or continuous");
        f.discrete = kind == "discrete";
        f.n = read_count(fo, "n", origin, field);
        f.missing = read_count(fo, "missing", origin, field);
        f.min = json::require_number(fo, "min", origin);
        f.max = json::require_number(fo, "max", origin);
        f.grid.edges = read_edges(fo, "grid_edges", origin, field);
        f.counts = read_counts(fo, "grid_counts", origin, field);
        f.psi.edges = read_edges(fo, "psi_edges", origin, field);
        if (f.counts.size() != f.grid.bins())
            bad(origin, field + ".grid_counts", "needs one count per bin (edges + 1)");
        if (std::accumulate(f.counts.begin(), f.counts.end(), std::uint64_t{0}) != f.n)
            bad(origin, field + ".grid_counts", "counts do not add up to n");
        for (float e : f.psi.edges)
            if (!std::binary_search(f.grid.edges.begin(), f.grid.edges.end(), e))
                bad(origin, field + ".psi_edges", "every PSI edge must be a grid edge");
        derive_psi_bins(f);
        if (fo.contains("psi_counts") && read_counts(fo, "psi_counts", origin, field) != f.to_psi_bins(f.counts))
            bad(origin, field + ".psi_counts", "do not match the grid counts");
        if (p.find(f.name)) bad(origin, field + ".name", "feature '" + f.name + "' appears twice");
        p.features.push_back(std::move(f));
    }
    return p;
}

std::optional<profile> load_profile(const std::filesystem::path& model_dir) {
    const auto file = model_dir / profile_file;
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) return std::nullopt;
    const std::string origin = file.string();
    json::value doc;
    try {
        doc = json::parse(read_file(file), origin);
    } catch (const error& e) {
        throw error(error_kind::bad_input, std::string("invalid training profile: ") + e.what()).in_file(origin);
    }
    return profile_from_json(doc, origin);
}

}  // namespace amlops::drift
