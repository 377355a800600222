#pragma once
// The HTTP vocabulary of the API layer, independent of Pistache: a decoded request, a
// response, and the route table that maps one to the other.

#include "core/principal.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wangge {
class Error;
}

namespace wangge::api {

struct Request {
    std::string method;  // GET, POST, …
    std::string path;    // percent-decoded
    std::map<std::string, std::string> query;  // percent-decoded; a repeated key keeps the last value
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    /// The peer's address as the socket saw it (empty when not over a socket: tests
    /// that call Service::handle directly). Service turns it into the client address.
    std::string remote;

    std::optional<std::string> header(const std::string& lower_name) const;
    std::optional<std::string> param(const std::string& name) const;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    static Response json(int status, std::string body);
};

/// Everything a handler gets: the request, its path parameters and the caller.
struct Context {
    const Request& request;
    std::map<std::string, std::string> path;  // {town} → "tashi"
    std::optional<Principal> principal;       // set on every route that needs a token

    const Principal& caller() const { return *principal; }
};

using Handler = std::function<Response(Context&)>;

enum class Access { open, token };

/// What a route costs, for its rate-limit bucket and its database deadline (see
/// ServiceOptions): tiles are many and cheap, heavy routes (batches, imports, analytics,
/// exports, meeting packs, static maps) are few and slow.
enum class RouteClass { standard, tile, heavy };

/// The queues requests wait in (api/server.cpp): each has its own worker threads and a
/// bounded queue, so cheap requests never wait behind heavy ones and overload is a quick
/// 503 instead of seconds of latency. probe: /healthz, /readyz, /metrics; tiles: tile
/// routes; heavy: RouteClass::heavy (analytics, meeting packs, exports); analytics: a
/// heavy route whose Route::light_when holds (one town's analytics); write: other routes
/// that change something; read: the rest.
enum class WorkClass { probe, tiles, read, write, analytics, heavy };
inline constexpr std::size_t k_work_classes = 6;
std::string_view work_class_name(WorkClass c) noexcept;

/// One report or one grid edit fits with room to spare; batch and import routes say more.
inline constexpr std::size_t k_default_max_body = 64u << 10;
/// One grid: a surveyed boundary can carry thousands of vertices.
inline constexpr std::size_t k_grid_max_body = 1u << 20;
/// 10,000 reports in a batch, or a whole town's redraw.
inline constexpr std::size_t k_batch_max_body = 16u << 20;
/// A GeoPackage or zipped Shapefile of a town's grids.
inline constexpr std::size_t k_import_max_body = 64u << 20;

struct Route {
    std::string method;
    std::string pattern;  // "/api/v1/towns/{town}/grids"; a segment may end in a literal: "{y}.png"
    Access access;
    std::vector<std::string> query_keys;  // allowed query parameters; others are a 400
    Handler handler;
    /// Larger bodies are refused with 413 before anything parses them.
    std::size_t max_body = k_default_max_body;
    RouteClass route_class = RouteClass::standard;
    /// For a heavy route: the requests (by their query) that are cheap enough to wait in
    /// the analytics queue instead, at full priority. One town's completion table is a
    /// scan of that town's copy (milliseconds at a million reports); the whole province's
    /// is not.
    std::function<bool(const std::map<std::string, std::string>& query)> light_when = nullptr;
};

struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed_methods;  // when the path matches under other verbs
};

class Router {
public:
    void add(Route route);
    Match match(const std::string& method, const std::string& path) const;
    const std::vector<Route>& routes() const noexcept { return m_routes; }

private:
    std::vector<Route> m_routes;
    std::vector<std::vector<std::string>> m_segments;
};

/// Decodes %XX and (in query strings) '+'. @returns nullopt on a malformed escape or
/// an encoded NUL.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);

/// Gives a response a strong ETag from its body and, when the request's If-None-Match
/// names it, turns it into a bodiless 304: for answers that have no cheaper version
/// number (report lists, static files), this still saves the transfer and the client's
/// re-rendering.
void apply_content_etag(Response& response, const Request& request);
/// RFC 3986 unreserved characters (and ',' ':') stay, everything else is %XX: for the
/// query strings and path segments of links the server writes.
std::string percent_encode(std::string_view in);

/// Parses "a=1&b=x%20y". @throws Error(bad_request) on a malformed escape
std::map<std::string, std::string> parse_query(std::string_view query);

/// application/problem+json for an error code and detail (API.md: Conventions).
Response problem(int status, std::string_view slug, std::string_view title, const std::string& detail,
                 const std::string& extra_json = "{}");

/// The problem+json answer for a wangge::Error: its code's status and title, its detail
/// and its extra members.
Response problem_of(const Error& e);

}  // namespace wangge::api
