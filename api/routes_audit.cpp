// GET /api/v1/audit: the audit log for admins (issue 8; docs/security.md).

#include "api/report_params.hpp"
#include "api/service.hpp"
#include "api/towns.hpp"
#include "data/audit.hpp"

#include <nlohmann/json.hpp>

#include <charconv>

namespace wangge::api {

namespace {

using nlohmann::json;

data::AuditFilter parse_audit_filter(const Request& request) {
    data::AuditFilter f;
    for (auto [field, target] : {std::pair{"town", &f.town}, std::pair{"actor", &f.actor}, std::pair{"action", &f.action}}) {
        if (auto v = request.param(field)) {
            if (v->empty() || v->size() > 200) throw_bad_field(field, "must be 1–200 characters");
            *target = *v;
        }
    }
    for (const char* field : {"from", "to"}) {
        if (auto v = request.param(field)) {
            auto t = parse_instant(*v);
            if (!t) throw_bad_field(field, "must be an RFC 3339 instant or a date YYYY-MM-DD");
            (std::string_view(field) == "from" ? f.from : f.to) = *t;
        }
    }
    if (auto v = request.param("limit")) {
        int limit = 0;
        const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), limit);
        if (ec != std::errc() || p != v->data() + v->size() || limit < 1 || limit > 1000)
            throw_bad_field("limit", "must be 1–1000");
        f.limit = limit;
    }
    if (auto v = request.param("cursor")) f.before_id = decode_cursor(*v).first;
    return f;
}

}  // namespace

void add_audit_routes(Router& router, data::Database& db, data::TownDirectory& towns) {
    router.add({"GET", "/api/v1/audit", Access::token, {"town", "actor", "action", "from", "to", "limit", "cursor"},
                [&db, &towns](Context& ctx) {
                    if (ctx.caller().role != Role::admin) throw Error(ErrorCode::forbidden, "the audit log needs an admin token");
                    const auto filter = parse_audit_filter(ctx.request);
                    if (filter.town) require_known_town(towns, *filter.town);
                    const auto page = data::list_audit(db, filter);
                    json entries = json::array();
                    for (const auto& e : page.entries)
                        entries.push_back({{"id", e.id},
                                           {"at", format_rfc3339(e.at)},
                                           {"town", e.town ? json(*e.town) : json(nullptr)},
                                           {"actor", e.actor},
                                           {"role", e.role},
                                           {"action", e.action},
                                           {"target", e.target},
                                           {"source", e.source},
                                           {"details", json::parse(e.details_json, nullptr, false)}});
                    json out{{"entries", entries}, {"numberReturned", page.entries.size()}};
                    if (page.next_before) {
                        const auto cursor = encode_cursor({*page.next_before, 0});
                        out["next_cursor"] = cursor;
                        std::string link = ctx.request.path + "?";
                        for (const auto& [k, v] : ctx.request.query)
                            if (k != "cursor") link += percent_encode(k) + "=" + percent_encode(v) + "&";
                        out["next"] = link + "cursor=" + cursor;
                    }
                    return Response::json(200, out.dump());
                }});
}

}  // namespace wangge::api
