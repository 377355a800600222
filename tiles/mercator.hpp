#pragma once
// Web Mercator (EPSG:3857) and the XYZ tile scheme, spherical as every web map uses it.
// CGCS2000 lon/lat is taken as WGS84 (API.md: sub-metre).

#include <algorithm>
#include <cmath>
#include <numbers>

namespace wangge::tiles {

inline constexpr double k_earth_radius = 6378137.0;
inline constexpr double k_half_world = std::numbers::pi * k_earth_radius;  // 20037508.34…
inline constexpr double k_max_lat = 85.0511287798066;

/// An axis-aligned box in EPSG:3857 metres.
struct Box {
    double minx = 0, miny = 0, maxx = 0, maxy = 0;

    bool intersects(const Box& o) const noexcept {
        return minx <= o.maxx && o.minx <= maxx && miny <= o.maxy && o.miny <= maxy;
    }
    bool contains(double x, double y) const noexcept { return x >= minx && x <= maxx && y >= miny && y <= maxy; }
    Box expanded(double d) const noexcept { return {minx - d, miny - d, maxx + d, maxy + d}; }
    void extend(double x, double y) noexcept {
        minx = std::min(minx, x), miny = std::min(miny, y), maxx = std::max(maxx, x), maxy = std::max(maxy, y);
    }
    void extend(const Box& o) noexcept { extend(o.minx, o.miny), extend(o.maxx, o.maxy); }
    double width() const noexcept { return maxx - minx; }
    double height() const noexcept { return maxy - miny; }
    static Box empty() noexcept { return {HUGE_VAL, HUGE_VAL, -HUGE_VAL, -HUGE_VAL}; }
    bool is_empty() const noexcept { return minx > maxx || miny > maxy; }
};

inline double lon_to_x(double lon) noexcept { return lon * std::numbers::pi / 180.0 * k_earth_radius; }
inline double lat_to_y(double lat) noexcept {
    const double phi = std::clamp(lat, -k_max_lat, k_max_lat) * std::numbers::pi / 180.0;
    return k_earth_radius * std::log(std::tan(std::numbers::pi / 4 + phi / 2));
}
inline double x_to_lon(double x) noexcept { return x / k_earth_radius * 180.0 / std::numbers::pi; }
inline double y_to_lat(double y) noexcept {
    return (2 * std::atan(std::exp(y / k_earth_radius)) - std::numbers::pi / 2) * 180.0 / std::numbers::pi;
}

/// Metres per pixel of a 256 px tile at zoom z (times 1/scale for @2x).
inline double metres_per_pixel(int z, int scale = 1) noexcept {
    return 2 * k_half_world / (256.0 * scale * std::ldexp(1.0, z));
}

/// The extent of tile z/x/y (XYZ: y counts down from the north). Callers check ranges.
inline Box tile_box(int z, unsigned x, unsigned y) noexcept {
    const double size = 2 * k_half_world / std::ldexp(1.0, z);
    return {-k_half_world + x * size, k_half_world - (y + 1.0) * size, -k_half_world + (x + 1.0) * size,
            k_half_world - y * size};
}

}  // namespace wangge::tiles
