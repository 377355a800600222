#include "api/service.hpp"

#include "api/routes_tiles.hpp"

#include "core/error.hpp"
#include "data/analytics_store_cache.hpp"
#include "data/db.hpp"
#include "data/reports.hpp"
#include "data/token_store.hpp"
#include "tiles/tile_service.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include <iostream>

namespace wangge::api {

Service::Service(data::Database& db, ServiceOptions options)
    : m_db(db), m_options(std::move(options)), m_reports(std::make_unique<data::ReportDesk>(db)),
      m_report_cache(m_options.analytics_cache ? std::make_unique<data::ReportCache>(db) : nullptr),
      m_tiles(std::make_unique<tiles::TileService>(db, tiles::TileServiceOptions{m_options.tile_cache_bytes, m_options.render_threads})) {
    add_service_routes(m_router, db, m_metrics, *m_reports);
    add_town_routes(m_router, db);
    add_report_routes(m_router, *m_reports);
    add_grid_routes(m_router, db, *m_reports);
    add_grid_import_routes(m_router, db, *m_reports);
    add_tile_routes(m_router, *m_tiles);
    m_metrics.add_source([tiles = m_tiles.get()] { return tile_metrics(*tiles); });
    if (!m_options.meeting_maps) {
        // The meeting pack's maps: the month's reports over the town's grids, drawn by
        // the tiles module as one static image.
        m_options.meeting_maps = [tiles = m_tiles.get()](const std::string& town, std::chrono::year_month month,
                                                         analytics::MapLayer layer) -> std::optional<std::string> {
            tiles::StaticMapParams p;
            p.layers = {layer == analytics::MapLayer::heatmap ? tiles::Layer::heatmap : tiles::Layer::hotspots,
                        tiles::Layer::grids};
            p.width = 1200;
            p.height = 900;
            p.filter.towns = {town};
            p.filter.from = shanghai_month_start(month);
            p.filter.to = shanghai_month_start(month + std::chrono::months{1});
            return tiles->static_map(p, std::nullopt).image.bytes;
        };
    }
    add_analytics_routes(m_router, db, m_report_cache.get(), m_options.meeting_maps);
    add_ogc_routes(m_router, db);
    add_grid_export_routes(m_router, db);
    add_web_routes(m_router, m_options.web_dir);
}

void Service::start_analytics_warm_up() {
    if (!m_report_cache || m_warm_up.joinable()) return;
    m_warm_up = std::jthread([cache = m_report_cache.get()] {
        try {
            cache->refresh();
        } catch (const std::exception& e) {
            // The first analytics request tries again and answers the error properly.
            std::cerr << "analytics: loading the report copy failed: " << e.what() << '\n';
        }
    });
}

Service::~Service() = default;

Principal Service::authenticate(const Request& request) {
    std::string token;
    if (auto h = request.header("authorization")) {
        const std::string prefix = "Bearer ";
        if (h->size() <= prefix.size() || h->compare(0, prefix.size(), prefix) != 0)
            throw Error(ErrorCode::unauthorized, "the Authorization header must be 'Bearer <token>'");
        token = h->substr(prefix.size());
    } else if (auto query_token = request.param("access_token"); query_token && request.path.starts_with("/tiles/")) {
        // API.md: tile and TileJSON requests may carry the token in the query, since map
        // clients cannot always set headers.
        token = *query_token;
    } else {
        throw Error(ErrorCode::unauthorized, "this resource needs a token: Authorization: Bearer <token>");
    }
    auto principal = data::authenticate(m_db, token);
    if (!principal) throw Error(ErrorCode::unauthorized, "the token is unknown or revoked");
    return *principal;
}

Response Service::dispatch(const Request& request, std::string& route_name) {
    auto match = m_router.match(request.method, request.path);
    if (match.route == nullptr) {
        if (!match.allowed_methods.empty()) {
            std::string allow;
            for (const auto& m : match.allowed_methods) allow += (allow.empty() ? "" : ", ") + m;
            auto r = problem_of(Error(ErrorCode::method_not_allowed, request.method + " is not allowed here; use " + allow));
            r.headers.emplace_back("Allow", allow);
            return r;
        }
        throw Error(ErrorCode::not_found, "no resource at " + request.path);
    }
    const Route& route = *match.route;
    route_name = route.pattern;
    for (const auto& [key, value] : request.query) {
        (void)value;
        if (std::find(route.query_keys.begin(), route.query_keys.end(), key) == route.query_keys.end())
            throw Error(ErrorCode::bad_request, "unknown query parameter '" + key + "'", nlohmann::json{{"field", key}});
    }
    if (request.body.size() > m_options.max_body_bytes)
        throw Error(ErrorCode::payload_too_large, "the body exceeds " + std::to_string(m_options.max_body_bytes) + " bytes");
    Context ctx{request, std::move(match.params), std::nullopt};
    if (route.access == Access::token) ctx.principal = authenticate(request);
    return route.handler(ctx);
}

Response Service::handle(const Request& request) {
    const auto started = std::chrono::steady_clock::now();
    std::string route_name = "unmatched";
    Response response;
    try {
        response = dispatch(request, route_name);
    } catch (const Error& e) {
        if (e.code() == ErrorCode::internal) std::cerr << "error: " << request.method << ' ' << request.path << ": " << e.what() << '\n';
        response = problem_of(e);
    } catch (const std::exception& e) {
        // Library messages stay in the log; the client gets no internals.
        std::cerr << "error: " << request.method << ' ' << request.path << ": " << e.what() << '\n';
        response = problem_of(Error(ErrorCode::internal, "the server failed to answer this request"));
    } catch (...) {
        response = problem_of(Error(ErrorCode::internal, "the server failed to answer this request"));
    }
    if (request.method == "HEAD") response.body.clear();
    m_metrics.observe(route_name, request.method, response.status, std::chrono::steady_clock::now() - started);
    return response;
}

}  // namespace wangge::api
