// Re-drawing grids (API.md: POST/PUT/DELETE grids, history).

#include "api/grid_json.hpp"
#include "api/report_params.hpp"
#include "api/service.hpp"
#include "api/towns.hpp"
#include "data/grid_edit.hpp"
#include "data/grid_import.hpp"
#include "geo/ogr_io.hpp"
#include "data/town_store.hpp"

namespace wangge::api {

namespace {

using nlohmann::json;

void require_gis(const Context& ctx) {
    if (!ctx.caller().has_role({Role::gis_admin})) throw Error(ErrorCode::forbidden, "editing grids needs a gis_admin token");
}

void require_town_access(data::TownDirectory& towns, const Context& ctx, const std::string& town) {
    require_existing_town(towns, town);
    if (!ctx.caller().covers_town(town)) throw Error(ErrorCode::forbidden, "this token does not cover town " + town);
}

Response edited(const data::EditOutcome& o, int status) {
    json grids = json::array();
    for (const auto& g : o.grids) grids.push_back(grid_feature(g));
    return Response::json(status, json{{"grids", grids}, {"reassigned_reports", o.reassigned_reports}}.dump());
}

double sliver_of(const Request& r) {
    auto v = r.param("sliver_m2");
    if (!v) return 1.0;
    char* end = nullptr;
    const double d = std::strtod(v->c_str(), &end);
    if (end != v->c_str() + v->size() || !(d >= 0 && d <= 10000)) throw_bad_field("sliver_m2", "must be a number of m², 0–10000");
    return d;
}

}  // namespace

void add_grid_routes(Router& router, data::Database& db, data::ReportDesk& desk, data::TownDirectory& towns) {
    router.add({"POST", "/api/v1/towns/{town}/grids", Access::token, {"sliver_m2"}, [&db, &desk, &towns](Context& ctx) {
                    require_gis(ctx);
                    const auto& town = ctx.path.at("town");
                    require_town_access(towns, ctx, town);
                    auto edit = parse_grid_feature(parse_json_body(ctx.request), true);
                    if (edit.retire || edit.expected_version)
                        throw Error(ErrorCode::bad_request, "POST creates a grid: no version, not retired");
                    geo::ValidationRules rules;
                    rules.sliver_m2 = sliver_of(ctx.request);
                    auto out = data::edit_grids(db, desk, town, {edit}, ctx.caller(), false, rules);
                    auto r = Response::json(201, grid_feature(out.grids.front()).dump());
                    r.headers.emplace_back("Location", "/api/v1/grids/" + out.grids.front().id);
                    return r;
                }, k_grid_max_body});

    router.add({"PUT", "/api/v1/grids/{grid}", Access::token, {"sliver_m2"}, [&db, &desk, &towns](Context& ctx) {
                    require_gis(ctx);
                    const auto& id = ctx.path.at("grid");
                    auto grid = data::find_grid(db, id);
                    if (!grid) throw Error(ErrorCode::not_found, "no grid " + id);
                    require_town_access(towns, ctx, grid->town);
                    auto edit = parse_grid_feature(parse_json_body(ctx.request), false);
                    if (!edit.id.empty() && edit.id != id) throw_bad_field("id", "does not match the grid in the path");
                    if (edit.retire) throw Error(ErrorCode::bad_request, "retire a grid with DELETE");
                    edit.id = id;
                    edit.expected_version = if_match(ctx.request);
                    if (!edit.expected_version)
                        throw Error(ErrorCode::precondition_failed, "send If-Match with the grid's version (its ETag)");
                    geo::ValidationRules rules;
                    rules.sliver_m2 = sliver_of(ctx.request);
                    auto out = data::edit_grids(db, desk, grid->town, {edit}, ctx.caller(), false, rules);
                    auto r = edited(out, 200);
                    r.headers.emplace_back("ETag", "\"" + std::to_string(out.grids.front().version) + "\"");
                    return r;
                }, k_grid_max_body});

    router.add({"PUT", "/api/v1/towns/{town}/grids", Access::token, {"sliver_m2"}, [&db, &desk, &towns](Context& ctx) {
                    require_gis(ctx);
                    const auto& town = ctx.path.at("town");
                    require_town_access(towns, ctx, town);
                    const auto edits = parse_grid_collection(parse_json_body(ctx.request));
                    geo::ValidationRules rules;
                    rules.sliver_m2 = sliver_of(ctx.request);
                    return edited(data::edit_grids(db, desk, town, edits, ctx.caller(), false, rules), 200);
                }, k_batch_max_body, RouteClass::heavy});

    router.add({"DELETE", "/api/v1/grids/{grid}", Access::token, {}, [&db, &desk, &towns](Context& ctx) {
                    require_gis(ctx);
                    const auto& id = ctx.path.at("grid");
                    auto grid = data::find_grid(db, id);
                    if (!grid) throw Error(ErrorCode::not_found, "no grid " + id);
                    require_town_access(towns, ctx, grid->town);
                    data::GridEdit edit;
                    edit.id = id;
                    edit.retire = true;
                    edit.expected_version = if_match(ctx.request).value_or(grid->version);
                    return edited(data::edit_grids(db, desk, grid->town, {edit}, ctx.caller()), 200);
                }});

    router.add({"GET", "/api/v1/grids/{grid}/history", Access::token, {}, [&db](Context& ctx) {
                    const auto& id = ctx.path.at("grid");
                    auto versions = data::grid_history(db, id);
                    if (versions.empty()) throw Error(ErrorCode::not_found, "no grid " + id);
                    if (!ctx.caller().covers_town(versions.front().town))
                        throw Error(ErrorCode::forbidden, "this token does not cover town " + versions.front().town);
                    json features = json::array();
                    for (const auto& g : versions) features.push_back(grid_feature(g));
                    Response r;
                    r.content_type = "application/geo+json";
                    r.body = json{{"type", "FeatureCollection"}, {"features", features}}.dump();
                    return r;
                }});
}

}  // namespace wangge::api

