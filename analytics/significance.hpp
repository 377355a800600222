#pragma once
// From z-scores to p-values and to the ±3/±2/±1/0 confidence bins of the hotspot layer,
// with or without the Benjamini–Hochberg false discovery rate (STATS.md "Getis-Ord Gi*").

#include <optional>
#include <span>
#include <vector>

namespace wangge::analytics {

/// Two-sided normal p-value 2·(1 − Φ(|z|)), computed as erfc(|z|/√2) so that it keeps
/// its precision far into the tail instead of cancelling to 0 past |z| ≈ 8.
double two_sided_p(double z) noexcept;

/// How the confidence bins treat many simultaneous tests.
enum class Correction : unsigned char {
    none,  // each unit on its own p
    fdr    // Benjamini–Hochberg over all units with a p-value
};

/// ±3 if p ≤ 0.01, ±2 if p ≤ 0.05, ±1 if p ≤ 0.10, else 0, signed as z
/// (STATS.md "Bins"). A missing z or p gives 0.
int confidence_bin(std::optional<double> z, std::optional<double> p) noexcept;

/// The Benjamini–Hochberg cut-off at level alpha: the largest p_(k) with
/// p_(k) ≤ k·alpha/m, m = the number of present p-values; a unit is kept when its p is
/// at most the cut-off. nullopt when BH keeps nothing. Missing p-values are not tests and
/// do not count in m.
std::optional<double> bh_cutoff(std::span<const std::optional<double>> p, double alpha);

/// Bins for every unit: with Correction::none as confidence_bin; with Correction::fdr the
/// highest of 0.10/0.05/0.01 at which BH keeps the unit, signed as z (STATS.md: z and p
/// themselves are never adjusted).
/// @pre z.size() == p.size()
std::vector<int> confidence_bins(std::span<const std::optional<double>> z, std::span<const std::optional<double>> p,
                                 Correction correction);

}  // namespace wangge::analytics
