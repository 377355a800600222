#pragma once
// Typed requests of the tiles module (API.md "Tiles and maps"). api/routes_tiles.cpp
// parses HTTP into these and validates every value before the module sees them.

#include "core/time.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wangge::tiles {

enum class Layer : std::uint8_t { grids, reports, heatmap, hotspots };
inline constexpr std::array<std::string_view, 4> k_layer_names{"grids", "reports", "heatmap", "hotspots"};
std::optional<Layer> parse_layer(std::string_view name) noexcept;
std::string_view layer_name(Layer layer) noexcept;

inline constexpr int k_max_zoom = 22;
inline constexpr int k_max_static_size = 4096;

/// Filters shared by every layer. Empty vectors mean "no restriction". Values are
/// already validated (known towns, platforms, categories, statuses).
struct ReportFilter {
    std::vector<std::string> towns;       // the requested town, or the token's towns
    std::optional<Timestamp> from;        // reported_at >= from
    std::optional<Timestamp> to;          // reported_at < to
    std::vector<std::string> platforms;
    std::vector<std::string> categories;
    std::vector<std::string> statuses;

    /// A canonical text form: equal filters give equal keys (cache keys, ETags).
    std::string key() const;
};

/// One XYZ tile (EPSG:3857). z ≤ 22 and x, y < 2^z are checked by the parser.
struct TileParams {
    Layer layer = Layer::grids;
    int z = 0;
    std::uint32_t x = 0;
    std::uint32_t y = 0;
    int scale = 1;                        // 1 (256 px) or 2 (@2x, 512 px)
    ReportFilter filter;
    std::optional<double> heat_max;       // heatmap colour scale top (density per px²)
    std::optional<double> radius_px;      // heatmap radius at 256 px tiles; default 24

    int size_px() const noexcept { return 256 * scale; }
};

enum class ImageFormat : std::uint8_t { png, pdf, svg };

/// A single map image of a town or a bbox (lon/lat) with chosen layers.
struct StaticMapParams {
    std::vector<Layer> layers;
    std::optional<std::array<double, 4>> bbox;  // west, south, east, north (lon/lat); else the towns' extent
    int width = 1024;
    int height = 768;
    ImageFormat format = ImageFormat::png;
    ReportFilter filter;
    std::optional<double> heat_max;
    std::optional<double> radius_px;
};

/// An encoded image and its validators.
struct TileImage {
    std::string bytes;
    std::string content_type;
    std::string etag;        // quoted, strong
    bool from_cache = false;
};

}  // namespace wangge::tiles