namespace wangge::api {

namespace {

// The uploaded file's name, for GDAL's driver choice: ?filename=, else from ?f= or the
// Content-Type.
std::string upload_name(const Request& r) {
    if (auto name = r.param("filename")) {
        if (name->empty() || name->size() > 200 || name->find('/') != std::string::npos)
            throw_bad_field("filename", "must be a plain file name such as grids.gpkg");
        return *name;
    }
    if (auto f = r.param("f")) {
        auto format = geo::parse_grid_format(*f);
        if (!format) throw_bad_field("f", "must be geojson, gpkg, shp, kml or csv");
        return "upload." + std::string(geo::file_extension(*format));
    }
    const auto type = r.header("content-type").value_or("");
    const auto base = type.substr(0, type.find(';'));
    if (base == "application/geo+json" || base == "application/json") return "upload.geojson";
    if (base == "application/geopackage+sqlite3") return "upload.gpkg";
    if (base == "application/zip") return "upload.zip";
    if (base == "application/vnd.google-earth.kml+xml") return "upload.kml";
    if (base == "text/csv") return "upload.csv";
    throw Error(ErrorCode::unsupported_media_type,
                "say what the file is: ?f=geojson|gpkg|shp|kml|csv, ?filename=…, or its Content-Type");
}

}  // namespace

void add_grid_import_routes(Router& router, data::Database& db, data::ReportDesk& desk, data::TownDirectory& towns) {
    router.add({"POST", "/api/v1/towns/{town}/grids/import", Access::token, {"dry_run", "f", "filename"},
                [&db, &desk, &towns](Context& ctx) {
                    require_gis(ctx);
                    const auto& town = ctx.path.at("town");
                    require_town_access(towns, ctx, town);
                    bool dry_run = false;
                    if (auto d = ctx.request.param("dry_run")) {
                        if (*d != "true" && *d != "false") throw_bad_field("dry_run", "must be true or false");
                        dry_run = *d == "true";
                    }
                    if (ctx.request.body.empty()) throw Error(ErrorCode::bad_request, "the body must be the file");
                    const auto name = upload_name(ctx.request);
                    const auto out = data::import_grids(db, desk, town, ctx.request.body, name, ctx.caller(), dry_run);
                    json body{{"changed", out.changed},     {"created", out.created},         {"retired", out.retired},
                              {"unchanged", out.unchanged}, {"source_crs", out.source_crs}, {"crs_assumed", out.crs_assumed}};
                    if (dry_run) {
                        body["valid"] = out.edit.findings.empty();
                        body["problems"] = data::findings_json(out.edit.findings);
                    } else {
                        json grids = json::array();
                        for (const auto& g : out.edit.grids) grids.push_back(grid_feature(g));
                        body["grids"] = grids;
                        body["reassigned_reports"] = out.edit.reassigned_reports;
                        body["staff_changed"] = out.staff_changed;
                    }
                    return Response::json(200, body.dump());
                }, k_import_max_body, RouteClass::heavy});
}

}  // namespace wangge::api
