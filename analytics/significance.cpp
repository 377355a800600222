#include "analytics/significance.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

namespace wangge::analytics {

double two_sided_p(double z) noexcept { return std::erfc(std::abs(z) / std::numbers::sqrt2); }

namespace {

// STATS.md "Bins": level 3, 2, 1 at these p thresholds.
constexpr std::array<double, 3> k_levels{0.01, 0.05, 0.10};

int signed_level(double z, int level) noexcept { return z > 0 ? level : (z < 0 ? -level : 0); }

}  // namespace

int confidence_bin(std::optional<double> z, std::optional<double> p) noexcept {
    if (!z || !p) return 0;
    for (std::size_t k = 0; k < k_levels.size(); ++k)
        if (*p <= k_levels[k]) return signed_level(*z, static_cast<int>(k_levels.size() - k));
    return 0;
}

std::optional<double> bh_cutoff(std::span<const std::optional<double>> p, double alpha) {
    std::vector<double> sorted;
    sorted.reserve(p.size());
    for (const auto& v : p)
        if (v) sorted.push_back(*v);
    std::sort(sorted.begin(), sorted.end());
    const auto m = static_cast<double>(sorted.size());
    // Step-up: the largest k wins even when a smaller k fails, so scan from the top.
    for (std::size_t k = sorted.size(); k > 0; --k)
        if (sorted[k - 1] <= static_cast<double>(k) * alpha / m) return sorted[k - 1];
    return std::nullopt;
}

std::vector<int> confidence_bins(std::span<const std::optional<double>> z, std::span<const std::optional<double>> p,
                                 Correction correction) {
    std::vector<int> bins(z.size(), 0);
    if (correction == Correction::none) {
        for (std::size_t i = 0; i < z.size(); ++i) bins[i] = confidence_bin(z[i], p[i]);
        return bins;
    }
    std::array<std::optional<double>, k_levels.size()> cutoffs;
    for (std::size_t k = 0; k < k_levels.size(); ++k) cutoffs[k] = bh_cutoff(p, k_levels[k]);
    for (std::size_t i = 0; i < z.size(); ++i) {
        if (!z[i] || !p[i]) continue;
        for (std::size_t k = 0; k < k_levels.size(); ++k) {
            if (cutoffs[k] && *p[i] <= *cutoffs[k]) {
                bins[i] = signed_level(*z[i], static_cast<int>(k_levels.size() - k));
                break;
            }
        }
    }
    return bins;
}

}  // namespace wangge::analytics
