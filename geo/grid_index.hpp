#pragma once
// Point-in-polygon assignment of reports to grids (API.md: Reports, `method`), in
// process. PostGIS stays the source of truth: an index is built from its current grids
// and, when some towns' grids change, rebuilt for those towns only.
//
// The answer is always the one assign_reference() gives: GEOS prepared `covers` in
// lon/lat (the predicate PostGIS's ST_Covers answers) over every grid, distances in
// EPSG:4549 metres. The fast path only skips work that cannot change it:
// - each town has its own quadtree over its grids' extent (cells of ~25 m), whose leaves
//   say "inside this grid with a margin wider than the boundary tolerance", "these few
//   grids are within the tolerance", "no grid within the tolerance" or "no grid within
//   the nearest-grid radius";
// - a coarse directory over the province sends a point to the towns whose grids can be
//   within the nearest-grid radius; a point is settled by one town's leaf only when
//   every other such town's leaf says none of its grids is near, and otherwise tested
//   exactly against the grids the leaves name (or, outside every grid, the directory's
//   candidates);
// - the nearest town is searched with bounding-box bounds before exact distances.
// Town sub-indices are immutable and shared between an index and its rebuilds.

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
    std::string wkb_hex;  // Polygon, EPSG:4490 lon/lat; empty in GridIndex::grids() (the index keeps geometries only)
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
    bool operator==(const Assignment&) const = default;
};

struct AssignRules {
    double boundary_m = 0.05;  // "on a shared edge"
    double nearest_m = 200;    // GPS error at a town's edge
};

class GridIndex {
public:
    /// Town sub-indices are built in parallel (one thread per core).
    /// @throws Error(internal) on an unreadable geometry; Error(unprocessable) with no grids
    static std::shared_ptr<const GridIndex> build(std::vector<GridShape> grids, std::vector<TownShape> towns,
                                                  AssignRules rules = {});

    /// The index build() would make from base's grids of the towns not in changed_towns,
    /// plus changed_grids, with `towns` as the outlines and base's rules: every point gets
    /// the same grid, town and method. Only the changed towns' sub-indices (and the
    /// directory) are built; the others are shared with base. A town in changed_towns
    /// with no grid in changed_grids has no grids any more; a town of changed_grids
    /// counts as changed. Grid and town indices may differ from base's.
    /// @throws like build()
    static std::shared_ptr<const GridIndex> rebuild(const GridIndex& base, std::vector<GridShape> changed_grids,
                                                    const std::vector<std::string>& changed_towns,
                                                    std::vector<TownShape> towns);
    ~GridIndex();
    GridIndex(const GridIndex&) = delete;
    GridIndex& operator=(const GridIndex&) = delete;

    /// Thread-safe. Lon/lat in EPSG:4490.
    Assignment assign(double lon, double lat) const;

    /// Without the quadtrees: the exact tests on every grid the directory names. For tests
    /// and the benchmark's comparison.
    Assignment assign_exact(double lon, double lat) const;

    /// The definition: every grid and every town, no index at all (slow: for tests).
    Assignment assign_reference(double lon, double lat) const;

    const std::vector<GridShape>& grids() const noexcept { return m_grids; }
    const std::vector<std::string>& towns() const noexcept { return m_town_codes; }

    struct Stats {
        std::size_t towns = 0;          // sub-indices (towns with grids)
        std::size_t rebuilt_towns = 0;  // of which built by this build; the others are shared with the base
        std::size_t quadtree_nodes = 0;
        std::size_t index_bytes = 0;    // quadtrees, their leaf sets and the directory; not GEOS's geometries
        double leaf_m = 0;              // finest quadtree cell, metres east-west (largest over towns)
        double exact_share = 0;         // share of the grids' area whose points need a GEOS test
        std::size_t directory_cells = 0;
        double build_seconds = 0;
    };
    const Stats& stats() const noexcept { return m_stats; }

private:
    GridIndex() = default;
    struct Impl;
    struct Assembler;
    std::unique_ptr<Impl> m_impl;
    std::vector<GridShape> m_grids;
    std::vector<std::string> m_town_codes;
    AssignRules m_rules;
    Stats m_stats;
};

}  // namespace wangge::geo
