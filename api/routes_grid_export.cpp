// GET /api/v1/towns/{town}/grids/export?f=… (API.md: Towns, grids, staff): the town's
// grids as a file written with GDAL.

#include "api/service.hpp"
#include "core/error.hpp"
#include "data/grid_export.hpp"
#include "data/town_store.hpp"

namespace wangge::api {

void add_grid_export_routes(Router& router, data::Database& db) {
    router.add({"GET", "/api/v1/towns/{town}/grids/export", Access::token, {"f", "at"}, [&db](Context& ctx) {
                    const auto& town = ctx.path.at("town");
                    auto format = geo::GridFormat::geojson;
                    if (auto f = ctx.request.param("f")) {
                        auto parsed = geo::parse_grid_format(*f);
                        if (!parsed) throw_bad_field("f", "must be geojson, gpkg, shp, kml or csv");
                        format = *parsed;
                    }
                    std::optional<Timestamp> at;
                    if (auto text = ctx.request.param("at")) {
                        at = parse_instant(*text);
                        if (!at) throw_bad_field("at", "must be an RFC 3339 instant such as 2026-03-01T00:00:00+08:00");
                    }
                    if (!data::find_town_record(db, town)) throw Error(ErrorCode::not_found, "no town " + town);
                    if (!ctx.caller().covers_town(town))
                        throw Error(ErrorCode::forbidden, "this token does not cover town " + town);
                    Response r;
                    r.body = data::export_grids(db, town, at, format);
                    r.content_type = std::string(geo::media_type(format));
                    // Town codes are [a-z]+ (a known town by now): safe inside the quotes.
                    r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + town + "-grids." +
                                                                      std::string(geo::file_extension(format)) + "\"");
                    return r;
                }, k_default_max_body, RouteClass::heavy});
}

}  // namespace wangge::api
