#include "geo/china_coords.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numbers>
#include <string>

namespace wangge::geo {

namespace {

// Krasovsky 1940, as the GCJ-02 formula uses (STACK.md).
constexpr double k_a = 6378245.0;
constexpr double k_ee = 0.00669342162296594323;
constexpr double k_pi = std::numbers::pi;
constexpr double k_x_pi = k_pi * 3000.0 / 180.0;

double transform_lat(double x, double y) {
    double r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * std::sqrt(std::abs(x));
    r += (20.0 * std::sin(6.0 * x * k_pi) + 20.0 * std::sin(2.0 * x * k_pi)) * 2.0 / 3.0;
    r += (20.0 * std::sin(y * k_pi) + 40.0 * std::sin(y / 3.0 * k_pi)) * 2.0 / 3.0;
    r += (160.0 * std::sin(y / 12.0 * k_pi) + 320.0 * std::sin(y * k_pi / 30.0)) * 2.0 / 3.0;
    return r;
}

double transform_lon(double x, double y) {
    double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * std::sqrt(std::abs(x));
    r += (20.0 * std::sin(6.0 * x * k_pi) + 20.0 * std::sin(2.0 * x * k_pi)) * 2.0 / 3.0;
    r += (20.0 * std::sin(x * k_pi) + 40.0 * std::sin(x / 3.0 * k_pi)) * 2.0 / 3.0;
    r += (150.0 * std::sin(x / 12.0 * k_pi) + 300.0 * std::sin(x / 30.0 * k_pi)) * 2.0 / 3.0;
    return r;
}

// Solves forward(w) = target for w, starting from the target itself.
template <class Forward> XY invert(Forward forward, XY target) {
    XY w = target;
    for (int i = 0; i < 30; ++i) {
        const XY f = forward(w);
        const double dx = f.x - target.x, dy = f.y - target.y;
        if (std::abs(dx) < 1e-10 && std::abs(dy) < 1e-10) break;
        w = {w.x - dx, w.y - dy};
    }
    return w;
}

}  // namespace

std::optional<InputCrs> parse_input_crs(std::string_view name) noexcept {
    std::string n;
    for (char c : name)
        if (c != '-' && c != '_') n += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (n == "EPSG:4326" || n == "WGS84") return InputCrs::wgs84;
    if (n == "EPSG:4490" || n == "CGCS2000") return InputCrs::cgcs2000;
    if (n == "GCJ02") return InputCrs::gcj02;
    if (n == "BD09") return InputCrs::bd09;
    return std::nullopt;
}

std::string_view input_crs_name(InputCrs crs) noexcept {
    switch (crs) {
    case InputCrs::wgs84: return "EPSG:4326";
    case InputCrs::cgcs2000: return "EPSG:4490";
    case InputCrs::gcj02: return "GCJ02";
    case InputCrs::bd09: return "BD09";
    }
    return "EPSG:4326";
}

bool outside_china(XY p) noexcept { return p.x < 72.004 || p.x > 137.8347 || p.y < 0.8293 || p.y > 55.8271; }

XY wgs84_to_gcj02(XY p) noexcept {
    if (outside_china(p)) return p;
    double dlat = transform_lat(p.x - 105.0, p.y - 35.0);
    double dlon = transform_lon(p.x - 105.0, p.y - 35.0);
    const double rad = p.y / 180.0 * k_pi;
    double magic = std::sin(rad);
    magic = 1 - k_ee * magic * magic;
    const double sqrt_magic = std::sqrt(magic);
    dlat = (dlat * 180.0) / ((k_a * (1 - k_ee)) / (magic * sqrt_magic) * k_pi);
    dlon = (dlon * 180.0) / (k_a / sqrt_magic * std::cos(rad) * k_pi);
    return {p.x + dlon, p.y + dlat};
}

XY gcj02_to_wgs84(XY p) noexcept {
    if (outside_china(p)) return p;
    return invert(wgs84_to_gcj02, p);
}

XY gcj02_to_bd09(XY p) noexcept {
    const double z = std::sqrt(p.x * p.x + p.y * p.y) + 0.00002 * std::sin(p.y * k_x_pi);
    const double theta = std::atan2(p.y, p.x) + 0.000003 * std::cos(p.x * k_x_pi);
    return {z * std::cos(theta) + 0.0065, z * std::sin(theta) + 0.006};
}

XY bd09_to_gcj02(XY p) noexcept { return invert(gcj02_to_bd09, p); }

XY to_storage(InputCrs crs, XY p) noexcept {
    switch (crs) {
    case InputCrs::wgs84:
    case InputCrs::cgcs2000: return p;
    case InputCrs::gcj02: return gcj02_to_wgs84(p);
    case InputCrs::bd09: return gcj02_to_wgs84(bd09_to_gcj02(p));
    }
    return p;
}

}  // namespace wangge::geo
