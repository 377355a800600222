#pragma once
// The hotspots and trends answers (API.md: /analytics/hotspots, /analytics/trends): the
// statistics of getis_ord, moran, mann_kendall and emerging put together per grid.
// Pure: the caller hands over grid ids, counts and contiguity.

#include "analytics/emerging.hpp"
#include "analytics/getis_ord.hpp"
#include "analytics/mann_kendall.hpp"
#include "analytics/moran.hpp"

#include "core/time.hpp"

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wangge::analytics {

/// Polygon contiguity (STATS.md "Spatial weights"): queen = closer than the snapping
/// tolerance anywhere; rook = a shared stretch of boundary of positive length after
/// snapping (see docs/analytics.md for the exact test).
enum class Contiguity : unsigned char { queen, rook };

std::string_view contiguity_name(Contiguity c) noexcept;
std::optional<Contiguity> parse_contiguity(std::string_view name) noexcept;

/// GET /api/v1/analytics/hotspots, parsed.
struct HotspotParams {
    std::string town;  // a town code, or "all" (the four pooled)
    Timestamp from;    // reports by reported_at in [from, to)
    Timestamp to;
    std::optional<std::string> platform;
    std::optional<std::string> category;
    Contiguity weights = Contiguity::queen;
    bool fdr = false;
};

struct GridHotspot {
    std::string grid;
    double count = 0;
    GiStar gi;
    LocalMoran lisa;
};

struct HotspotReport {
    std::vector<GridHotspot> grids;
    std::optional<GlobalMoran> moran;  // absent where I is undefined
};

/// Gi* (binary with self, STATS.md bins, BH with fdr), global Moran (row-standardised,
/// 999 permutations, fixed seed) and LISA for counts per grid.
/// @throws Error(internal) when the sizes disagree or the lists are malformed
HotspotReport hotspot_report(std::span<const std::string> grids, std::span<const double> counts,
                             const NeighbourList& neighbours, bool fdr);

/// GET /api/v1/analytics/trends, parsed.
struct TrendParams {
    std::string town;
    std::chrono::year_month end;  // the last month of the series
    int months = 12;              // 3…60
    std::optional<std::string> platform;
    std::optional<std::string> category;
    Contiguity weights = Contiguity::queen;
};

struct GridTrend {
    std::string grid;
    std::vector<double> counts;                 // one per month, oldest first
    std::vector<std::optional<double>> change;  // month-on-month difference; absent for the first month
    std::optional<double> last_change_pct;      // final month vs the one before, in %; absent when that was 0
    MannKendall trend;                          // on the counts
    EmergingHotSpot emerging;                   // space-time Gi* category
};

struct TrendReport {
    std::vector<std::string> months;  // "YYYY-MM", oldest first
    std::vector<GridTrend> grids;
};

/// Per grid: counts, month-on-month change, Mann-Kendall on the counts, and the emerging
/// hot spot category of the whole cube (STATS.md "Trends and emerging hotspots").
/// @throws Error(internal) when the sizes disagree
TrendReport trend_report(std::span<const std::string> grids, const SpaceTimeCube& counts,
                         const NeighbourList& neighbours, std::vector<std::string> month_labels);

/// The months of a series ending with `end`: "YYYY-MM", oldest first.
std::vector<std::string> month_labels(std::chrono::year_month end, int months);

}  // namespace wangge::analytics
