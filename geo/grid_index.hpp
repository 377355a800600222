#pragma once
// Point-in-polygon assignment of reports to grids (API.md: Reports, `method`), in
// process. PostGIS stays the source of truth: an index is built from its current grids
// and replaced whole when they change.
//
// Most points are settled by a lookup raster: a cell that lies inside one grid with a
// margin wider than the boundary tolerance holds that grid; a cell farther than the
// nearest-grid radius from every grid holds its nearest town. Only points in the other
// cells (near edges) are tested exactly, with GEOS prepared geometries in lon/lat, the
// same predicate PostGIS's ST_Covers answers, and distances in EPSG:4549 metres.

#include "geo/geos.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace wangge::geo {

struct GridShape {
    std::string town;
    std::string id;
    int version = 0;
    std::string code;
    std::string name;
    std::string wkb_hex;  // Polygon, EPSG:4490 lon/lat
};

struct TownShape {
    std::string town;
    std::string wkb_hex;  // (Multi)Polygon, EPSG:4490 lon/lat
};

enum class AssignMethod { contains, boundary, nearest, none };
std::string_view assign_method_name(AssignMethod m) noexcept;

struct Assignment {
    AssignMethod method = AssignMethod::none;
    std::optional<std::size_t> grid;  // index into GridIndex::grids(); empty for none
    std::size_t town = 0;             // index into GridIndex::towns(): the grid's, or the nearest town's
    double distance_m = 0;            // to the chosen grid (0 inside it)
};

struct AssignRules {
    double boundary_m = 0.05;  // "on a shared edge"
    double nearest_m = 200;    // GPS error at a town's edge
};

class GridIndex {
public:
    /// @throws Error(internal) on an unreadable geometry; Error(unprocessable) with no grids
    static std::shared_ptr<const GridIndex> build(std::vector<GridShape> grids, std::vector<TownShape> towns,
                                                  AssignRules rules = {});
    ~GridIndex();
    GridIndex(const GridIndex&) = delete;
    GridIndex& operator=(const GridIndex&) = delete;

    /// Thread-safe. Lon/lat in EPSG:4490.
    Assignment assign(double lon, double lat) const;

    /// The exact path only (no raster): for tests and the benchmark's comparison.
    Assignment assign_exact(double lon, double lat) const;

    const std::vector<GridShape>& grids() const noexcept { return m_grids; }
    const std::vector<std::string>& towns() const noexcept { return m_town_codes; }

    struct Stats {
        std::size_t raster_cells = 0;
        std::size_t exact_cells = 0;   // cells that send points to the exact path
        double cell_deg = 0;
        double build_seconds = 0;
    };
    const Stats& stats() const noexcept { return m_stats; }

private:
    GridIndex() = default;
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    std::vector<GridShape> m_grids;
    std::vector<std::string> m_town_codes;
    AssignRules m_rules;
    Stats m_stats;
};

}  // namespace wangge::geo
