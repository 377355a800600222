#pragma once
// Validation of a town's grids after an edit (API.md: Grid validation): every finding at
// once, each with the grid, the kind, a detail, the area in m² and a GeoJSON location.

#include <optional>
#include <string>
#include <vector>

namespace wangge::geo {

struct GridCandidate {
    std::string id;
    std::optional<std::string> geojson;  // a new or changed geometry, as sent (lon/lat)
    std::optional<std::string> wkb_hex;  // an unchanged geometry, as stored (EPSG:4490)
    bool changed() const { return geojson.has_value(); }
};

struct Finding {
    std::string grid;
    std::string kind;  // invalid_geometry | not_polygon | outside_town | overlap | gap
    std::string detail;
    std::optional<double> area_m2;
    std::optional<std::string> location;  // GeoJSON geometry, lon/lat
    std::optional<std::string> other;     // the other grid of an overlap
};

struct ValidatedTown {
    std::vector<Finding> findings;
    /// The changed grids as they will be stored: polygons in EPSG:4490, snapped to their
    /// neighbours and the town boundary (hex EWKB), in the order of the candidates.
    std::vector<std::pair<std::string, std::string>> changed_wkb;
};

struct ValidationRules {
    double sliver_m2 = 1.0;  // overlaps and gaps below this are tolerated (not reported)
    double snap_m = 0.5;     // vertices of changed grids within this of a neighbour snap to it
};

/// Checks the town as it would be: the unchanged grids plus the changed and new ones
/// (retired grids are simply absent from `grids`).
/// @param town_wkb_hex the town boundary, EPSG:4490
ValidatedTown validate_town(const std::string& town_wkb_hex, const std::vector<GridCandidate>& grids,
                            const ValidationRules& rules = {});

}  // namespace wangge::geo
