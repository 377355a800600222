#pragma once
// Cutting an area into cells that tile it exactly: used to lay out demo grids and, later,
// to split a grid in two.

#include "geo/geos.hpp"

#include <vector>

namespace wangge::geo {

/// One polygon per seed: the seed's Voronoi cell clipped to `area`, so the cells cover
/// the area with no gap and no overlap. Where a non-convex area cuts a cell in pieces,
/// the cell keeps its largest piece and each other piece joins the neighbouring cell it
/// borders most, so every cell stays a single Polygon.
/// @param seeds distinct points inside `area`
/// @throws Error(internal) when GEOS fails or a cell cannot be made a single polygon
std::vector<GeomPtr> voronoi_partition(const Geos& geos, const GEOSGeometry* area, const std::vector<XY>& seeds);

/// Index along a Hilbert curve of order 16 over the box [min, max]: sorting by it keeps
/// neighbours together, so consecutive runs of cells form compact groups.
std::uint64_t hilbert_index(XY p, XY min, XY max);

}  // namespace wangge::geo
