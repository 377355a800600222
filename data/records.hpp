#pragma once
// What the town and grid stores hand back: plain typed rows, no database types.

#include "core/time.hpp"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace wangge::data {

struct TownRecord {
    std::string code;
    std::string name;
    std::string kind;
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
