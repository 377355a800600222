// Tile and static map requests (API.md "Tiles and maps"): the bytes are a request target
// "path?query", decoded as api/server.cpp decodes it, matched against the tile routes and
// parsed into TileParams / StaticMapParams (api/routes_tiles.hpp). No Mapnik is reached.

#include "api/routes_tiles.hpp"
#include "tests/fuzz/fuzz_support.hpp"
#include "tiles/params.hpp"

using namespace wangge;

namespace {

api::Router tile_router() {
    api::Router router;
    auto none = [](api::Context&) { return api::Response{}; };
    for (const char* pattern : {api::k_tile_route_2x, api::k_tile_route, api::k_tilejson_route, api::k_static_map_route})
        router.add({"GET", pattern, api::Access::token, {}, none});
    return router;
}

bool is_category(const std::string& c) { return c == "shehui_zhian" || c == "shirong_huanjing"; }
bool is_town(const std::string& t) { return t == "tashi" || t == "bailongqiao"; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const api::Router router = tile_router();
    const auto target = fuzz::as_text(data, size);
    const auto question = target.find('?');
    const auto path = api::percent_decode(target.substr(0, question), false);
    if (!path) return 0;  // the front answers 400 before routing
    const auto match = router.match("GET", *path);
    if (!match.route) return 0;
    api::Request request;
    request.method = "GET";
    request.path = *path;
    // A town worker on even lengths, an admin on odd ones: both branches of the town filter.
    const Principal caller = size % 2 == 0 ? Principal{"w", Role::grid_worker, {"tashi"}, std::nullopt, std::nullopt, {}}
                                           : Principal{"a", Role::admin, {}, std::nullopt, std::nullopt, {}};
    fuzz::expect_client_error_only([&] {
        if (question != std::string_view::npos) request.query = api::parse_query(target.substr(question + 1));
        api::Context ctx{request, match.params, caller};
        const std::string pattern = match.route->pattern;
        if (pattern == api::k_tile_route || pattern == api::k_tile_route_2x) {
            const auto p = api::parse_tile_params(ctx, pattern == api::k_tile_route_2x, is_category, is_town);
            fuzz::check(p.z >= 0 && p.z <= tiles::k_max_zoom, "zoom out of range");
            fuzz::check(p.x < (1ull << p.z) && p.y < (1ull << p.z), "tile off the map");
            fuzz::check(!p.filter.from || !p.filter.to || *p.filter.from < *p.filter.to, "empty time range");
            (void)p.filter.key();
        } else if (pattern == api::k_static_map_route) {
            const auto p = api::parse_static_map_params(ctx, is_category, is_town);
            fuzz::check(!p.layers.empty(), "no layer");
            fuzz::check(p.width >= 16 && p.width <= tiles::k_max_static_size && p.height >= 16 &&
                            p.height <= tiles::k_max_static_size,
                        "image size out of range");
            if (p.bbox) fuzz::check((*p.bbox)[0] < (*p.bbox)[2] && (*p.bbox)[1] < (*p.bbox)[3], "bbox inverted");
        } else {
            if (tiles::parse_layer(ctx.path.at("layer"))) (void)api::parse_report_filter(request, caller, is_category, is_town);
        }
    });
    return 0;
}
