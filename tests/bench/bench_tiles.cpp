// Tile rendering on a database with the demo towns (1,000,000 reports for the figures of
// issue 5: `wangge demo-data --reports 1000000`), in one run:
//   - uncached heatmap and reports tiles, p50/p99 latency at z12, z14, z16;
//   - the baseline: the same reports tiles drawn the plain way, Mapnik's postgis plugin
//     reading the table (GiST bbox query) with the same style, and the ratio;
//   - cached tiles per second through HTTP, measured with wrk;
//   - RSS after loading, after a cache-filling run, and peak, against the cache budget.
//   build-tiles/tests/bench/bench_tiles [--tiles N] [--wrk-seconds S] [--cache-mb M]
// Uses WANGGE_DB or var/wangge.env. Not a test: it asserts nothing.

#include "api/server.hpp"
#include "api/service.hpp"
#include "data/db.hpp"
#include "data/token_store.hpp"
#include "tiles/mercator.hpp"
#include "tiles/tile_service.hpp"

#include <mapnik/agg_renderer.hpp>
#include <mapnik/datasource_cache.hpp>
#include <mapnik/font_engine_freetype.hpp>
#include <mapnik/image.hpp>
#include <mapnik/image_util.hpp>
#include <mapnik/layer.hpp>
#include <mapnik/load_map.hpp>
#include <mapnik/map.hpp>
#include <pqxx/pqxx>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace wangge;
using clock_type = std::chrono::steady_clock;

namespace {

struct Tile {
    int z;
    unsigned x, y;
};

double ms_since(clock_type::time_point t) { return std::chrono::duration<double, std::milli>(clock_type::now() - t).count(); }

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(std::min<double>(static_cast<double>(v.size() - 1), p * static_cast<double>(v.size() - 1) + 0.5));
    return v[i];
}

long rss_kb(const char* field) {  // VmRSS or VmHWM from /proc/self/status
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::string(field).size() + 1);
    return 0;
}

// Distinct tiles at zoom z holding reports, from an even sample of report locations.
std::vector<Tile> tiles_with_reports(data::Database& db, int z, std::size_t n) {
    std::vector<Tile> out;
    std::set<std::pair<unsigned, unsigned>> seen;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        for (const auto& r : tx.exec("SELECT ST_X(geom), ST_Y(geom) FROM reports WHERE id % 997 = 0 ORDER BY id")) {
            const double scale = std::ldexp(1.0, z) / (2 * tiles::k_half_world);
            const auto x = static_cast<unsigned>((tiles::lon_to_x(r[0].as<double>()) + tiles::k_half_world) * scale);
            const auto y = static_cast<unsigned>((tiles::k_half_world - tiles::lat_to_y(r[1].as<double>())) * scale);
            if (seen.insert({x, y}).second) out.push_back({z, x, y});
            if (out.size() >= n) break;
        }
    });
    return out;
}

std::map<std::string, std::string> conninfo_parts(const std::string& conninfo) {
    std::map<std::string, std::string> out;
    std::istringstream in(conninfo);
    std::string item;
    while (in >> item)
        if (auto eq = item.find('='); eq != std::string::npos) out[item.substr(0, eq)] = item.substr(eq + 1);
    return out;
}

// The plain way: the reports layer straight from the table through Mapnik's postgis
// plugin, drawn with the same style file. The query computes the same "state".
class PostgisBaseline {
public:
    explicit PostgisBaseline(const std::string& conninfo) : m_map(256, 256, "epsg:3857") {
        mapnik::datasource_cache::instance().register_datasources(WANGGE_MAPNIK_PLUGINS);
        mapnik::freetype_engine::register_fonts(WANGGE_FONT_DIR, true);
        mapnik::load_map(m_map, WANGGE_SOURCE_DIR "/tiles/styles/reports.xml", true);
        const auto parts = conninfo_parts(conninfo);
        mapnik::parameters p;
        p["type"] = "postgis";
        for (const char* key : {"host", "port", "dbname", "user"})
            if (auto it = parts.find(key); it != parts.end()) p[key] = it->second;
        p["table"] =
            "(SELECT geom, platform, CASE WHEN status IN ('closed', 'rejected') THEN 'done' "
            "WHEN due_at < now() THEN 'overdue' ELSE 'open' END AS state FROM reports) AS r";
        p["geometry_field"] = "geom";
        p["srid"] = "4490";
        p["extent"] = "119,28,121,30";
        p["estimate_extent"] = "false";
        // The layer is declared epsg:4326 (CGCS2000 ≈ WGS84, STACK.md's fast path).
        auto& layer = m_map.layers().front();
        layer.set_srs("epsg:4326");
        layer.set_datasource(mapnik::datasource_cache::instance().create(p));
        m_map.set_buffer_size(8);
    }

