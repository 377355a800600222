#include "api/service.hpp"

#include "api/routes_tiles.hpp"

#include "core/error.hpp"
#include "core/free_memory.hpp"
#include "core/log.hpp"
#include "data/analytics_store_cache.hpp"
#include "data/change_feed.hpp"
#include "data/db.hpp"
#include "data/migrate.hpp"
#include "data/reports.hpp"
#include "data/token_store.hpp"
#include "data/town_directory.hpp"
#include "tiles/tile_service.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <functional>
#include <thread>
#include <cctype>

#include <iostream>
#include <sstream>

namespace wangge::api {

Service::Service(data::Database& db, ServiceOptions options)
    : m_db(db), m_options(std::move(options)), m_reports(std::make_unique<data::ReportDesk>(db)),
      m_report_cache(m_options.analytics_cache ? std::make_unique<data::ReportCache>(db) : nullptr),
      m_api_limiter(m_options.api_rate), m_tile_limiter(m_options.tile_rate),
      m_tiles(std::make_unique<tiles::TileService>(db, tiles::TileServiceOptions{m_options.tile_cache_bytes, m_options.render_threads})),
      // Kept only while the change feed is connected: it is what makes the cache exact.
      m_tokens(std::make_unique<data::TokenCache>(db, [this] { return m_feed && m_feed->stats().connected; })),
      m_towns(std::make_unique<data::TownDirectory>(db, [this] { return m_feed && m_feed->stats().connected; })) {
    add_service_routes(m_router, db, m_metrics, *m_reports, [this]() -> std::string {
        if (auto loading = warming(); !loading.empty()) return "still loading: " + loading;
        if (m_feed && !m_feed->stats().connected) return "not following the database's changes (change feed reconnecting)";
        return {};
    });
    add_town_routes(m_router, db, *m_towns);
    add_report_routes(m_router, *m_reports, *m_towns);
    add_grid_routes(m_router, db, *m_reports, *m_towns);
    add_grid_import_routes(m_router, db, *m_reports, *m_towns);
    add_tile_routes(m_router, *m_tiles, *m_towns);
    m_metrics.add_source([tiles = m_tiles.get()] { return tile_metrics(*tiles); });
    if (m_report_cache)
        m_metrics.add_source([cache = m_report_cache.get()] {
            const auto s = cache->stats();
            return gauge("wangge_analytics_copy_bytes", "Memory of the analytics copy (reports, events, id index).", s.bytes) +
                   gauge("wangge_analytics_copy_reports", "Reports in the analytics copy.", s.reports);
        });
    m_metrics.add_source([] {
        const auto heap = heap_use();
        return gauge("wangge_heap_held_bytes", "Heap the allocator holds from the kernel.", heap.held) +
               gauge("wangge_heap_in_use_bytes", "Heap in use (the rest of the held heap is free).", heap.in_use);
    });
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
    add_analytics_routes(m_router, db, m_report_cache.get(), m_options.meeting_maps, *m_towns);
    add_ogc_routes(m_router, db);
    add_grid_export_routes(m_router, db);
    add_web_routes(m_router, m_options.web_dir);
    add_audit_routes(m_router, db, *m_towns);
}

const std::vector<std::pair<std::string, std::string>>& security_headers() {
    // Inline styles are allowed (not scripts): OpenLayers and ECharts write style
    // attributes into the markup they generate (ECharts' tooltip markers), which CSP
    // would otherwise block; scripts stay 'self' only, so injected markup cannot run.
    // Images may come from any origin: the map's optional external base layer (Tianditu)
    // is set by the user, and an image cannot run code.
    static const std::vector<std::pair<std::string, std::string>> k_headers{
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
        {"Content-Security-Policy",
         "default-src 'self'; img-src 'self' data: blob: https: http:; style-src 'self' 'unsafe-inline'; "
         "script-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; "
         "base-uri 'self'; form-action 'self'"},
    };
    return k_headers;
}

std::string Service::client_address(const Request& request) const {
    const auto trusted = [&](const std::string& a) {
        return std::find(m_options.trusted_proxies.begin(), m_options.trusted_proxies.end(), a) != m_options.trusted_proxies.end();
    };
    if (request.remote.empty() || !trusted(request.remote)) return request.remote;
    const auto xff = request.header("x-forwarded-for");
    if (!xff) return request.remote;
    // Right to left: each trusted proxy appended the address it got the request from.
    std::string hop = request.remote;
    std::size_t end = xff->size();
    while (trusted(hop) && end > 0) {
        const auto comma = xff->rfind(',', end - 1);
        const std::size_t start = comma == std::string::npos ? 0 : comma + 1;
        std::string item = xff->substr(start, end - start);
        const auto first = item.find_first_not_of(" \t");
        const auto last = item.find_last_not_of(" \t");
        item = first == std::string::npos ? std::string() : item.substr(first, last - first + 1);
        if (item.empty() || item.size() > 64 || item.find_first_not_of("0123456789abcdefABCDEF.:[]") != std::string::npos)
            break;  // not an address: keep the last hop we can vouch for
        hop = item;
        end = comma == std::string::npos ? 0 : comma;
    }
    return hop;
}

void Service::charge(RateLimiter& limiter, const std::string& key) {
    if (auto wait = limiter.take(key)) {
        const auto seconds = std::max<long long>(1, (wait->count() + 999) / 1000);
        throw Error(ErrorCode::too_many_requests,
                    "the rate limit of " + nlohmann::json(limiter.limit().per_second).dump() + " requests per second (burst " +
                        nlohmann::json(limiter.limit().burst).dump() + ") is used up; retry after " +
                        std::to_string(seconds) + " s",
                    nlohmann::json{{"retry_after", seconds}});
    }
}

WorkClass Service::work_class(const Request& request) const {
    const auto& method = request.method;
    const auto& path = request.path;
    if (path == "/healthz" || path == "/readyz" || path == "/metrics") return WorkClass::probe;
    const auto match = m_router.match(method, path);
    if (match.route != nullptr) {
        if (match.route->route_class == RouteClass::tile) return WorkClass::tiles;
        if (match.route->route_class == RouteClass::heavy)
            return match.route->light_when && match.route->light_when(request.query) ? WorkClass::analytics
                                                                                     : WorkClass::heavy;
    }
    return method == "GET" || method == "HEAD" || method == "OPTIONS" ? WorkClass::read : WorkClass::write;
}

void Service::start_warm_up() {
    if (!m_warm_up.empty()) return;
    struct Piece {
        std::string name;
        std::function<void()> load;
    };
    // The schema first: a node of this build on a database without its migrations would
    // answer some routes with 500s (a missing index or table), so it is not ready until
    // `wangge migrate` has run, and it notices that without a restart.
    std::vector<Piece> pieces{{"database schema",
                               [this] {
                                   const auto pending = data::pending_migrations(m_db);
                                   if (pending.empty()) return;
                                   std::string names;
                                   for (const auto& n : pending) names += (names.empty() ? "" : ", ") + n;
                                   throw Error(ErrorCode::not_ready, "the database lacks migration(s) " + names +
                                                                         ": run `wangge migrate`");
                               }},
                              {"grid index", [this] { m_reports->grid_index(); }},
                              {"tile snapshot", [this] { m_tiles->warm_up(); }}};
    if (m_report_cache) pieces.push_back({"analytics copy", [this] { m_report_cache->refresh(); }});
    {
        std::lock_guard lock(m_warm_mutex);
        for (const auto& p : pieces) m_warming.push_back(p.name);
    }
    // Each piece on a thread of its own: they read different tables and are bound by the
    // database and by decoding rows, so together they take about as long as the slowest
    // (at 1M reports the analytics copy) rather than the sum.
    const auto started = std::chrono::steady_clock::now();
    for (auto& piece : pieces)
        m_warm_up.emplace_back([this, piece = std::move(piece), started](std::stop_token stop) {
            for (bool logged = false; !stop.stop_requested();) {
                try {
                    piece.load();
                    break;
                } catch (const std::exception& e) {
                    // Not fatal: the database may come up later, grids may be loaded later.
                    if (!logged) log_line("warm-up: loading the " + piece.name + " failed: " + e.what() + "; retrying");
                    logged = true;
                    std::lock_guard lock(m_warm_mutex);
                    m_warm_errors[piece.name] = e.what();
                }
                for (int i = 0; i < 10 && !stop.stop_requested(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
            if (stop.stop_requested()) return;
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            std::lock_guard lock(m_warm_mutex);
            std::erase(m_warming, piece.name);
            m_warm_errors.erase(piece.name);
            std::ostringstream after;
            after << seconds << " s";
            log_line("warm-up: " + piece.name + " loaded after " + after.str());
            if (m_warming.empty()) log_line("warm-up: ready after " + after.str());
        });
}

void Service::start_housekeeping(std::chrono::seconds every) {
    if (m_housekeeping.joinable()) return;
    m_housekeeping = std::jthread([this, every](std::stop_token stop) {
        std::mutex mutex;
        std::condition_variable_any wake;
        // Freed heap goes back to the kernel every few seconds (core/free_memory.hpp):
        // without it a node under load kept the high-water mark of every thread's arena.
        constexpr auto k_trim_every = std::chrono::seconds(5);
        auto next_prune = std::chrono::steady_clock::now() + every;
        for (;;) {
            {
                std::unique_lock lock(mutex);
                wake.wait_for(lock, stop, std::min<std::chrono::steady_clock::duration>(every, k_trim_every),
                              [] { return false; });  // wakes early only to stop
            }
            if (stop.stop_requested()) return;
            return_free_memory();
            if (std::chrono::steady_clock::now() < next_prune) continue;
            next_prune = std::chrono::steady_clock::now() + every;
            try {
                if (const auto gone = data::prune_report_changes(m_db); gone > 0)
                    log_line("housekeeping: " + std::to_string(gone) + " old report_changes rows deleted");
            } catch (const std::exception& e) {
                log_line(std::string("housekeeping: pruning report_changes failed: ") + e.what());
            }
        }
    });
}

std::string Service::warming() const {
    std::lock_guard lock(m_warm_mutex);
    std::string out;
    for (const auto& w : m_warming) {
        out += (out.empty() ? "" : ", ") + w;
        if (auto e = m_warm_errors.find(w); e != m_warm_errors.end()) out += " (" + e->second + ")";
    }
    return out;
}

void Service::start_change_feed(std::chrono::milliseconds poll) {
    if (m_feed) return;
    m_feed = std::make_unique<data::ChangeFeed>(m_db.conninfo(), poll);
    // The index is rebuilt on a thread of its own: a rebuild takes a second or more, and the
    // feed must go on hearing revocations meanwhile. Requests that come first find the
    // stale generation themselves (ReportDesk::submit) and wait for the same rebuild.
    m_grid_refresher = std::jthread([this](std::stop_token stop) {
        std::unique_lock lock(m_refresh_mutex);
        for (;;) {
            m_refresh_cv.wait(lock, stop, [this] { return m_refresh_wanted; });
            if (stop.stop_requested()) return;
            m_refresh_wanted = false;
            lock.unlock();
            try {
                for (const auto& town : m_reports->refresh_grids()) log_line("grids of " + town + " reloaded");
            } catch (const std::exception& e) {
                log_line(std::string("grids: reloading the index failed: ") + e.what());
            }
            lock.lock();
        }
    });
    m_feed->on("grids", [this] {
        {
            std::lock_guard lock(m_refresh_mutex);
            m_refresh_wanted = true;
        }
        m_refresh_cv.notify_one();
    });
    m_feed->on("tokens", [this] { m_tokens->forget(); });
    m_feed->on("towns", [this] { m_towns->changed(); });
    m_feed->on("tiles", [this] { m_tiles->data_changed(); });
    m_tiles->follow([feed = m_feed.get()] { return feed->stats().connected; });
    m_feed->on("catalogue", [this] {
        m_reports->refresh_reference();
        m_tiles->forget_categories();
    });
    m_metrics.add_source([feed = m_feed.get()] {
        const auto f = feed->stats();
        std::ostringstream out;
        out << gauge("wangge_change_feed_connected", "Whether this node hears the database's change feed.", f.connected ? 1 : 0)
            << "# HELP wangge_change_feed_events_total Change feed events by how they were noticed.\n"
               "# TYPE wangge_change_feed_events_total counter\n"
            << "wangge_change_feed_events_total{by=\"notify\"} " << f.notifications << '\n'
            << "wangge_change_feed_events_total{by=\"poll\"} " << f.poll_catches << '\n'
            << "wangge_change_feed_events_total{by=\"reconnect\"} " << f.reconnects << '\n'
            << "wangge_change_feed_events_total{by=\"failed_handler\"} " << f.handler_failures << '\n';
        return out.str();
    });
    m_metrics.add_source([tokens = m_tokens.get()] {
        const auto t = tokens->stats();
        std::ostringstream out;
        out << "# HELP wangge_token_cache_lookups_total Token lookups by whether the in-memory cache answered.\n"
               "# TYPE wangge_token_cache_lookups_total counter\n"
            << "wangge_token_cache_lookups_total{result=\"hit\"} " << t.hits << '\n'
            << "wangge_token_cache_lookups_total{result=\"miss\"} " << t.misses << '\n'
            << gauge("wangge_token_cache_entries", "Valid tokens held in memory.", t.entries);
        return out.str();
    });
    m_feed->start();
}

Service::~Service() {
    if (m_housekeeping.joinable()) {
        m_housekeeping.request_stop();
        m_housekeeping.join();
    }
    if (m_feed) m_feed->stop();
    if (m_grid_refresher.joinable()) {
        m_grid_refresher.request_stop();
        m_grid_refresher.join();
    }
    for (auto& t : m_warm_up) t.request_stop();
    m_warm_up.clear();  // joins
}

Principal Service::authenticate(const Request& request, const std::string& client) {
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
    auto principal = m_tokens->authenticate(token);
    if (!principal) throw Error(ErrorCode::unauthorized, "the token is unknown or revoked");
    principal->source = client;
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
    const auto max_body = std::min(route.max_body, m_options.max_body_bytes);
    if (request.body.size() > max_body)
        throw Error(ErrorCode::payload_too_large,
                    request.method + " " + route.pattern + " takes at most " + std::to_string(max_body) + " bytes; this body has " +
                        std::to_string(request.body.size()),
                    nlohmann::json{{"max_bytes", max_body}});
    const auto client = client_address(request);
    auto& limiter = route.route_class == RouteClass::tile ? m_tile_limiter : m_api_limiter;
    Context ctx{request, std::move(match.params), std::nullopt};
    // From here on, token lookup included: one statement_timeout for the whole request,
    // so the pooled connection is not switched back and forth within it.
    const auto deadline = route.route_class == RouteClass::heavy  ? m_options.heavy_deadline
                          : route.route_class == RouteClass::tile ? m_options.tile_deadline
                                                                  : m_options.standard_deadline;
    data::StatementDeadline scope(deadline);
    if (route.access == Access::token) {
        try {
            ctx.principal = authenticate(request, client);
        } catch (const Error& e) {
            // Guessing tokens costs the guesser's address its budget.
            if (e.code() == ErrorCode::unauthorized) charge(limiter, "addr:" + client);
            throw;
        }
        charge(limiter, "token:" + ctx.principal->name);
    } else {
        charge(limiter, "addr:" + client);
    }
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
    // A write of this node is seen by its own next tile at once, before the feed's
    // notification comes back (a failed write may have committed too: cheap to check).
    if (request.method != "GET" && request.method != "HEAD") m_tiles->data_changed();
    if (request.method == "HEAD") response.body.clear();
    if (response.status == 429) {
        const auto j = nlohmann::json::parse(response.body, nullptr, false);
        if (j.is_object() && j.contains("retry_after")) response.headers.emplace_back("Retry-After", j["retry_after"].dump());
    }
    for (const auto& [name, value] : security_headers()) {
        const bool set = std::any_of(response.headers.begin(), response.headers.end(), [&](const auto& h) {
            return std::equal(h.first.begin(), h.first.end(), name.begin(), name.end(),
                              [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); });
        });
        if (!set) response.headers.emplace_back(name, value);
    }
    m_metrics.observe(route_name, request.method, response.status, std::chrono::steady_clock::now() - started);
    return response;
}

}  // namespace wangge::api
