#pragma once
// What the analytics endpoints read from PostGIS, and the four answers they give
// (API.md "Analytics and the monthly meeting"). SQL loads typed rows; the computing is
// done by the pure functions of analytics/.

#include "analytics/completion.hpp"
#include "analytics/meeting.hpp"
#include "analytics/spatial_report.hpp"
#include "analytics/weights.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wangge::data {

class Database;
class ReportCache;

/// Which report histories to load. Town "all" (or empty) means every town.
struct HistoryQuery {
    std::string town;
    Timestamp from;  // reports reported, accepted or dispatched in [from, to), at or before as_of
    Timestamp to;
    Timestamp as_of;
    /// Also every report dispatched by as_of that may be open at as_of (the overdue list).
    bool include_open = false;
};

/// Report histories with the events that count (analytics::EventKind), up to as_of.
std::vector<analytics::ReportHistory> load_histories(Database& db, const HistoryQuery& query);

/// load_histories folded at as_of (analytics::history_at).
std::vector<analytics::ReportFacts> load_facts(Database& db, const HistoryQuery& query);

/// The current grids of a town (or all towns), ordered by id, with their contiguity.
struct GridSet {
    std::vector<std::string> ids;
    std::vector<std::string> names;
    analytics::NeighbourList neighbours;  // indexes into ids
};

/// The current grids of a town (or all towns), ordered by id, without contiguity.
GridSet load_current_grids(Database& db, const std::string& town);

/// Contiguity from PostGIS in EPSG:4549 with the 0.5 m snapping tolerance (STATS.md
/// "Spatial weights"): queen = ST_DWithin(a, b, 0.5); rook = queen and more than 2 m of
/// b's boundary lies within 0.5 m of a (a corner contact gives at most 1 m).
GridSet load_grid_set(Database& db, const std::string& town, analytics::Contiguity contiguity);

/// Reports per grid of `grids` by reported_at in [from, to), optionally one platform or
/// category; reports without a grid or in a retired grid are not counted.
std::vector<double> load_grid_counts(Database& db, const GridSet& grids, const std::string& town, Timestamp from,
                                     Timestamp to, const std::optional<std::string>& platform,
                                     const std::optional<std::string>& category, ReportCache* cache = nullptr);

/// Reports per grid and Shanghai month, `months` months ending with `end`.
analytics::SpaceTimeCube load_monthly_counts(Database& db, const GridSet& grids, const std::string& town,
                                             std::chrono::year_month end, int months,
                                             const std::optional<std::string>& platform,
                                             const std::optional<std::string>& category, ReportCache* cache = nullptr);

/// The completion answer: rows, the total over all rows' reports, and display names.
struct CompletionAnswer {
    std::vector<analytics::CompletionRow> rows;
    analytics::Indicators total;
    std::map<std::string, std::string> names;  // key → 名称 (grid, category, worker, town, platform)
};

/// Facts from `cache` when given (analytics_store_cache.hpp), else straight from SQL.
/// @throws Error(database_unavailable) / Error(internal) as Database::run
CompletionAnswer completion_report(Database& db, const analytics::CompletionParams& params,
                                   ReportCache* cache = nullptr);

/// Counts from `cache` when given, else SQL; contiguity always from PostGIS.
analytics::HotspotReport hotspot_report(Database& db, const analytics::HotspotParams& params,
                                        ReportCache* cache = nullptr);

analytics::TrendReport trend_report(Database& db, const analytics::TrendParams& params, ReportCache* cache = nullptr);

/// The meeting pack of a town and month; maps through `maps` (may be empty); facts from
/// `cache` when given.
analytics::MeetingPack meeting_pack(Database& db, const analytics::MeetingParams& params,
                                    const analytics::MapRenderer& maps, ReportCache* cache = nullptr);

}  // namespace wangge::data
