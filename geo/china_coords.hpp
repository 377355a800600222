#pragma once
// The coordinate systems Chinese phones report in (API.md: crs). GCJ-02 (国测局, "Mars
// coordinates") and BD-09 (Baidu) are obfuscations of WGS84 defined by a published
// formula, not datums: PROJ does not know them, so they are computed here.
// EPSG:4326 and EPSG:4490 are taken as equal (PROJ 9.1's transformation between them is
// a null shift; tests/geo/test_china_coords.cpp checks that it stays so).

#include "geo/geos.hpp"

#include <optional>
#include <string_view>

namespace wangge::geo {

enum class InputCrs { wgs84, cgcs2000, gcj02, bd09 };

/// "EPSG:4326", "EPSG:4490", "GCJ02", "BD09" (case-insensitive; "GCJ-02"/"BD-09" too).
std::optional<InputCrs> parse_input_crs(std::string_view name) noexcept;
std::string_view input_crs_name(InputCrs crs) noexcept;

/// Outside China's box the offset is not applied (the published formula's rule).
bool outside_china(XY lonlat) noexcept;

XY wgs84_to_gcj02(XY lonlat) noexcept;
/// Inverse by fixed-point iteration until the forward image is within 1e-10° (~0.01 mm)
/// of the input; the one-step inverse is off by up to a few metres.
XY gcj02_to_wgs84(XY lonlat) noexcept;
XY gcj02_to_bd09(XY lonlat) noexcept;
XY bd09_to_gcj02(XY lonlat) noexcept;  // iterated, as above

/// lon/lat in `crs` → lon/lat in the storage CRS (EPSG:4490).
XY to_storage(InputCrs crs, XY lonlat) noexcept;

}  // namespace wangge::geo
