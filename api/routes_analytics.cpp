// Analytics and the monthly meeting (API.md "Analytics and the monthly meeting"):
// parse typed parameters → data::*_report → serialise. Nothing else happens here.

#include "api/analytics_params.hpp"
#include "api/service.hpp"
#include "api/towns.hpp"
#include "core/error.hpp"
#include "data/analytics_store.hpp"
#include "data/analytics_store_cache.hpp"
#include "data/town_store.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace wangge::api {

namespace {

using nlohmann::json;

json opt(const std::optional<double>& v) {
    if (!v || !std::isfinite(*v)) return nullptr;
    return *v;
}

json indicators_json(const analytics::Indicators& v) {
    return {{"reported", v.reported},
            {"accepted", v.accepted},
            {"dispatched", v.dispatched},
            {"due", v.due},
            {"closed", v.closed},
            {"closed_on_time", v.closed_on_time},
            {"completion_rate", opt(v.completion_rate)},
            {"on_time_rate", opt(v.on_time_rate)},
            {"closed_share", opt(v.closed_share)},
            {"overdue_open", v.overdue_open},
            {"in_time_open", v.in_time_open},
            {"rework_rate", opt(v.rework_rate)},
            {"reopened", v.reopened},
            {"supervised", v.supervised},
            {"median_hours", opt(v.median_hours)},
            {"p90_hours", opt(v.p90_hours)}};
}

json named_rows_json(const std::vector<analytics::NamedRow>& rows) {
    json out = json::array();
    for (const auto& r : rows) {
        json row = indicators_json(r.values);
        row["key"] = r.key;
        row["name"] = r.name;
        out.push_back(std::move(row));
    }
    return out;
}

json mann_kendall_json(const analytics::MannKendall& mk) {
    return {{"S", mk.s}, {"var_s", mk.variance}, {"z", opt(mk.z)}, {"p", opt(mk.p)}, {"tau", opt(mk.tau)}};
}

// Analytics are for leadership and the command room (API.md Roles); a town the token
// does not cover, or "all" for a town-scoped token, is 403.
// The role alone, before any parameter is read: a caller without the role learns
// nothing about what a valid request would look like.
void require_analyst(const Context& ctx) {
    if (!ctx.caller().has_role({Role::leader, Role::command}))
        throw Error(ErrorCode::forbidden, "analytics need a leader, command or admin token");
}

// After the parameters' form: an unknown town is a bad parameter (400) like the others,
// checked before the token's towns.
void require_reader(const Context& ctx, data::TownDirectory& towns, const std::string& town) {
    const auto& caller = ctx.caller();
    require_analyst(ctx);
    if (town == "all") {
        if (caller.role != Role::admin && !caller.towns.empty())
            throw Error(ErrorCode::forbidden, "town=all needs a token that covers every town");
        return;
    }
    require_known_town(towns, town);
    if (!caller.covers_town(town)) throw Error(ErrorCode::forbidden, "this token does not cover town " + town);
}

void require_category(data::Database& db, const std::optional<std::string>& category) {
    if (!category) return;
    const auto all = data::list_categories(db);
    if (std::none_of(all.begin(), all.end(), [&](const data::CategoryRecord& c) { return c.code == *category; }))
        throw_bad_field("category", "unknown category '" + *category + "' (see /api/v1/categories)");
}

json meeting_json(const analytics::MeetingPack& p) {
    json emerging = json::array();
    for (const auto& e : p.emerging)
        emerging.push_back({{"grid", e.grid},
                            {"name", e.grid_name},
                            {"category", e.category},
                            {"label", analytics::emerging_label(e.category)},
                            {"counts", e.counts},
                            {"mann_kendall", mann_kendall_json(e.trend)}});
    json overdue = json::array();
    for (const auto& o : p.overdue)
        overdue.push_back({{"id", o.id},
                           {"grid", o.grid},
                           {"grid_name", o.grid_name},
                           {"category", o.category},
                           {"platform", o.platform},
                           {"dispatched_at", format_rfc3339(o.dispatched_at)},
                           {"due_at", format_rfc3339(o.due_at)},
                           {"overdue_days", std::round(o.overdue_days * 100) / 100},
                           {"supervised", o.supervised}});
    json maps = json::array();
    for (const auto& m : p.maps)
        maps.push_back({{"layer", analytics::map_layer_name(m.layer)}, {"title", m.title}, {"available", m.png.has_value()}});
    return {{"town", p.town},
            {"town_name", p.town_name},
            {"month", p.month},
            {"from", format_rfc3339(p.from)},
            {"to", format_rfc3339(p.to)},
            {"as_of", format_rfc3339(p.as_of)},
            {"month_total", indicators_json(p.month_total)},
            {"previous_total", indicators_json(p.previous_total)},
            {"by_platform", named_rows_json(p.by_platform)},
            {"top_grids", named_rows_json(p.top_grids)},
            {"lowest_grids", named_rows_json(p.lowest_grids)},
            {"trend_months", p.trend_months},
            {"emerging", emerging},
            {"overdue", overdue},
            {"maps", maps}};
}

// One town's analytics read that town's part of the in-process copy: cheap, so they
// queue with the reads; the whole province ("all") stays heavy.
bool one_town(const std::map<std::string, std::string>& query) {
    const auto town = query.find("town");
    return town != query.end() && !town->second.empty() && town->second != "all";
}

}  // namespace

