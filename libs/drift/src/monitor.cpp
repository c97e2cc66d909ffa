#include "amlops/drift/monitor.hpp"

#include "amlops/core/error.hpp"
#include "amlops/drift/stats.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

namespace amlops::drift {
namespace {

constexpr std::size_t npos = static_cast<std::size_t>(-1);
// Enough shards that the server's request threads seldom share one (counters of one shard are
// contiguous; different shards are different allocations).
constexpr std::size_t shard_count = 8;
// From this many rows on, a call counts into a private array first and adds each bin once.
constexpr std::size_t local_count_rows = 64;

std::size_t this_thread_shard() {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t mine = next.fetch_add(1, std::memory_order_relaxed) % shard_count;
    return mine;
}

json::value number_or_null(double v) { return std::isfinite(v) ? json::value(v) : json::value(nullptr); }

}  // namespace

struct monitor::shard {
    explicit shard(std::size_t n) : counters(n) {}
    std::vector<std::atomic<std::uint64_t>> counters;
};

monitor::monitor(std::shared_ptr<const profile> p, const std::vector<std::string>& columns)
    : profile_(std::move(p)), columns_(columns.size()) {
    if (!profile_) throw error(error_kind::internal, "drift monitor without a profile");
    for (const auto& f : profile_->features) {
        std::size_t at = npos;
        for (std::size_t c = 0; c < columns.size(); ++c)
            if (columns[c] == f.name) at = c;
        column_of_.push_back(at);
        offset_.push_back(width_);
        width_ += f.grid.bins() + 2;  // the bins, then missing, then off-grid
    }
    for (std::size_t s = 0; s < shard_count; ++s) shards_.push_back(std::make_unique<shard>(width_));
}

monitor::~monitor() = default;

void monitor::observe(std::span<const float> row_major, std::size_t rows) {
    if (rows == 0 || columns_ == 0) return;
    if (row_major.size() != rows * columns_)
        throw error(error_kind::internal, "drift monitor: " + std::to_string(row_major.size()) + " values for " +
                                              std::to_string(rows) + " rows of " + std::to_string(columns_) + " columns");
    auto& counters = shards_[this_thread_shard()]->counters;
    // Row by row (the matrix is row-major: one pass over memory), each cell to its feature's bin.
    auto count_row = [&](const float* row, auto&& add) {
        for (std::size_t f = 0; f < column_of_.size(); ++f) {
            const std::size_t c = column_of_[f];
            if (c == npos) continue;
            const auto& grid = profile_->features[f].grid;
            const std::size_t base = offset_[f], bins = grid.bins();
            const float v = row[c];
            if (std::isnan(v)) {
                add(base + bins);
                continue;
            }
            const std::size_t b = grid.bin_of(v);
            add(base + b);
            if (b == 0 || v != grid.edges[b - 1]) add(base + bins + 1);  // off the grid: KS gets an error bound
        }
    };
    if (rows >= local_count_rows) {
        thread_local std::vector<std::uint64_t> scratch;
        scratch.assign(width_, 0);
        for (std::size_t r = 0; r < rows; ++r) count_row(row_major.data() + r * columns_, [&](std::size_t i) { ++scratch[i]; });
        for (std::size_t i = 0; i < width_; ++i)
            if (scratch[i]) counters[i].fetch_add(scratch[i], std::memory_order_relaxed);
    } else {
        for (std::size_t r = 0; r < rows; ++r)
            count_row(row_major.data() + r * columns_, [&](std::size_t i) { counters[i].fetch_add(1, std::memory_order_relaxed); });
    }
    rows_.fetch_add(rows, std::memory_order_relaxed);
}

drift_report monitor::report(const limits& l) const {
    std::vector<std::uint64_t> sum(width_, 0);
    for (const auto& s : shards_)
        for (std::size_t i = 0; i < width_; ++i) sum[i] += s->counters[i].load(std::memory_order_relaxed);
    drift_report r;
    r.rows = rows_.load(std::memory_order_relaxed);
    r.checked = l;
    for (std::size_t f = 0; f < profile_->features.size(); ++f) {
        if (column_of_[f] == npos) continue;
        const auto& fp = profile_->features[f];
        const std::span<const std::uint64_t> grid(sum.data() + offset_[f], fp.grid.bins());
        feature_drift d;
        d.name = fp.name;
        d.discrete = fp.discrete;
        for (auto c : grid) d.n += c;
        d.missing = sum[offset_[f] + fp.grid.bins()];
        const std::uint64_t off_grid = sum[offset_[f] + fp.grid.bins() + 1];
        if (!fp.grid.edges.empty()) {
            d.out_of_range = grid.front();
            if (fp.max < std::numeric_limits<float>::max()) d.out_of_range += grid.back();
        }
        d.psi = psi(fp.to_psi_bins(fp.counts), fp.to_psi_bins(grid));
        const auto k = ks(fp.counts, grid, fp.discrete && off_grid == 0);
        d.ks = k.statistic;
        d.ks_error_bound = k.error_bound;
        auto fmt = [](double v) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.4g", v);
            return std::string(buf);
        };
        // PSI and KS compare non-missing values only: a feature whose scored values are all
        // missing (a column dropped or renamed upstream) makes both undefined (NaN), and a NaN
        // never exceeds a limit. That is the worst drift there is, so it is a reason of its own.
        const bool training_had_values = d.n == 0 && fp.n > 0;
        if ((l.psi || l.ks) && training_had_values && d.missing > 0)
            d.reasons.push_back("all " + std::to_string(d.missing) + " scored values are missing (training had " +
                                std::to_string(fp.n) + " values): PSI and KS are undefined");
        if (l.psi && d.psi > *l.psi) d.reasons.push_back("PSI " + fmt(d.psi) + " > " + fmt(*l.psi));
        if (l.ks && d.ks > *l.ks) d.reasons.push_back("KS " + fmt(d.ks) + " > " + fmt(*l.ks));
        r.features.push_back(std::move(d));
    }
    return r;
}

