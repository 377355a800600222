#pragma once
// The API as a function from Request to Response: routing, authentication, the one
// place errors become problem+json, and metrics. No sockets here, so tests can drive it
// directly; api/server.cpp puts it behind Pistache.

#include "api/http.hpp"
#include "api/metrics.hpp"
#include "api/rate_limit.hpp"
#include "analytics/meeting.hpp"

#include <memory>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace wangge::data {
class Database;
class ReportDesk;
class ReportCache;
class ChangeFeed;
class TokenCache;
class TownDirectory;
}  // namespace wangge::data
namespace wangge::tiles {
class TileService;
}

namespace wangge::api {

struct ServiceOptions {
    /// A ceiling over every route's own max_body (api/http.hpp: Route).
    std::size_t max_body_bytes = 64u << 20;
    /// Per token (per client address for calls without a valid token). Off here so
    /// tests and benchmarks that drive Service directly are not throttled; `wangge serve`
    /// switches both on (docs/security.md).
    RateLimit api_rate;
    RateLimit tile_rate;  // tiles and TileJSON: a map view asks for dozens at once
    /// PostgreSQL statement_timeout per route class (0: none). Tiles share the standard
    /// value: a connection switching between equal values needs no SET.
    std::chrono::milliseconds standard_deadline{15'000};
    std::chrono::milliseconds tile_deadline{15'000};
    std::chrono::milliseconds heavy_deadline{180'000};
    /// Addresses of reverse proxies whose X-Forwarded-For is believed. Empty: the
    /// socket's peer is the client, whatever the headers say.
    std::vector<std::string> trusted_proxies;
    std::size_t tile_cache_bytes = 256u << 20;  // in-memory tile cache budget
    std::size_t render_threads = 0;             // Mapnik render threads; 0: one per core
    /// The static maps of the meeting pack (the tiles issue provides one); empty: the
    /// pack is built without maps and says so.
    analytics::MapRenderer meeting_maps;
    /// Completion and meeting packs from an in-process copy of the reports (kept fresh
    /// through report_changes) instead of SQL per request.
    bool analytics_cache = true;
    /// The web client's build output (api/web/dist); empty: `/` answers 503 "not built".
    std::string web_dir;
};

class Service {
public:
    explicit Service(data::Database& db, ServiceOptions options = {});
    ~Service();

    data::ReportDesk& reports() noexcept { return *m_reports; }
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    /// Loads, in a background thread, everything a request would otherwise wait for: the
    /// grid index, the tile snapshot and the analytics copy (≈ 20 s for a million
    /// reports). Until all three are in, /readyz answers 503 naming what is still loading,
    /// so a load balancer sends no traffic to a node that cannot serve it at full speed;
    /// a piece that fails to load (database down, no grids yet) is tried again every
    /// second. Call it after the thread's signal mask is set (the new thread inherits
    /// it); stopped and joined on destruction. Without it (tests that drive Service
    /// directly) everything loads on first use and /readyz does not wait for it.
    void start_warm_up();

    /// Follows the database's change feed (data/change_feed.hpp) on a thread of its own:
    /// grid edits, the catalogue and the calendar made by other nodes or the CLI reach
    /// this process's copies within `poll`, usually at once. `wangge serve` calls it;
    /// /readyz answers 503 while the feed is not connected. Stopped on destruction.
    void start_change_feed(std::chrono::milliseconds poll = std::chrono::milliseconds(250));

    /// Prunes report_changes every `every` on a thread of its own (data::prune_report_changes:
    /// rows an hour old and 100,000 behind the newest), so the table the copies follow does
    /// not grow with every write for ever. Every node may run it. Stopped on destruction.
    void start_housekeeping(std::chrono::seconds every = std::chrono::seconds(600));

    /// Never throws: every failure is a problem+json response.
    Response handle(const Request& request);

    /// Which queue a request waits in (api/http.hpp WorkClass), from its route (and, for
    /// a heavy route with Route::light_when, its query).
    WorkClass work_class(const Request& request) const;

    const Router& router() const noexcept { return m_router; }
    /// For the HTTP front's own gauges (add_source before serving).
    Metrics& metrics() noexcept { return m_metrics; }

    /// The client's address: the socket's peer, or, behind a trusted proxy, the last
    /// X-Forwarded-For hop that is not itself a trusted proxy.
    std::string client_address(const Request& request) const;

private:
    Response dispatch(const Request& request, std::string& route_name);
    Principal authenticate(const Request& request, const std::string& client);
    void charge(RateLimiter& limiter, const std::string& key);

    data::Database& m_db;
    ServiceOptions m_options;
    std::unique_ptr<data::ReportDesk> m_reports;
    std::unique_ptr<data::ReportCache> m_report_cache;  // null when options.analytics_cache is off
    std::vector<std::jthread> m_warm_up;                // declared after the cache: joined before it goes
    /// What start_warm_up has still to load, for /readyz (empty: everything is in).
    std::string warming() const;
    mutable std::mutex m_warm_mutex;
    std::vector<std::string> m_warming;  // guarded by m_warm_mutex
    std::map<std::string, std::string> m_warm_errors;  // piece → why its last try failed; guarded by m_warm_mutex
    Router m_router;
    Metrics m_metrics;
    RateLimiter m_api_limiter;
    RateLimiter m_tile_limiter;
    std::unique_ptr<tiles::TileService> m_tiles;
    std::unique_ptr<data::TokenCache> m_tokens;
    std::unique_ptr<data::TownDirectory> m_towns;  // every town code a request names is checked here
    std::mutex m_refresh_mutex;
    std::condition_variable_any m_refresh_cv;
    bool m_refresh_wanted = false;  // guarded by m_refresh_mutex
    std::jthread m_housekeeping;
    std::jthread m_grid_refresher;  // rebuilds the grid index when the feed says grids changed
    std::unique_ptr<data::ChangeFeed> m_feed;  // last: its thread calls into the members above
};

// Route groups, one file each.
/// `not_ready` says why this node cannot answer every route at full speed right now
/// (still loading its copies, not following the database's changes; empty: it can);
/// /readyz is 503 with that reason.
void add_service_routes(Router& router, data::Database& db, Metrics& metrics, data::ReportDesk& reports,
                        std::function<std::string()> not_ready);
void add_town_routes(Router& router, data::Database& db, data::TownDirectory& towns);
void add_report_routes(Router& router, data::ReportDesk& reports, data::TownDirectory& towns);
void add_grid_routes(Router& router, data::Database& db, data::ReportDesk& reports, data::TownDirectory& towns);
void add_grid_import_routes(Router& router, data::Database& db, data::ReportDesk& reports, data::TownDirectory& towns);
void add_analytics_routes(Router& router, data::Database& db, data::ReportCache* cache, analytics::MapRenderer maps,
                          data::TownDirectory& towns);
void add_ogc_routes(Router& router, data::Database& db);
void add_grid_export_routes(Router& router, data::Database& db);
void add_web_routes(Router& router, const std::string& web_dir);
void add_audit_routes(Router& router, data::Database& db, data::TownDirectory& towns);

/// The headers every answer carries (docs/security.md): no MIME sniffing, no framing, no
/// referrer, and a Content-Security-Policy that allows scripts from this origin only.
const std::vector<std::pair<std::string, std::string>>& security_headers();

}  // namespace wangge::api
