// Reports (事件) and their closed loop (API.md: Reports).

#include "api/report_params.hpp"
#include "api/service.hpp"
#include "api/towns.hpp"
#include "data/report_json.hpp"

namespace wangge::api {

namespace {

using nlohmann::json;

void require_reporter(const Context& ctx) {
    if (!ctx.caller().has_role({Role::grid_worker, Role::command}))
        throw Error(ErrorCode::forbidden, "posting reports needs a grid_worker or command token");
}

Response feature_collection(const data::ReportPage& page, const Request& request) {
    json features = json::array();
    for (const auto& r : page.reports) features.push_back(data::report_feature(r, false));
    json out{{"type", "FeatureCollection"}, {"features", features}, {"numberReturned", page.reports.size()}};
    Response resp;
    if (page.next) {
        const auto cursor = encode_cursor(*page.next);
        out["next_cursor"] = cursor;
        // The same query with the cursor: what to fetch next.
        std::string link = request.path + "?";
        for (const auto& [k, v] : request.query)
            if (k != "cursor") link += percent_encode(k) + "=" + percent_encode(v) + "&";
        out["next"] = link + "cursor=" + cursor;
    }
    resp.content_type = "application/geo+json";
    resp.body = out.dump();
    return resp;
}

}  // namespace

void add_report_routes(Router& router, data::ReportDesk& desk, data::TownDirectory& towns) {
    router.add({"POST", "/api/v1/reports", Access::token, {}, [&desk](Context& ctx) {
                    require_reporter(ctx);
                    const auto body = parse_json_body(ctx.request);
                    auto item = parse_report(body);
                    if (const auto* e = std::get_if<Error>(&item)) throw *e;
                    const auto outcome = desk.submit({std::move(item)}, ctx.caller()).front();
                    if (outcome.problem) throw *outcome.problem;
                    return Response::json(outcome.http_status, outcome.body);
                }});

    router.add({"POST", "/api/v1/reports:batch", Access::token, {}, [&desk](Context& ctx) {
                    require_reporter(ctx);
                    const auto outcomes = desk.submit(parse_report_batch(parse_json_body(ctx.request)), ctx.caller());
                    // Built as text: the answers are stored JSON and go out byte for byte.
                    std::string body = R"({"results":[)";
                    for (std::size_t i = 0; i < outcomes.size(); ++i) {
                        const auto& o = outcomes[i];
                        if (i > 0) body += ',';
                        body += R"({"index":)" + std::to_string(i) + R"(,"http_status":)" + std::to_string(o.http_status);
                        if (o.problem) body += R"(,"problem":)" + problem_of(*o.problem).body + "}";
                        else body += R"(,"report":)" + o.body + "}";
                    }
                    body += "]}";
                    return Response::json(200, std::move(body));
                }, k_batch_max_body, RouteClass::heavy});

    router.add({"GET",
                "/api/v1/reports",
                Access::token,
                {"town", "grid", "status", "platform", "category", "from", "to", "bbox", "overdue", "limit", "cursor"},
                [&desk, &towns](Context& ctx) {
                    const auto filter = parse_report_filter(ctx.request.query);
                    if (filter.town) require_known_town(towns, *filter.town);
                    if (filter.town && !ctx.caller().covers_town(*filter.town))
                        throw Error(ErrorCode::forbidden, "this token does not cover town " + *filter.town);
                    // The web client polls this list; an unchanged page costs a 304.
                    auto r = feature_collection(desk.list(filter, ctx.caller()), ctx.request);
                    apply_content_etag(r, ctx.request);
                    return r;
                }});

    router.add({"GET", "/api/v1/reports/{id}", Access::token, {}, [&desk](Context& ctx) {
                    const auto id = parse_report_id(ctx.path.at("id"));
                    auto report = desk.find(id);
                    if (!report) throw Error(ErrorCode::not_found, "no report " + ctx.path.at("id"));
                    if (!ctx.caller().covers_town(report->town))
                        throw Error(ErrorCode::forbidden, "this token does not cover town " + report->town);
                    if (ctx.caller().role == Role::platform && ctx.caller().platform != report->platform)
                        throw Error(ErrorCode::forbidden, "this report belongs to platform " + report->platform);
                    Response r;
                    r.content_type = "application/geo+json";
                    r.body = data::report_feature(*report, true).dump();
                    return r;
                }});

    router.add({"POST", "/api/v1/reports/{id}/events", Access::token, {}, [&desk](Context& ctx) {
                    const auto id = parse_report_id(ctx.path.at("id"));
                    const auto input = parse_action(parse_json_body(ctx.request));
                    const auto outcome = desk.act(id, input, ctx.caller());
                    json body{{"event", data::event_json(outcome.event)}, {"report", data::report_feature(outcome.report, true)}};
                    return Response::json(201, body.dump());
                }});
}

}  // namespace wangge::api
