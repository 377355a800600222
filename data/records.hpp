#pragma once
// What the town and grid stores hand back: plain typed rows, no database types.

#include "core/time.hpp"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace wangge::data {

/// A county-level division (县级行政区) that towns belong to.
struct CountyRecord {
    std::string code;  // 6-digit division code (GB/T 2260), 330702
    std::string name;  // 婺城区
    std::string kind;  // district (市辖区) | county (县) | city (县级市)
    std::string city;  // the prefecture-level city above it, 金华市
};

/// What a town is: what the town directory keeps (data/town_directory.hpp).
struct TownRecord {
    std::string code;
    std::string name;
    std::string kind;        // town | township | subdistrict
    std::string admin_code;  // 9-digit division code: the county's 6 digits and 3 more
    CountyRecord county;
};

/// A town with its current grids counted and its extent, read per request: both change
/// with every grid edit.
struct TownSummary : TownRecord {
    int grid_count = 0;
    std::array<double, 4> bbox{};  // west, south, east, north
};

struct Person {
    std::string id;
    std::string name;
    std::string phone;
};

struct WorkerRecord {
    Person person;
    std::string role;  // grid_leader | grid_worker | command | platform
    std::optional<std::string> platform;
    std::vector<std::string> grids;  // grids this person answers for now
};

struct GridRecord {
    std::string town;
    std::string id;
    std::string code;
    std::string name;
    int version = 0;
    Timestamp valid_from;
    std::optional<Timestamp> valid_to;
    std::optional<Person> leader;
    std::optional<Person> worker;
    double area_m2 = 0;
    std::string geometry_geojson;  // RFC 7946 geometry, lon/lat
    std::string geometry_wkb_hex;  // the same geometry as hex WKB, EPSG:4490 lon/lat (for GDAL)
};

}  // namespace wangge::data
