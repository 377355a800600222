#include "analytics/moran.hpp"

#include "analytics/permutation.hpp"
#include "analytics/significance.hpp"
#include "core/error.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

namespace wangge::analytics {

namespace {

void check_values(std::span<const double> x, std::size_t units) {
    if (x.size() != units)
        throw Error(ErrorCode::internal,
                    "Moran: " + std::to_string(x.size()) + " values for " + std::to_string(units) + " units");
    for (double v : x)
        if (!std::isfinite(v)) throw Error(ErrorCode::internal, "Moran: a value is not finite");
}

Weights weights_for(const NeighbourList& neighbours, MoranWeighting weighting) {
    return weighting == MoranWeighting::binary ? binary(neighbours) : row_standardised(neighbours);
}

/// Deviations from the mean, or nothing when they would all be zero. Tested on the values
/// themselves: x − x̄ of equal values can leave rounding noise that passes for variation.
std::optional<std::vector<double>> deviations(std::span<const double> x) {
    if (x.size() < 2) return std::nullopt;
    const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
    if (*lo == *hi) return std::nullopt;
    double sum = 0;
    for (double v : x) sum += v;
    const double mean = sum / static_cast<double>(x.size());
    std::vector<double> z(x.size());
    for (std::size_t k = 0; k < x.size(); ++k) z[k] = x[k] - mean;
    return z;
}

/// ΣΣ w_ij z_i z_j
double cross_product(const Weights& w, std::span<const double> z) noexcept {
    double sum = 0;
    for (std::size_t i = 0; i < w.size(); ++i) sum += z[i] * spatial_lag(w, i, z);
    return sum;
}

double weight_between(const Weights& w, std::size_t i, std::size_t j) noexcept {
    for (const Link& link : w.rows[i])
        if (link.to == j) return link.weight;
    return 0;
}

struct WeightSums {
    double s0 = 0, s1 = 0, s2 = 0;
};

/// S0, S1 and S2 of STATS.md. S1 = ½ΣΣ(w_ij + w_ji)² expands to Σw_ij² + Σw_ij·w_ji, so
/// it needs only the stored links, whether or not the weights are symmetric.
WeightSums weight_sums(const Weights& w) {
    WeightSums sums;
    std::vector<double> row(w.size(), 0.0), column(w.size(), 0.0);
    for (std::size_t i = 0; i < w.size(); ++i) {
        for (const Link& link : w.rows[i]) {
            sums.s0 += link.weight;
            sums.s1 += link.weight * link.weight + link.weight * weight_between(w, link.to, i);
            row[i] += link.weight;
            column[link.to] += link.weight;
        }
    }
    for (std::size_t i = 0; i < w.size(); ++i) sums.s2 += (row[i] + column[i]) * (row[i] + column[i]);
    return sums;
}

}  // namespace

std::optional<GlobalMoran> global_moran(std::span<const double> x, const NeighbourList& neighbours,
                                        const MoranOptions& options) {
    check_values(x, neighbours.size());
    const Weights w = weights_for(neighbours, options.weighting);
    const auto z = deviations(x);
    if (!z) return std::nullopt;
    const WeightSums sums = weight_sums(w);
    if (!(sums.s0 > 0)) return std::nullopt;

    const double n = static_cast<double>(x.size());
    double m2 = 0, m4 = 0;  // Σz², Σz⁴
    for (double v : *z) {
        m2 += v * v;
        m4 += v * v * v * v;
    }
    GlobalMoran out;
    const double scale = n / sums.s0 / m2;
    out.i = scale * cross_product(w, *z);
    out.expected = -1.0 / (n - 1);
    const double s0_sq = sums.s0 * sums.s0;
    const double e_sq = out.expected * out.expected;
    out.variance_normality = (n * n * sums.s1 - n * sums.s2 + 3 * s0_sq) / ((n * n - 1) * s0_sq) - e_sq;
    if (x.size() > 3) {
        const double b2 = n * m4 / (m2 * m2);  // (Σz⁴/n)/(Σz²/n)²
        const double var_r = (n * ((n * n - 3 * n + 3) * sums.s1 - n * sums.s2 + 3 * s0_sq) -
                              b2 * ((n * n - n) * sums.s1 - 2 * n * sums.s2 + 6 * s0_sq)) /
                                 ((n - 1) * (n - 2) * (n - 3) * s0_sq) -
                             e_sq;
        out.variance_randomisation = var_r;
        if (var_r > 0) {
            out.z = (out.i - out.expected) / std::sqrt(var_r);
            out.p = two_sided_p(*out.z);
        }
    }
    if (options.permutations > 0) {
        SplitMix64 rng(options.seed);
        std::vector<double> shuffled = *z;
        std::vector<double> sims(options.permutations);
        for (double& sim : sims) {
            partial_shuffle(std::span<double>(shuffled), shuffled.size(), rng);
            sim = scale * cross_product(w, shuffled);
        }
        out.p_sim = folded_p_sim(sims, out.i);
    }
    return out;
}

std::string_view code(Quadrant q) noexcept {
    static constexpr std::array<std::string_view, 4> k_codes{"HH", "LH", "LL", "HL"};
    return k_codes[static_cast<std::size_t>(q)];
}

std::vector<LocalMoran> local_moran(std::span<const double> x, const NeighbourList& neighbours,
                                    const MoranOptions& options) {
    check_values(x, neighbours.size());
    const Weights w = weights_for(neighbours, options.weighting);
    const std::size_t n = x.size();
    std::vector<LocalMoran> out(n);
    const auto z = deviations(x);
    if (!z) return out;

    double m2 = 0;
    for (double v : *z) m2 += v * v;
    m2 /= static_cast<double>(n);  // spdep's scale (mlvar): Σz²/n

    SplitMix64 rng(options.seed);
    std::vector<double> others;
    others.reserve(n - 1);
    std::vector<double> sims(options.permutations);
    for (std::size_t i = 0; i < n; ++i) {
        const double zi = (*z)[i];
        const double lag = spatial_lag(w, i, *z);
        LocalMoran& unit = out[i];
        unit.i = zi / m2 * lag;
        unit.quadrant = zi > 0 ? (lag > 0 ? Quadrant::high_high : Quadrant::high_low)
                               : (lag > 0 ? Quadrant::low_high : Quadrant::low_low);
        const auto& row = w.rows[i];
        if (options.permutations == 0 || row.empty() || zi == 0) continue;

        // Conditional permutation: x_i stays, its neighbours' values are drawn from the rest.
        others.clear();
        for (std::size_t j = 0; j < n; ++j)
            if (j != i) others.push_back((*z)[j]);
        for (double& sim : sims) {
            partial_shuffle(std::span<double>(others), row.size(), rng);
            double sim_lag = 0;
            for (std::size_t k = 0; k < row.size(); ++k) sim_lag += row[k].weight * others[k];
            sim = zi / m2 * sim_lag;
        }
        unit.p_sim = folded_p_sim(sims, *unit.i);
        if (*unit.p_sim <= options.label_alpha) unit.label = std::string(code(*unit.quadrant));
    }
    return out;
}

}  // namespace wangge::analytics
