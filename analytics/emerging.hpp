#pragma once
// Emerging hot spot analysis (ArcGIS space-time pattern mining) as STATS.md "Trends and
// emerging hotspots" defines it: space-time Gi* per grid and month, Mann-Kendall on each
// grid's z series, then the eight hot and eight cold categories.

#include "analytics/mann_kendall.hpp"
#include "analytics/weights.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace wangge::analytics {

/// counts[grid][month], every row with the same number of months.
using SpaceTimeCube = std::vector<std::vector<double>>;

struct EmergingOptions {
    /// Significance level for both a hot/cold month (Gi* p ≤ alpha) and a trend (MK
    /// p ≤ alpha). STATS.md: 0.05 by default, configurable.
    double alpha = 0.05;
};

struct EmergingHotSpot {
    /// "new_hot_spot", "consecutive_hot_spot", "intensifying_hot_spot",
    /// "persistent_hot_spot", "diminishing_hot_spot", "sporadic_hot_spot",
    /// "oscillating_hot_spot", "historical_hot_spot", the same with "_cold_spot", or
    /// "no_pattern".
    std::string category;
    std::vector<std::optional<double>> z;  // space-time Gi* per month
    std::vector<std::optional<double>> p;  // its two-sided p per month
    MannKendall trend;                     // on z, over the months that have one
};

/// ⌈0.9·months⌉, STATS.md's "90%", in integer arithmetic so that a month count is never
/// at the mercy of how 0.9 rounds in binary.
std::size_t ninety_percent_of(std::size_t months) noexcept;

/// Space-time binary weights over cells grid·T + month: each cell links to itself and its
/// spatial neighbours in the same month and in the previous month (time step 1).
/// @throws Error(internal) as check_neighbours
Weights space_time_weights(const NeighbourList& neighbours, std::size_t months);

/// The category of one grid from its z and p series and the trend on z. Hot (cold) in a
/// month means z > 0 (z < 0) with p ≤ alpha. Rules in STATS.md order, first match wins,
/// hot before cold. For cold spots "intensifying" means z trending down (colder) and
/// "diminishing" trending up. "Hot in ≥90% of the earlier months" (historical) is
/// ⌈0.9·(T−1)⌉ of the T−1 months before the final one.
/// @pre z.size() == p.size()
std::string classify_emerging(std::span<const std::optional<double>> z, std::span<const std::optional<double>> p,
                              const MannKendall& trend, double alpha);

/// Emerging hot spot analysis of a whole cube: Gi* on space_time_weights with mean and S
/// over every cell, Mann-Kendall per grid, classify_emerging per grid. Months where Gi* is
/// undefined (e.g. a cube of equal counts) are neither hot nor cold and are left out of the
/// trend, so a degenerate cube gives "no_pattern" everywhere.
/// @throws Error(internal) when the cube and the neighbour lists disagree in size, the
///         rows differ in length, or a count is not finite
std::vector<EmergingHotSpot> emerging_hotspots(const SpaceTimeCube& counts, const NeighbourList& neighbours,
                                               const EmergingOptions& options = {});

}  // namespace wangge::analytics
