// Towns, grids, staff and the category catalogue (API.md: Towns, grids, staff).

#include "api/grid_json.hpp"
#include "api/service.hpp"
#include "api/towns.hpp"
#include "core/error.hpp"
#include "data/town_store.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace wangge::api {

namespace {

using nlohmann::json;

// A town the caller may read: 404 when it does not exist, 403 when the token's towns
// do not include it.
void require_town(data::TownDirectory& towns, const Context& ctx, const std::string& town) {
    require_existing_town(towns, town);
    if (!ctx.caller().covers_town(town)) throw Error(ErrorCode::forbidden, "this token does not cover town " + town);
}

data::GridRecord require_grid(data::Database& db, const Context& ctx, const std::string& id) {
    auto grid = data::find_grid(db, id);
    if (!grid) throw Error(ErrorCode::not_found, "no grid " + id);
    if (!ctx.caller().covers_town(grid->town)) throw Error(ErrorCode::forbidden, "this token does not cover town " + grid->town);
    return *grid;
}

Response grid_response(const data::GridRecord& g) {
    auto r = Response::json(200, grid_feature(g).dump());
    // Built by append: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
    std::string etag = "\"";
    etag.append(std::to_string(g.version)).append("\"");
    r.headers.emplace_back("ETag", std::move(etag));
    return r;
}

json town_json(const data::TownSummary& t) {
    return {{"code", t.code},
            {"name", t.name},
            {"kind", t.kind},
            {"admin_code", t.admin_code},
            {"county", {{"code", t.county.code}, {"name", t.county.name}, {"kind", t.county.kind}, {"city", t.county.city}}},
            {"grid_count", t.grid_count},
            {"bbox", {t.bbox[0], t.bbox[1], t.bbox[2], t.bbox[3]}}};
}

std::optional<std::string> optional_string(const json& body, const char* field) {
    if (!body.contains(field) || body[field].is_null()) return std::nullopt;
    if (!body[field].is_string() || body[field].get<std::string>().empty())
        throw_bad_field(field, "must be a worker id (a non-empty string)");
    return body[field].get<std::string>();
}

}  // namespace

void add_town_routes(Router& router, data::Database& db, data::TownDirectory& towns) {
    router.add({"GET", "/api/v1/towns", Access::token, {}, [&db](Context& ctx) {
                    json out = json::array();
                    for (const auto& t : data::list_towns(db))
                        if (ctx.caller().covers_town(t.code)) out.push_back(town_json(t));
                    return Response::json(200, out.dump());
                }});

    router.add({"GET", "/api/v1/towns/{town}", Access::token, {}, [&db](Context& ctx) {
                    const auto& code = ctx.path.at("town");
                    const auto town = data::find_town_record(db, code);
                    if (!town) throw Error(ErrorCode::not_found, "no town " + code + " (GET /api/v1/towns lists them)");
                    if (!ctx.caller().covers_town(code)) throw Error(ErrorCode::forbidden, "this token does not cover town " + code);
                    return Response::json(200, town_json(*town).dump());
                }});

    router.add({"GET", "/api/v1/towns/{town}/grids", Access::token, {"at"}, [&db, &towns](Context& ctx) {
                    const auto& town = ctx.path.at("town");
                    std::optional<Timestamp> at;
                    if (auto text = ctx.request.param("at")) {
                        at = parse_instant(*text);
                        if (!at) throw_bad_field("at", "must be an RFC 3339 instant such as 2026-03-01T00:00:00+08:00");
                    }
                    require_town(towns, ctx, town);
                    json features = json::array();
                    for (const auto& g : data::list_grids(db, town, at)) features.push_back(grid_feature(g));
                    return Response::json(200, json{{"type", "FeatureCollection"}, {"features", features}}.dump());
                }});

    router.add({"GET", "/api/v1/grids/{grid}", Access::token, {}, [&db](Context& ctx) {
                    return grid_response(require_grid(db, ctx, ctx.path.at("grid")));
                }});

    router.add({"GET", "/api/v1/towns/{town}/workers", Access::token, {}, [&db, &towns](Context& ctx) {
                    // Staff phone numbers are personal data: not for grid workers' tokens.
                    if (!ctx.caller().has_role({Role::command, Role::platform, Role::leader, Role::gis_admin}))
                        throw Error(ErrorCode::forbidden, "the staff list needs a command, platform, leader or gis_admin token");
                    const auto& town = ctx.path.at("town");
                    require_town(towns, ctx, town);
                    json out = json::array();
                    for (const auto& w : data::list_workers(db, town))
                        out.push_back({{"id", w.person.id},
                                       {"name", w.person.name},
                                       {"phone", w.person.phone},
                                       {"role", w.role},
                                       {"platform", w.platform ? json(*w.platform) : json(nullptr)},
                                       {"grids", w.grids}});
                    return Response::json(200, out.dump());
                }});

    router.add({"PUT", "/api/v1/grids/{grid}/staff", Access::token, {}, [&db](Context& ctx) {
                    if (!ctx.caller().has_role({Role::gis_admin}))
                        throw Error(ErrorCode::forbidden, "changing grid staff needs a gis_admin or admin token");
                    const auto& id = ctx.path.at("grid");
                    require_grid(db, ctx, id);
                    const auto body = json::parse(ctx.request.body, nullptr, false);
                    if (body.is_discarded() || !body.is_object())
                        throw Error(ErrorCode::bad_request, "the body must be a JSON object {\"leader\": id, \"worker\": id}");
                    for (const auto& [key, value] : body.items()) {
                        (void)value;
                        if (key != "leader" && key != "worker") throw_bad_field(key, "unknown field (expected leader, worker)");
                    }
                    data::StaffChange change{optional_string(body, "leader"), optional_string(body, "worker")};
                    if (!change.leader && !change.worker) throw Error(ErrorCode::bad_request, "give leader, worker or both");
                    return grid_response(data::set_grid_staff(db, id, change, ctx.caller()));
                }});

    router.add({"GET", "/api/v1/categories", Access::token, {}, [&db](Context&) {
                    json out = json::array();
                    for (const auto& c : data::list_categories(db))
                        out.push_back({{"code", c.code},
                                       {"name", c.name},
                                       {"name_en", c.name_en},
                                       {"platform", c.platform},
                                       {"time_limit_workdays", c.time_limit_workdays}});
                    return Response::json(200, out.dump());
                }});
}

}  // namespace wangge::api
