#pragma once
// Getis-Ord Gi*, the statistic behind the hotspots layer (STATS.md "Getis-Ord Gi*").

#include "analytics/significance.hpp"
#include "analytics/weights.hpp"

#include <optional>
#include <span>
#include <vector>

namespace wangge::analytics {

/// Gi* of one unit. z and p are absent where Gi* is undefined; bin is then 0.
struct GiStar {
    std::optional<double> z;
    std::optional<double> p;  // two-sided, never adjusted
    int bin = 0;              // −3…3, see confidence_bins
};

/// Gi* for every unit under general weights, exactly as STATS.md writes it:
/// X̄ and S = sqrt(Σx²/n − X̄²) over all n units (S with 1/n, not 1/(n−1)),
/// z_i = (Σ_j w_ij x_j − X̄·W_i) / (S·sqrt((n·S1_i − W_i²)/(n−1))), p = erfc(|z|/√2).
/// Callers pass binary_with_self(neighbours) for the hotspots layer; emerging.hpp passes
/// space-time weights. Undefined, so nullopt and bin 0, never NaN: n < 2, all x equal
/// (S = 0), and a unit whose weights cannot vary (n·S1_i = W_i², e.g. it neighbours
/// every unit).
/// @throws Error(internal) when x and w differ in size or an x is not finite
std::vector<GiStar> gi_star(std::span<const double> x, const Weights& w, Correction correction = Correction::none);

/// The hotspots layer: Gi* with binary weights including self (STATS.md).
/// @throws Error(internal) as gi_star and check_neighbours
std::vector<GiStar> hotspots(std::span<const double> x, const NeighbourList& neighbours,
                             Correction correction = Correction::none);

}  // namespace wangge::analytics
