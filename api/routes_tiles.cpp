// Map tiles, TileJSON and static maps (API.md "Tiles and maps"): parse and validate the
// request into tiles::TileParams / StaticMapParams, call the tiles module, answer.

#include "api/routes_tiles.hpp"

#include "api/service.hpp"
#include "core/domain.hpp"
#include "core/error.hpp"
#include "core/workflow.hpp"
#include "data/town_directory.hpp"
#include "tiles/tile_service.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace wangge::api {

namespace {

using nlohmann::json;

const std::vector<std::string> k_filter_keys{"town", "from", "to", "platform", "category", "status"};

std::vector<std::string> keys_with(std::initializer_list<const char*> more) {
    auto out = k_filter_keys;
    out.insert(out.end(), more.begin(), more.end());
    return out;
}

std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto comma = text.find(',', start);
        if (comma == std::string::npos) comma = text.size();
        out.push_back(text.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

}  // namespace

std::optional<std::uint32_t> parse_tile_number(std::string_view text, std::uint32_t limit) {
    // Digits only: no sign, no blanks, no "12abc" (STACK.md: Pistache's as<int> accepts it).
    if (text.empty() || text.size() > 10) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (v > limit) return std::nullopt;
    return static_cast<std::uint32_t>(v);
}

tiles::ReportFilter parse_report_filter(const Request& request, const Principal& caller, const CodeCheck& is_category,
                                        const CodeCheck& is_town) {
    tiles::ReportFilter f;
    if (auto town = request.param("town")) {
        if (!is_town(*town)) throw_bad_field("town", "unknown town '" + *town + "' (GET /api/v1/towns lists them)");
        if (!caller.covers_town(*town)) throw Error(ErrorCode::forbidden, "this token does not cover town " + *town);
        f.towns = {*town};
    } else if (caller.role != Role::admin && !caller.towns.empty()) {
        f.towns = caller.towns;  // a town-scoped token sees only its towns
    }
    for (const char* field : {"from", "to"}) {
        if (auto text = request.param(field)) {
            auto t = parse_instant(*text);
            if (!t) throw_bad_field(field, "must be an RFC 3339 instant or a date YYYY-MM-DD");
            (std::string_view(field) == "from" ? f.from : f.to) = *t;
        }
    }
    if (f.from && f.to && *f.from >= *f.to) throw_bad_field("to", "must be later than from");
    if (auto text = request.param("platform"))
        for (auto& p : split_list(*text)) {
            if (!is_platform(p)) throw_bad_field("platform", "unknown platform '" + p + "' (expected zongzhi, shichang, zhifa, bianmin)");
            f.platforms.push_back(std::move(p));
        }
    if (auto text = request.param("status"))
        for (auto& s : split_list(*text)) {
            if (!parse_status(s)) throw_bad_field("status", "unknown status '" + s + "'");
            f.statuses.push_back(std::move(s));
        }
    if (auto text = request.param("category"))
        for (auto& c : split_list(*text)) {
            if (c.empty() || !is_category(c)) throw_bad_field("category", "unknown category '" + c + "' (see /api/v1/categories)");
            f.categories.push_back(std::move(c));
        }
    return f;
}

namespace {

std::optional<double> parse_positive(const Request& request, const char* field, double max) {
    auto text = request.param(field);
    if (!text) return std::nullopt;
    try {
        std::size_t used = 0;
        const double v = std::stod(*text, &used);
        if (used == text->size() && std::isfinite(v) && v > 0 && v <= max) return v;
    } catch (const std::exception&) {
    }
    throw_bad_field(field, "must be a positive number up to " + std::to_string(static_cast<long long>(max)));
}

}  // namespace

tiles::TileParams parse_tile_params(const Context& ctx, bool retina, const CodeCheck& is_category, const CodeCheck& is_town) {
    tiles::TileParams p;
    auto layer = tiles::parse_layer(ctx.path.at("layer"));
    if (!layer) throw Error(ErrorCode::not_found, "no tile layer '" + ctx.path.at("layer") + "' (grids, reports, heatmap, hotspots)");
    p.layer = *layer;
    // mod_tile's order: z first, then x and y against 2^z.
    auto z = parse_tile_number(ctx.path.at("z"), tiles::k_max_zoom);
    if (!z) throw_bad_field("z", "must be an integer from 0 to 22");
    p.z = static_cast<int>(*z);
    const auto limit = static_cast<std::uint32_t>((1ull << p.z) - 1);
    auto x = parse_tile_number(ctx.path.at("x"), limit);
    if (!x) throw_bad_field("x", "must be an integer from 0 to 2^z − 1");
    auto y = parse_tile_number(ctx.path.at("y"), limit);
    if (!y) throw_bad_field("y", "must be an integer from 0 to 2^z − 1");
    p.x = *x;
    p.y = *y;
    p.scale = retina ? 2 : 1;
    p.filter = parse_report_filter(ctx.request, ctx.caller(), is_category, is_town);
    p.heat_max = parse_positive(ctx.request, "max", 1e9);
    p.radius_px = parse_positive(ctx.request, "radius", 128);
    return p;
}

tiles::StaticMapParams parse_static_map_params(const Context& ctx, const CodeCheck& is_category, const CodeCheck& is_town) {
    const auto& q = ctx.request;
    tiles::StaticMapParams p;
    for (const auto& name : split_list(q.param("layers").value_or("grids"))) {
        auto layer = tiles::parse_layer(name);
        if (!layer) throw_bad_field("layers", "unknown layer '" + name + "' (grids, reports, heatmap, hotspots)");
        if (std::find(p.layers.begin(), p.layers.end(), *layer) == p.layers.end()) p.layers.push_back(*layer);
    }
    for (const char* field : {"width", "height"}) {
        if (auto text = q.param(field)) {
            auto v = parse_tile_number(*text, tiles::k_max_static_size);
            if (!v || *v < 16) throw_bad_field(field, "must be an integer from 16 to 4096");
            (std::string_view(field) == "width" ? p.width : p.height) = static_cast<int>(*v);
        }
    }
    if (auto f = q.param("format")) {
        if (*f == "png") p.format = tiles::ImageFormat::png;
        else if (*f == "pdf") p.format = tiles::ImageFormat::pdf;
        else if (*f == "svg") p.format = tiles::ImageFormat::svg;
        else throw_bad_field("format", "must be png, pdf or svg");
    }
    if (auto text = q.param("bbox")) {
        const auto parts = split_list(*text);
        std::array<double, 4> b{};
        bool ok = parts.size() == 4;
        for (std::size_t i = 0; ok && i < 4; ++i) {
            try {
                std::size_t used = 0;
                b[i] = std::stod(parts[i], &used);
                ok = used == parts[i].size() && std::isfinite(b[i]);
            } catch (const std::exception&) {
                ok = false;
            }
        }
        ok = ok && b[0] >= -180 && b[2] <= 180 && b[1] >= -85 && b[3] <= 85 && b[0] < b[2] && b[1] < b[3];
        if (!ok) throw_bad_field("bbox", "must be west,south,east,north in degrees with west < east and south < north");
        p.bbox = b;
    }
    p.filter = parse_report_filter(q, ctx.caller(), is_category, is_town);
    p.heat_max = parse_positive(q, "max", 1e9);
    p.radius_px = parse_positive(q, "radius", 128);
    return p;
}

namespace {

Response image_response(const tiles::TileAnswer& a) {
    Response r;
    r.status = a.status;
    r.content_type = a.image.content_type;
    r.body = a.image.bytes;
    r.headers.emplace_back("ETag", a.image.etag);
    // Tiles need a token (private) and change with the data: clients keep them and ask
    // again with If-None-Match, which costs a 304.
    r.headers.emplace_back("Cache-Control", "private, no-cache");
    return r;
}

// Both from memory: a cached tile costs no database round trip for its filter either.
struct Codes {
    CodeCheck is_category, is_town;
};

Codes codes_of(tiles::TileService& tiles, data::TownDirectory& towns) {
    return {[&tiles](const std::string& c) { return tiles.is_category(c); },
            [&towns](const std::string& t) { return towns.exists(t); }};
}

Response tile_route(tiles::TileService& tiles, const Codes& codes, Context& ctx, bool retina) {
    const auto params = parse_tile_params(ctx, retina, codes.is_category, codes.is_town);
    return image_response(tiles.tile(params, ctx.request.header("if-none-match")));
}

}  // namespace

void add_tile_routes(Router& router, tiles::TileService& tiles, data::TownDirectory& towns) {
    const auto tile_keys = keys_with({"max", "radius", "access_token"});
    const auto codes = codes_of(tiles, towns);
    // @2x first: "{y}.png" would also match "5@2x.png" and fail on the number.
    router.add({"GET", k_tile_route_2x, Access::token, tile_keys,
                [&tiles, codes](Context& ctx) { return tile_route(tiles, codes, ctx, true); }, k_default_max_body, RouteClass::tile});
    router.add({"GET", k_tile_route, Access::token, tile_keys,
                [&tiles, codes](Context& ctx) { return tile_route(tiles, codes, ctx, false); }, k_default_max_body, RouteClass::tile});

    router.add({"GET", k_tilejson_route, Access::token, tile_keys, [&tiles, codes](Context& ctx) {
                    const auto& name = ctx.path.at("layer");
                    if (!tiles::parse_layer(name)) throw Error(ErrorCode::not_found, "no tile layer '" + name + "'");
                    const auto filter = parse_report_filter(ctx.request, ctx.caller(), codes.is_category, codes.is_town);
                    // Absolute URLs carrying the same filters (and token, if it came that way).
                    std::string query;
                    for (const auto& [key, value] : ctx.request.query)
                        query.append(query.empty() ? "?" : "&").append(key).append("=").append(percent_encode(value));
                    const std::string proto = ctx.request.header("x-forwarded-proto").value_or("http");
                    const std::string host = ctx.request.header("host").value_or("127.0.0.1:8080");
                    json doc{{"tilejson", "3.0.0"},
                             {"name", "wangge " + name},
                             {"description", "wangge " + name + " layer (docs/tiles.md)"},
                             {"version", "1.0.0"},
                             {"scheme", "xyz"},
                             {"tiles", {proto + "://" + host + "/tiles/" + name + "/{z}/{x}/{y}.png" + query}},
                             {"minzoom", 0},
                             {"maxzoom", tiles::k_max_zoom},
                             {"attribution", "wangge 网格"}};
                    if (auto b = tiles.bounds(filter)) {
                        doc["bounds"] = {(*b)[0], (*b)[1], (*b)[2], (*b)[3]};
                        doc["center"] = {((*b)[0] + (*b)[2]) / 2, ((*b)[1] + (*b)[3]) / 2, 12};
                    }
                    return Response::json(200, doc.dump());
                }, k_default_max_body, RouteClass::tile});

    router.add({"GET", k_static_map_route, Access::token,
                keys_with({"layers", "bbox", "width", "height", "format", "max", "radius"}), [&tiles, codes](Context& ctx) {
                    const auto params = parse_static_map_params(ctx, codes.is_category, codes.is_town);
                    return image_response(tiles.static_map(params, ctx.request.header("if-none-match")));
                }, k_default_max_body, RouteClass::heavy});
}

std::string tile_metrics(const tiles::TileService& tiles) {
    const auto s = tiles.stats();
    std::string out;
    out += "# HELP wangge_tiles_total Tiles and static maps answered, by how.\n"
           "# TYPE wangge_tiles_total counter\n";
    out += "wangge_tiles_total{result=\"rendered\"} " + std::to_string(s.rendered) + "\n";
    out += "wangge_tiles_total{result=\"cached\"} " + std::to_string(s.cache_hits) + "\n";
    out += "wangge_tiles_total{result=\"not_modified\"} " + std::to_string(s.not_modified) + "\n";
    out += "wangge_tiles_total{result=\"unchanged_picture\"} " + std::to_string(s.adopted) + "\n";
    out += "wangge_tiles_total{result=\"shared_render\"} " + std::to_string(s.joined) + "\n";
    out += "# HELP wangge_tile_cache_bytes Tile cache size and budget.\n"
           "# TYPE wangge_tile_cache_bytes gauge\n";
    out += "wangge_tile_cache_bytes{kind=\"used\"} " + std::to_string(s.cache_bytes) + "\n";
    out += "wangge_tile_cache_bytes{kind=\"budget\"} " + std::to_string(s.cache_budget) + "\n";
    out += "# HELP wangge_tile_cache_entries Tiles in the cache.\n"
           "# TYPE wangge_tile_cache_entries gauge\n";
    out += "wangge_tile_cache_entries " + std::to_string(s.cache_entries) + "\n";
    return out;
}

}  // namespace wangge::api
