#pragma once
// What the tile renderer reads from PostGIS (docs/tiles.md): data versions per
// (town, grid) bucket, report points and current grid outlines. Plain rows, no database
// types; the tiles module keeps them in memory.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace wangge::data {

class Database;

/// One bucket of tile data: the reports of one grid, or (grid == "") a town's unassigned
/// reports, plus the grid's outline. Bumped by the triggers of migration 0003.
struct BucketVersion {
    std::string town;
    std::string grid;
    std::int64_t version = 0;
};

/// Buckets stamped after `since` (0: every bucket ever stamped). One indexed query.
std::vector<BucketVersion> tile_versions_since(Database& db, std::int64_t since);

/// A report as the map layers need it; lon/lat in EPSG:4490 (≈ WGS84, API.md).
struct ReportPointRow {
    std::int64_t id = 0;
    std::string town;
    std::string grid;  // "" when unassigned
    double lon = 0;
    double lat = 0;
    std::int64_t reported_at = 0;           // Unix seconds
    std::optional<std::int64_t> due_at;     // Unix seconds
    std::string category;
    std::string platform;
    std::string status;
};

/// Calls `fn` for every report, or for those of the given buckets only.
void for_each_report_point(Database& db, const std::vector<BucketVersion>* only,
                           const std::function<void(const ReportPointRow&)>& fn);

/// A current grid in Web Mercator (EPSG:3857), for drawing.
struct GridOutlineRow {
    std::string town;
    std::string id;
    std::string name;
    std::string wkb_3857;      // ISO WKB, binary
    double label_x = 0;        // ST_PointOnSurface, EPSG:3857
    double label_y = 0;
    double bbox[4]{};          // minx, miny, maxx, maxy in EPSG:3857
    std::int64_t stamp = 0;    // the row's xmin: differs after any rewrite of the row
};

/// Current grids, all or those of the given buckets.
std::vector<GridOutlineRow> current_grid_outlines(Database& db, const std::vector<BucketVersion>* only);

/// A row of report_changes (migration 0004): report `report` of `town` was written.
struct ReportChange {
    std::int64_t id = 0;
    std::string town;  // '*': a TRUNCATE, everything changed
    std::int64_t report = 0;
};

/// What changed since a snapshot, read in one REPEATABLE READ transaction so the
/// versions, the changes and the rows agree with each other. Cost follows the number
/// of changed reports, never the number of reports in a bucket or in all.
struct TileDelta {
    std::vector<BucketVersion> buckets;   // version > since_version
    std::vector<ReportChange> changes;    // id > since_change, in id order
    std::vector<ReportPointRow> points;   // current rows of the changed reports (deleted ones absent)
    std::vector<GridOutlineRow> outlines; // grids of changed buckets rewritten since the caller read them
    std::vector<std::pair<std::string, std::string>> retired;  // (town, grid): no current version any more
    bool too_many = false;                // more than max_reports changed: nothing fetched, reload all
};

/// `skip`: change ids already applied (read again inside the late-commit window; their
/// reports are not fetched again unless another change names them). `grid_version`: the
/// row stamp (GridOutlineRow::stamp) of the grid outline the caller holds (0: none).
TileDelta load_tile_delta(Database& db, std::int64_t since_version, std::int64_t since_change,
                          const std::function<bool(std::int64_t)>& skip,
                          const std::function<std::int64_t(const std::string&, const std::string&)>& grid_stamp,
                          std::size_t max_reports);

/// A whole load in one REPEATABLE READ transaction: every bucket version, the newest
/// report_changes id, every report point and every current grid outline.
struct TileFullLoad {
    std::vector<BucketVersion> buckets;
    std::int64_t change_mark = 0;
    std::vector<std::int64_t> recent_changes;  // ids in (change_mark - window, change_mark], ascending
    std::vector<GridOutlineRow> outlines;
};
/// `begin` runs before each attempt (a lost connection is retried): drop what `point` kept.
TileFullLoad load_all_tile_data(Database& db, std::int64_t window, const std::function<void()>& begin,
                                const std::function<void(const ReportPointRow&)>& point);

/// Contiguity of STATS.md "Spatial weights".
enum class Contiguity { queen, rook };

/// The current grids of a town (ordered by id) and, per grid, the indices of its
/// neighbours, self excluded — the shape analytics::NeighbourList expects. Grids closer
/// than 0.5 m in EPSG:4549 touch (ST_DWithin); rook also needs a shared stretch of
/// boundary longer than 1 m once both boundaries are snapped by 0.5 m, so corner
/// contacts drop out.
struct GridNeighbours {
    std::vector<std::string> grids;
    std::vector<std::vector<std::size_t>> neighbours;
};
GridNeighbours grid_neighbours(Database& db, const std::string& town, Contiguity contiguity = Contiguity::queen);

}  // namespace wangge::data
