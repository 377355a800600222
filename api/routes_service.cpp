// /healthz, /readyz, /metrics, /api: the service's own endpoints (API.md: Service).

#include "api/service.hpp"
#include "core/embedded.hpp"
#include "core/error.hpp"
#include "data/db.hpp"
#include "data/reports.hpp"

#include <nlohmann/json.hpp>

#include <sstream>

namespace wangge {
extern const std::vector<EmbeddedFile> k_openapi;
}

namespace wangge::api {

void add_service_routes(Router& router, data::Database& db, Metrics& metrics, data::ReportDesk& reports,
                        std::function<std::string()> not_ready) {
    router.add({"GET", "/healthz", Access::open, {}, [](Context&) { return Response::json(200, R"({"status":"ok"})"); }});

    router.add({"GET", "/readyz", Access::open, {}, [&db, not_ready = std::move(not_ready)](Context&) {
                    if (!db.ping()) throw Error(ErrorCode::database_unavailable, "the database does not answer");
                    if (auto why = not_ready(); !why.empty()) throw Error(ErrorCode::not_ready, why);
                    return Response::json(200, R"({"status":"ready"})");
                }});

    router.add({"GET", "/metrics", Access::open, {}, [&db, &metrics, &reports](Context&) {
                    const auto pool = db.state();
                    std::ostringstream extra;
                    extra << "# HELP wangge_db_pool_connections Database pool connections by state.\n"
                             "# TYPE wangge_db_pool_connections gauge\n"
                          << "wangge_db_pool_connections{state=\"idle\"} " << pool.idle << '\n'
                          << "wangge_db_pool_connections{state=\"in_use\"} " << pool.in_use << '\n'
                          << "wangge_db_pool_connections{state=\"max\"} " << pool.size << '\n'
                          << "# HELP wangge_db_pool_waiting Requests waiting for a database connection.\n"
                             "# TYPE wangge_db_pool_waiting gauge\n"
                          << "wangge_db_pool_waiting " << pool.waiting << '\n'
                          << "# HELP wangge_reports_ingested_total Reports stored by this process.\n"
                             "# TYPE wangge_reports_ingested_total counter\n"
                          << "wangge_reports_ingested_total " << reports.reports_ingested() << '\n'
                          << "# HELP wangge_grid_index_refreshes_total Grid index rebuilds after grids changed in the database.\n"
                             "# TYPE wangge_grid_index_refreshes_total counter\n"
                          << "wangge_grid_index_refreshes_total " << reports.stats().grid_refreshes << '\n'
                          << "# HELP wangge_intake_stale_retries_total Intake rounds repeated because the grid index was stale.\n"
                             "# TYPE wangge_intake_stale_retries_total counter\n"
                          << "wangge_intake_stale_retries_total " << reports.stats().stale_retries << '\n';
                    Response r;
                    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
                    r.body = metrics.render(extra.str());
                    return r;
                }});

    // Who the token belongs to: the web client checks a token with it at sign-in and
    // shows only the views the role may use.
    router.add({"GET", "/api/v1/me", Access::token, {}, [](Context& ctx) {
                    const auto& p = ctx.caller();
                    nlohmann::json out{{"name", p.name}, {"role", role_name(p.role)}, {"towns", p.towns},
                                       {"platform", p.platform ? nlohmann::json(*p.platform) : nlohmann::json(nullptr)},
                                       {"worker", p.worker ? nlohmann::json(*p.worker) : nlohmann::json(nullptr)}};
                    return Response::json(200, out.dump());
                }});

    router.add({"GET", "/api", Access::open, {}, [](Context&) {
                    Response r;
                    r.content_type = "application/vnd.oai.openapi+json;version=3.0";
                    r.body = std::string(k_openapi.front().content);
                    return r;
                }});
}

}  // namespace wangge::api
