#include "analytics/getis_ord.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace wangge::analytics {

namespace {

void check_values(std::span<const double> x, std::size_t units) {
    if (x.size() != units)
        throw Error(ErrorCode::internal,
                    "Gi*: " + std::to_string(x.size()) + " values for " + std::to_string(units) + " units");
    for (double v : x)
        if (!std::isfinite(v)) throw Error(ErrorCode::internal, "Gi*: a value is not finite");
}

}  // namespace

std::vector<GiStar> gi_star(std::span<const double> x, const Weights& w, Correction correction) {
    check_values(x, w.size());
    const std::size_t n = x.size();
    std::vector<GiStar> out(n);
    if (n < 2) return out;
    // Equal values are tested exactly: Σx²/n − X̄² would leave rounding noise instead of
    // 0 and turn "no variation" into huge meaningless z-scores.
    const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
    if (*lo == *hi) return out;

    const double nd = static_cast<double>(n);
    double sum = 0, sum_sq = 0;
    for (double v : x) {
        sum += v;
        sum_sq += v * v;
    }
    const double mean = sum / nd;
    const double variance = sum_sq / nd - mean * mean;  // STATS.md: S with 1/n
    if (!(variance > 0)) return out;
    const double s = std::sqrt(variance);

    std::vector<std::optional<double>> z(n), p(n);
    for (std::size_t i = 0; i < n; ++i) {
        double wi = 0, s1 = 0, lag = 0;
        for (const Link& link : w.rows[i]) {
            wi += link.weight;
            s1 += link.weight * link.weight;
            lag += link.weight * x[link.to];
        }
        // Relative to n·S1 so that rounding in non-integer weights cannot pass for spread.
        const double spread = (nd * s1 - wi * wi) / (nd - 1);
        if (!(spread > 1e-12 * nd * s1 / (nd - 1))) continue;
        z[i] = (lag - mean * wi) / (s * std::sqrt(spread));
        p[i] = two_sided_p(*z[i]);
    }
    const std::vector<int> bins = confidence_bins(z, p, correction);
    for (std::size_t i = 0; i < n; ++i) out[i] = {z[i], p[i], bins[i]};
    return out;
}

std::vector<GiStar> hotspots(std::span<const double> x, const NeighbourList& neighbours, Correction correction) {
    return gi_star(x, binary_with_self(neighbours), correction);
}

}  // namespace wangge::analytics
