#pragma once
// Internal to the demo generator: a Zhejiang-sized province for `wangge demo-data
// --province`, so the product is exercised at province scale (issue 14). Names and codes
// are the province's real county-level divisions (data/demo/province.json); the geometry
// is synthetic. The pilot towns (data/demo/pilots.json: four, in 330702 婺城区) keep their
// outlines and sit in their county.

#include "data/demo_world.hpp"
#include "data/rng.hpp"
#include "geo/crs.hpp"
#include "geo/geos.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace wangge::data::demo {

struct CountyPlan {
    std::string code;  // 6-digit division code, "330702"
    std::string name;  // 婺城区
    std::string kind;  // district | county | city
    std::string city;  // 金华市
    geo::GeomPtr metric;  // EPSG:4549, Polygon or MultiPolygon
};

struct TownPlan {
    std::string code;        // API code, "t" + admin_code
    std::string name;        // 佛堂镇
    std::string kind;        // town | township | subdistrict
    std::string admin_code;  // 9 digits: county code + 0xx subdistrict, 1xx town, 2xx township
    std::string county;      // county code
    geo::GeomPtr metric;     // EPSG:4549, a single Polygon
    geo::XY seat;            // metric: where the town's grids are smallest
    int grid_count = 0;
    double density_peak = 0;  // for the grid seeds, as the pilot towns use it
};

struct ProvincePlan {
    std::vector<CountyPlan> counties;  // by code
    std::vector<TownPlan> towns;       // by admin code
};

/// The counties and towns of the province, deterministic for a seed. The returned towns
/// and the pilots tile the province: no overlap, no gap, each county exactly its towns.
/// Vertices shared by neighbours are identical within a county; across a county border a
/// town may have a vertex the other side lacks, off the common edge by rounding error only.
/// @param pilots the pilot towns exactly as build_towns laid them out (data/demo/pilots.json),
///        all of one county: they are not returned, their county contains their outlines
///        (EPSG:4549) unchanged and no town overlaps them. Their names and admin codes
///        are not reused.
/// @throws Error(internal) when the pilots are of several counties or none of the
///         province's, do not fit inside the province, or GEOS fails
ProvincePlan plan_province(const geo::Geos& geos, std::uint64_t seed, const std::vector<Town>& pilots);

/// What is wrong with a plan (empty when nothing): invalid or wrongly typed polygons,
/// towns outside their county (beyond 0.05 m), towns (with the pilots) that overlap or
/// leave a gap in their county beyond 1e-6 of its area, counties that overlap, pilots
/// not inside their county, duplicate codes or names within a county. One pass of overlays, a
/// few seconds for the whole province.
std::vector<std::string> check_province(const geo::Geos& geos, const ProvincePlan& plan, const std::vector<Town>& pilots);

/// A planned town as lay_out_town takes it: its spec (centre and area from its outline,
/// villages by kind, report share 0) and its village and landmark names from
/// province.json's lists, unique within the town.
struct PlannedTown {
    TownSpec spec;
    TownNames names;
};
PlannedTown describe_town(const geo::Geos& geos, const geo::Transformer& to_lonlat, const TownPlan& town, Rng& rng);

}  // namespace wangge::data::demo
