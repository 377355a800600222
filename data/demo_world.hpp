#pragma once
// Internal to the demo generator: the towns, grids, staff and landmarks it lays out.

#include "data/demo.hpp"
#include "data/rng.hpp"
#include "geo/crs.hpp"
#include "geo/geos.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wangge::data::demo {

struct NameBook {
    std::vector<std::string> surnames;  // most common first
    std::vector<std::string> given_chars;
    std::map<std::string, std::vector<std::string>> villages;
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> places;  // name, kind

    static NameBook read(const std::filesystem::path& file);
    std::string person_name(Rng& rng) const;
};

struct Staff {
    std::string id;
    std::string name;
    std::string phone;
    std::string role;  // grid_leader | grid_worker | command | platform
    std::optional<std::string> platform;
};

struct Grid {
    std::string id;
    std::string code;
    std::string name;
    geo::GeomPtr metric;  // EPSG:4549
    geo::GeomPtr lonlat;  // EPSG:4490
    geo::XY centroid;     // metric
    double area_m2 = 0;
    std::string leader;
    std::string worker;
};

struct Place {
    std::string name;
    std::string kind;  // market | river | construction | school | station | industrial
    geo::XY at;        // metric
    double heading = 0;  // rivers: direction of the channel through `at`
};

struct Town {
    TownSpec spec;
    geo::GeomPtr metric;
    geo::GeomPtr lonlat;
    geo::XY seat;  // the town seat (镇政府驻地), where grids are smallest
    double radius_m = 0;
    std::vector<Grid> grids;
    std::vector<Staff> staff;
    std::vector<Place> places;

    const Staff& first_with_role(const std::string& role, const std::optional<std::string>& platform = {}) const;
};

/// What a town's grids are named after and its reports cluster around.
struct TownNames {
    std::vector<std::string> villages;  // in grid order; the first spec.village_count are used
    std::vector<std::pair<std::string, std::string>> places;  // name, kind (Place::kind)
};

/// One town inside an outline already drawn (EPSG:4549): spec.grid_count grids, smallest
/// around `seat`, grouped into villages; a leader and a worker per grid, three command
/// staff and one per platform; a landmark per place. Draws only from `rng`, so towns can
/// be laid out in any order, on any thread (with that thread's `geos` and `to_lonlat`).
/// @throws Error(internal) when `names` has no villages or no places
Town lay_out_town(const geo::Geos& geos, const geo::Transformer& to_lonlat, const NameBook& people, TownSpec spec,
                  geo::GeomPtr outline, geo::XY seat, const TownNames& names, Rng& rng);

/// Lays out the towns, in the order given: boundaries, grids, staff, landmarks.
/// @throws Error(internal) when the name book has no villages or places for a town
std::vector<Town> build_towns(const geo::Geos& geos, const NameBook& names, const std::vector<TownSpec>& specs,
                              std::uint64_t seed);

}  // namespace wangge::data::demo