std::vector<const feature_drift*> drift_report::drifting() const {
    std::vector<const feature_drift*> out;
    for (const auto& f : features)
        if (!f.reasons.empty()) out.push_back(&f);
    return out;
}

json::object to_json(const drift_report& r) {
    json::object features;
    for (const auto& f : r.features) {
        json::array reasons;
        for (const auto& s : f.reasons) reasons.push_back(json::value(s));
        features[f.name] = json::object{{"kind", f.discrete ? "discrete" : "continuous"},
                                        {"n", f.n},
                                        {"missing", f.missing},
                                        {"out_of_range", f.out_of_range},
                                        {"psi", number_or_null(f.psi)},
                                        {"ks", number_or_null(f.ks)},
                                        {"ks_error_bound", number_or_null(f.ks_error_bound)},
                                        {"drifting", !f.reasons.empty()},
                                        {"reasons", std::move(reasons)}};
    }
    json::array drifting;
    for (const auto* f : r.drifting()) {
        json::array reasons;
        for (const auto& s : f->reasons) reasons.push_back(json::value(s));
        drifting.push_back(json::object{{"feature", f->name}, {"psi", number_or_null(f->psi)}, {"ks", number_or_null(f->ks)},
                                        {"reasons", std::move(reasons)}});
    }
    const bool any = !drifting.empty();
    return json::object{{"status", r.rows == 0 ? "no rows" : any ? "drift" : "ok"},
                        {"rows", r.rows},
                        {"limits", json::object{{"psi", r.checked.psi ? json::value(*r.checked.psi) : json::value(nullptr)},
                                                {"ks", r.checked.ks ? json::value(*r.checked.ks) : json::value(nullptr)}}},
                        {"psi_epsilon", psi_epsilon},
                        {"drifting", std::move(drifting)},
                        {"features", std::move(features)}};
}

json::object no_profile_json() {
    return json::object{{"status", "no profile"},
                        {"reason", std::string("the model folder has no ") + profile_file +
                                       " (trained before amlops wrote training profiles): retrain it to check drift"}};
}

}  // namespace amlops::drift
