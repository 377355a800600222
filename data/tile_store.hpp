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
};

/// Current grids, all or those of the given buckets.
std::vector<GridOutlineRow> current_grid_outlines(Database& db, const std::vector<BucketVersion>* only);

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