void add_analytics_routes(Router& router, data::Database& db, data::ReportCache* cache, analytics::MapRenderer maps,
                          data::TownDirectory& towns) {
    router.add({"GET", "/api/v1/analytics/completion", Access::token, {"town", "from", "to", "by", "as_of"},
                [&db, cache, &towns](Context& ctx) {
                    require_analyst(ctx);
                    const auto params = parse_completion_params(ctx.request.query, now_seconds());
                    require_reader(ctx, towns, params.town);
                    const auto answer = data::completion_report(db, params, cache);
                    json rows = json::array();
                    for (const auto& r : answer.rows) {
                        json row = indicators_json(r.values);
                        row["key"] = r.key;
                        auto name = answer.names.find(r.key);
                        row["name"] = name == answer.names.end() ? json(nullptr) : json(name->second);
                        rows.push_back(std::move(row));
                    }
                    const json out{{"town", params.town},
                                   {"by", analytics::by_name(params.by)},
                                   {"from", format_rfc3339(params.from)},
                                   {"to", format_rfc3339(params.to)},
                                   {"as_of", format_rfc3339(params.as_of)},
                                   {"rows", rows},
                                   {"total", indicators_json(answer.total)}};
                    return Response::json(200, out.dump());
                }, k_default_max_body, RouteClass::heavy, one_town});

    router.add({"GET", "/api/v1/analytics/hotspots", Access::token,
                {"town", "from", "to", "platform", "category", "weights", "fdr"}, [&db, cache, &towns](Context& ctx) {
                    require_analyst(ctx);
                    const auto params = parse_hotspot_params(ctx.request.query);
                    require_reader(ctx, towns, params.town);
                    require_category(db, params.category);
                    const auto report = data::hotspot_report(db, params, cache);
                    json grids = json::array();
                    for (const auto& g : report.grids) {
                        grids.push_back({{"grid", g.grid},
                                         {"count", static_cast<long long>(g.count)},
                                         {"gi_z", opt(g.gi.z)},
                                         {"gi_p", opt(g.gi.p)},
                                         {"bin", g.gi.bin},
                                         {"lisa", {{"Ii", opt(g.lisa.i)}, {"p_sim", opt(g.lisa.p_sim)}, {"quadrant", g.lisa.label}}}});
                    }
                    json moran = nullptr;
                    if (report.moran)
                        moran = {{"I", report.moran->i},
                                 {"expected", report.moran->expected},
                                 {"variance", opt(report.moran->variance_randomisation)},
                                 {"z", opt(report.moran->z)},
                                 {"p", opt(report.moran->p)},
                                 {"p_sim", opt(report.moran->p_sim)}};
                    return Response::json(200, json{{"grids", grids}, {"moran", moran}}.dump());
                }, k_default_max_body, RouteClass::heavy, one_town});

    router.add({"GET", "/api/v1/analytics/trends", Access::token,
                {"town", "end", "months", "platform", "category", "weights"}, [&db, cache, &towns](Context& ctx) {
                    require_analyst(ctx);
                    const auto params = parse_trend_params(ctx.request.query, now_seconds());
                    require_reader(ctx, towns, params.town);
                    require_category(db, params.category);
                    const auto report = data::trend_report(db, params, cache);
                    json grids = json::array();
                    for (const auto& g : report.grids) {
                        json counts = json::array(), change = json::array();
                        for (double c : g.counts) counts.push_back(static_cast<long long>(c));
                        for (const auto& c : g.change) change.push_back(c ? json(static_cast<long long>(*c)) : json(nullptr));
                        grids.push_back({{"grid", g.grid},
                                         {"counts", counts},
                                         {"change", change},
                                         {"change_pct", opt(g.last_change_pct)},
                                         {"mann_kendall", mann_kendall_json(g.trend)},
                                         {"category", g.emerging.category}});
                    }
                    return Response::json(200, json{{"months", report.months}, {"grids", grids}}.dump());
                }, k_default_max_body, RouteClass::heavy, one_town});

    router.add({"GET", "/api/v1/meetings/{town}/{month}", Access::token, {"f", "as_of"}, [&db, cache, maps, &towns](Context& ctx) {
                    require_analyst(ctx);
                    require_existing_town(towns, ctx.path.at("town"));  // a path: 404 before any parameter
                    const auto params =
                        parse_meeting_params(ctx.path.at("town"), ctx.path.at("month"), ctx.request.query, ctx.request.header("accept"));
                    require_reader(ctx, towns, params.town);
                    const auto pack = data::meeting_pack(db, params, maps, cache);
                    Response r;
                    switch (params.format) {
                    case analytics::MeetingFormat::json: return Response::json(200, meeting_json(pack).dump());
                    case analytics::MeetingFormat::xlsx: {
                        r.content_type = k_xlsx_media_type;
                        r.body = analytics::render_meeting_xlsx(pack);
                        std::string disposition = "attachment; filename=\"meeting-";
                        disposition.append(pack.town).append("-").append(pack.month).append(".xlsx\"");
                        r.headers.emplace_back("Content-Disposition", std::move(disposition));
                        return r;
                    }
                    case analytics::MeetingFormat::html: break;
                    }
                    r.content_type = "text/html; charset=utf-8";
                    r.body = analytics::render_meeting_html(pack);
                    return r;
                }, k_default_max_body, RouteClass::heavy});
}

}  // namespace wangge::api
