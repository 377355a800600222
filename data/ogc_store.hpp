#pragma once
// The two feature collections of OGC API – Features (grids and reports) as PostGIS
// answers them: extents, counts and pages of GeoJSON Features built by ST_AsGeoJSON.
// Everything is limited to what the caller's token may read.

#include "core/principal.hpp"
#include "core/time.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wangge::data {

class Database;

enum class OgcCollection { grids, reports };

/// "grids" or "reports", else nullopt.
std::optional<OgcCollection> parse_ogc_collection(std::string_view id);
std::string_view collection_id(OgcCollection c) noexcept;

/// The OGC `datetime` parameter: an instant (start == end, is_instant) or an interval
/// whose open ends ("..") are nullopt.
struct TimeFilter {
    bool is_instant = false;
    std::optional<Timestamp> start;
    std::optional<Timestamp> end;
};

/// One /items request, validated (api/ogc_params.cpp parses it).
struct OgcItemsQuery {
    OgcCollection collection = OgcCollection::grids;
    int limit = 10;
    long long offset = 0;
    std::optional<std::array<double, 4>> bbox;  // west, south, east, north (CRS84 = EPSG:4490 here)
    // grids: none → the current versions; an instant → the versions valid then (as ?at=);
    //        an interval → every version valid during some part of it.
    // reports: filters reported_at (instant: equal; interval: inclusive).
    std::optional<TimeFilter> datetime;
};

struct OgcPage {
    long long number_matched = 0;
    std::vector<std::string> features;  // GeoJSON Feature texts, in a stable order
};

struct OgcExtent {
    std::optional<std::array<double, 4>> bbox;  // none when the collection is empty
    std::optional<Timestamp> begin;
    std::optional<Timestamp> end;  // none: open (grids are valid until redrawn)
};

/// Spatial and temporal extent of a collection within the caller's towns.
OgcExtent ogc_extent(Database& db, OgcCollection collection, const Principal& caller);

/// One page of features and the number of all that match.
OgcPage ogc_items(Database& db, const OgcItemsQuery& query, const Principal& caller);

/// A grid's current version (feature id = grid id) or a report (feature id = report
/// id); nullopt when there is none the caller may read.
std::optional<std::string> ogc_item(Database& db, OgcCollection collection, const std::string& feature_id,
                                    const Principal& caller);

}  // namespace wangge::data
