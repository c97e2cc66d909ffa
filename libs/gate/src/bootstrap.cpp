#include "amlops/gate/bootstrap.hpp"

#include "amlops/core/error.hpp"
#include "amlops/metrics/compensated_sum.hpp"

#include <cmath>

#include <string>
#include <vector>

namespace amlops::gate {

std::uint64_t uniform_index(std::mt19937_64& rng, std::uint64_t n) {
    if (n == 0) throw error(error_kind::internal, "uniform_index: empty range");
    // Lemire's multiply-and-shift with rejection: the high 64 bits of x * n are uniform in [0, n)
    // once products whose low half falls below 2^64 mod n are redrawn. Unbiased, and it needs a
    // division only in the rare rejection branch: the bootstrap draws ~10^8 indices.
    __extension__ using u128 = unsigned __int128;
    u128 product = static_cast<u128>(rng()) * n;
    auto low = static_cast<std::uint64_t>(product);
    if (low < n) {
        const std::uint64_t threshold = (0 - n) % n;
        while (low < threshold) {
            product = static_cast<u128>(rng()) * n;
            low = static_cast<std::uint64_t>(product);
        }
    }
    return static_cast<std::uint64_t>(product >> 64);
}

bootstrap_interval paired_bootstrap(metric m, std::span<const double> actual, std::span<const double> candidate,
                                    std::span<const double> champion, const bootstrap_policy& settings) {
    std::mt19937_64 rng(settings.seed);
    return paired_bootstrap(m, actual, candidate, champion, settings, rng);
}

bootstrap_interval paired_bootstrap(metric m, std::span<const double> actual, std::span<const double> candidate,
                                    std::span<const double> champion, const bootstrap_policy& settings,
                                    std::mt19937_64& rng) {
    if (champion.size() != candidate.size()) {
        throw error(error_kind::bad_input, "bootstrap: candidate has " + std::to_string(candidate.size()) +
                                               " predictions but champion has " + std::to_string(champion.size()));
    }
    if (settings.resamples == 0 || !(settings.confidence > 0 && settings.confidence < 1)) {
        throw error(error_kind::config, "bootstrap: resamples must be > 0 and confidence in (0, 1)");
    }
    bootstrap_interval out;
    out.on = m;
    out.resamples = settings.resamples;
    out.confidence = settings.confidence;
    out.seed = settings.seed;
    // Also validates sizes and finiteness once, so the resamples below cannot fail half-way.
    out.observed = compute(m, actual, candidate) - compute(m, actual, champion);

    // Per-row terms, so that each resample is one pass of index draws and sums, with no copies:
    // absolute (mae) or squared (rmse, r2) errors of both models and, for r2, the actual value
    // shifted by the mean, which keeps the one-pass SStot below free of cancellation. One struct
    // per row: the draws are random, and one cache line per draw beats three.
    struct row_terms {
        double cand, champ, centred;
    };
    const std::size_t n = actual.size();
    const auto nd = static_cast<double>(n);
    metrics::compensated_sum total;
    for (double a : actual) total.add(a);
    const double mean = total.value() / nd;
    std::vector<row_terms> rows(n);
    for (std::size_t i = 0; i < n; ++i) {
        const double ec = actual[i] - candidate[i], eh = actual[i] - champion[i];
        rows[i] = m == metric::mae ? row_terms{std::fabs(ec), std::fabs(eh), 0.0}
                                   : row_terms{ec * ec, eh * eh, actual[i] - mean};
    }

    std::vector<double> diffs;
    diffs.reserve(settings.resamples);
    for (std::uint32_t b = 0; b < settings.resamples; ++b) {
        metrics::compensated_sum cand_sum, champ_sum, a_sum, a_sq_sum;
        for (std::size_t i = 0; i < n; ++i) {
            const row_terms& r = rows[static_cast<std::size_t>(uniform_index(rng, n))];
            cand_sum.add(r.cand);
            champ_sum.add(r.champ);
            if (m == metric::r2) {
                a_sum.add(r.centred);
                a_sq_sum.add(r.centred * r.centred);
            }
        }
        switch (m) {
        case metric::rmse: diffs.push_back(std::sqrt(cand_sum.value() / nd) - std::sqrt(champ_sum.value() / nd)); break;
        case metric::mae: diffs.push_back((cand_sum.value() - champ_sum.value()) / nd); break;
        case metric::r2: {
            // r2_c - r2_h = (SSres_h - SSres_c) / SStot; a resample of constant actuals has no
            // defined R², and metrics::r2 reports 0 for both models there.
            const double ss_tot = a_sq_sum.value() - a_sum.value() * a_sum.value() / nd;
            const bool constant = ss_tot <= 1e-12 * a_sq_sum.value() || ss_tot <= 0;
            diffs.push_back(constant ? 0.0 : (champ_sum.value() - cand_sum.value()) / ss_tot);
            break;
        }
        }
    }
    const double tail = (1.0 - settings.confidence) / 2.0;
    out.lower = metrics::quantile(diffs, tail);
    out.upper = metrics::quantile(diffs, 1.0 - tail);
    return out;
}

}  // namespace amlops::gate
