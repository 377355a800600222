#pragma once
// Parsers of the tile routes, apart from the handlers so tests can call them directly
// (STYLE.md: parser tests apart from algorithm tests). No Mapnik, no Pistache.

#include "api/http.hpp"
#include "tiles/params.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace wangge::tiles {
class TileService;
}
namespace wangge::data {
class TownDirectory;
}

namespace wangge::api {

/// The route patterns of add_tile_routes (the fuzz target matches paths against them).
/// @2x first: "{y}.png" would also match "5@2x.png" and fail on the number.
inline constexpr const char* k_tile_route_2x = "/tiles/{layer}/{z}/{x}/{y}@2x.png";
inline constexpr const char* k_tile_route = "/tiles/{layer}/{z}/{x}/{y}.png";
inline constexpr const char* k_tilejson_route = "/tiles/{layer}.json";
inline constexpr const char* k_static_map_route = "/api/v1/maps/static.png";

/// A tile coordinate: decimal digits only, at most `limit`. nullopt otherwise.
std::optional<std::uint32_t> parse_tile_number(std::string_view text, std::uint32_t limit);

/// Which codes exist (the catalogue's categories, the town directory's towns).
using CodeCheck = std::function<bool(const std::string&)>;

/// The filters of every layer: town, from, to, platform, category, status (comma lists
/// for the last three). @throws Error(bad_request) naming the field (an unknown town
/// before the token's towns); Error(forbidden) for a town the token does not cover
tiles::ReportFilter parse_report_filter(const Request& request, const Principal& caller, const CodeCheck& is_category,
                                        const CodeCheck& is_town);

/// @throws Error(not_found) unknown layer; Error(bad_request) bad z/x/y or filter
tiles::TileParams parse_tile_params(const Context& ctx, bool retina, const CodeCheck& is_category, const CodeCheck& is_town);

/// @throws Error(bad_request) bad layers, size, format, bbox or filter
tiles::StaticMapParams parse_static_map_params(const Context& ctx, const CodeCheck& is_category, const CodeCheck& is_town);

void add_tile_routes(Router& router, tiles::TileService& tiles, data::TownDirectory& towns);

/// Prometheus text: tiles rendered, served from the cache, 304s, cache size and budget.
std::string tile_metrics(const tiles::TileService& tiles);

}  // namespace wangge::api