    std::size_t render(const Tile& t) {
        const auto b = tiles::tile_box(t.z, t.x, t.y);
        m_map.zoom_to_box({b.minx, b.miny, b.maxx, b.maxy});
        mapnik::image_rgba8 image(256, 256);
        mapnik::agg_renderer<mapnik::image_rgba8> ren(m_map, image, 1.0);
        ren.apply();
        return mapnik::save_to_string(image, "png32:z=1").size();
    }

private:
    mapnik::Map m_map;
};

}  // namespace

int main(int argc, char** argv) {
    std::size_t per_zoom = 60;
    int wrk_seconds = 10;
    std::size_t cache_mb = 128;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--tiles") per_zoom = std::stoul(argv[i + 1]);
        else if (a == "--wrk-seconds") wrk_seconds = std::stoi(argv[i + 1]);
        else if (a == "--cache-mb") cache_mb = std::stoul(argv[i + 1]);
    }
    api::tune_allocator_for_serving();  // as `wangge serve` does
    const auto conninfo = data::resolve_conninfo(argv[0]);
    data::Database db(conninfo, 8);
    std::string count;
    db.run([&](pqxx::connection_base& c) { count = pqxx::read_transaction(c).exec("SELECT count(*) FROM reports")[0][0].c_str(); });
    std::printf("bench_tiles: %s reports, %zu tiles per zoom, cache budget %zu MiB\n", count.c_str(), per_zoom, cache_mb);
    const long rss_start = rss_kb("VmRSS:");

    // --- Uncached: a service whose cache holds nothing, one render thread.
    tiles::TileService uncached(db, {0, 1});
    auto t0 = clock_type::now();
    uncached.bounds({});
    std::printf("snapshot load (all reports and grids into memory): %.0f ms, RSS %+ld MiB\n", ms_since(t0),
                (rss_kb("VmRSS:") - rss_start) / 1024);

    std::map<int, std::vector<Tile>> tiles_at;
    for (int z : {12, 14, 16}) tiles_at[z] = tiles_with_reports(db, z, per_zoom);

    PostgisBaseline baseline(conninfo);
    std::printf("\n%-8s %4s %6s  %9s %9s\n", "layer", "z", "tiles", "p50 ms", "p99 ms");
    std::map<int, double> reports_p50, baseline_p50;
    for (const char* name : {"heatmap", "reports", "postgis"}) {
        for (int z : {12, 14, 16}) {
            const auto& set = tiles_at[z];
            std::vector<double> ms;
            if (std::string(name) != "postgis") {
                tiles::TileParams p;
                p.layer = *tiles::parse_layer(name);
                p.z = z;
                // The derived colour scale is computed once per filter and zoom and kept:
                // time it apart, then measure tiles as a map client sees them.
                p.x = set.front().x, p.y = set.front().y;
                t0 = clock_type::now();
                uncached.tile(p, std::nullopt);
                const double first = ms_since(t0);
                for (const auto& t : set) {
                    p.x = t.x, p.y = t.y;
                    t0 = clock_type::now();
                    uncached.tile(p, std::nullopt);
                    ms.push_back(ms_since(t0));
                }
                if (std::string(name) == "heatmap") std::printf("         (first heatmap tile at z%d with the derived scale: %.1f ms)\n", z, first);
            } else {
                for (const auto& t : set) {
                    t0 = clock_type::now();
                    baseline.render(t);
                    ms.push_back(ms_since(t0));
                }
            }
            std::printf("%-8s %4d %6zu  %9.2f %9.2f\n", name, z, set.size(), percentile(ms, 0.5), percentile(ms, 0.99));
            if (std::string(name) == "reports") reports_p50[z] = percentile(ms, 0.5);
            if (std::string(name) == "postgis") baseline_p50[z] = percentile(ms, 0.5);
        }
    }
    std::printf("\nbaseline ratio (postgis plugin p50 / our reports p50):");
    for (int z : {12, 14, 16}) std::printf("  z%d %.1fx", z, baseline_p50[z] / reports_p50[z]);
    std::printf("\n");

    // --- Cached, through HTTP: warm a set of tiles, then wrk cycles through them.
    api::ServiceOptions options;
    options.tile_cache_bytes = cache_mb << 20;
    api::Service service(db, options);
    api::HttpServer server(service, "127.0.0.1:0", 4);
    server.start();
    data::TokenSpec spec;
    spec.role = Role::admin;
    spec.name = "bench-tiles-" + std::to_string(::getpid());
    const auto token = data::create_token(db, spec);
    std::vector<std::string> paths;
    for (const char* layer : {"reports", "heatmap"})
        for (const auto& t : tiles_at[14])
            paths.push_back("/tiles/" + std::string(layer) + "/14/" + std::to_string(t.x) + "/" + std::to_string(t.y) + ".png");
    for (const auto& path : paths) {
        api::Request r;
        r.method = "GET";
        r.path = path;
        r.headers["authorization"] = "Bearer " + token;
        service.handle(r);
    }
    const std::string script = "/tmp/bench_tiles_" + std::to_string(::getpid()) + ".lua";
    {
        std::ofstream lua(script);
        lua << "local paths = {";
        for (const auto& p : paths) lua << '"' << p << "\",";
        lua << "}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n"
               "  return wrk.format(\"GET\", paths[i], {[\"Authorization\"] = \"Bearer "
            << token << "\", [\"Connection\"] = \"keep-alive\"})\nend\n";
    }
    const std::string cmd = "wrk -t2 -c32 -d" + std::to_string(wrk_seconds) + "s -s " + script + " http://127.0.0.1:" +
                            std::to_string(server.port()) + "/ 2>&1";
    std::string out;
    if (FILE* pipe = ::popen(cmd.c_str(), "r")) {
        char buf[512];
        while (std::fgets(buf, sizeof buf, pipe)) out += buf;
        ::pclose(pipe);
    }
    std::remove(script.c_str());
    double rps = 0;
    if (auto pos = out.find("Requests/sec:"); pos != std::string::npos) rps = std::atof(out.c_str() + pos + 13);
    std::printf("\ncached tiles through HTTP (wrk -t2 -c32, %zu distinct z14 tiles, %d s): %.0f tiles/s\n", paths.size(),
                wrk_seconds, rps);
    if (rps == 0) std::printf("%s\n", out.c_str());

    // --- Memory: render distinct tiles past the budget; the cache stays within it.
    const long before_fill = rss_kb("VmRSS:");
    std::size_t rendered = 0;
    for (int z : {15, 16}) {
        for (const auto& t : tiles_with_reports(db, z, 400)) {
            for (const char* layer : {"heatmap", "reports"}) {
                api::Request r;
                r.method = "GET";
                r.path = "/tiles/" + std::string(layer) + "/" + std::to_string(z) + "/" + std::to_string(t.x) + "/" +
                         std::to_string(t.y) + "@2x.png";
                r.headers["authorization"] = "Bearer " + token;
                rendered += service.handle(r).body.size();
            }
        }
    }
    std::string cache_line;
    {
        api::Request r;
        r.method = "GET";
        r.path = "/metrics";
        std::istringstream text(service.handle(r).body);
        std::string line;
        while (std::getline(text, line))
            if (line.rfind("wangge_tile_cache", 0) == 0 || line.rfind("wangge_tiles_total", 0) == 0) cache_line += "  " + line + "\n";
    }
    server.stop();
    data::revoke_token_by_name(db, spec.name);
    std::printf("\ntile cache after the run:\n%s", cache_line.c_str());
    std::printf("\nRSS: %ld MiB at start, %ld MiB before filling the cache, %ld MiB after drawing %.0f MiB of distinct "
                "@2x tiles; peak %ld MiB; cache budget %zu MiB\n",
                rss_start / 1024, before_fill / 1024, rss_kb("VmRSS:") / 1024, static_cast<double>(rendered) / (1 << 20),
                rss_kb("VmHWM:") / 1024, cache_mb);
    return 0;
}
