// Tiles through Service::handle against the demo towns in PostGIS (API.md "Tiles and
// maps"), decoding every PNG with libpng: what the layers draw, seamless heatmap tiles,
// filters, @2x, ETags that follow the data, 304, bad input, TileJSON and static maps.

#include "api/service.hpp"
#include "data/token_store.hpp"
#include "tests/support/test_db.hpp"
#include "tests/tiles/png.hpp"
#include "tiles/mercator.hpp"
#include "tiles/snapshot.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <sstream>
#include <thread>

using namespace wangge;
using nlohmann::json;

namespace {

struct TileXY {
    int z;
    long x, y;
    std::string path(const std::string& layer, const std::string& suffix = ".png") const {
        return "/tiles/" + layer + "/" + std::to_string(z) + "/" + std::to_string(x) + "/" + std::to_string(y) + suffix;
    }
};

// Fractional tile coordinates of a lon/lat at zoom z.
std::pair<double, double> tile_coords(double lon, double lat, int z) {
    const double n = std::ldexp(1.0, z);
    return {(tiles::lon_to_x(lon) + tiles::k_half_world) / (2 * tiles::k_half_world) * n,
            (tiles::k_half_world - tiles::lat_to_y(lat)) / (2 * tiles::k_half_world) * n};
}

TileXY tile_at(double lon, double lat, int z) {
    auto [fx, fy] = tile_coords(lon, lat, z);
    return {z, static_cast<long>(std::floor(fx)), static_cast<long>(std::floor(fy))};
}

class TilesApi : public ::testing::Test {
protected:
    test::TestDatabase& t = test::demo_database();
    api::Service service{t.db(), [] {
                             api::ServiceOptions o;
                             o.render_threads = 2;
                             o.tile_cache_bytes = 64u << 20;
                             return o;
                         }()};
    std::string admin = token(Role::admin);

    std::string token(Role role, std::vector<std::string> towns = {}) {
        data::TokenSpec spec;
        spec.role = role;
        spec.towns = std::move(towns);
        return data::create_token(t.db(), spec);
    }

    api::Response get(const std::string& path, std::map<std::string, std::string> query = {},
                      std::optional<std::string> if_none_match = std::nullopt, std::optional<std::string> bearer = {}) {
        api::Request r;
        r.method = "GET";
        r.path = path;
        r.query = std::move(query);
        r.headers["authorization"] = "Bearer " + bearer.value_or(admin);
        r.headers["host"] = "tiles.example:8080";
        if (if_none_match) r.headers["if-none-match"] = *if_none_match;
        return service.handle(r);
    }

    static std::string header(const api::Response& r, const std::string& name) {
        for (const auto& [k, v] : r.headers)
            if (k == name) return v;
        return {};
    }

    test::DecodedPng png(const api::Response& r) {
        EXPECT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(r.content_type, "image/png");
        return test::decode_png(r.body);
    }

    std::pair<double, double> lonlat(const std::string& sql) {
        std::istringstream in(t.scalar(sql));
        double lon = 0, lat = 0;
        char comma = 0;
        in >> lon >> comma >> lat;
        return {lon, lat};
    }

    // wangge_tiles_total{result=...} from /metrics (-1 when absent).
    long tile_metric(const std::string& result) {
        api::Request m;
        m.method = "GET";
        m.path = "/metrics";
        const auto text = service.handle(m).body;
        const std::string key = "wangge_tiles_total{result=\"" + result + "\"} ";
        const auto at = text.find(key);
        return at == std::string::npos ? -1L : std::stol(text.substr(at + key.size()));
    }

    struct Seam {
        int worst = 0;     // largest channel difference in the band along the shared edges
        int coloured = 0;  // drawn pixels in that band
    };
    // The 2×2 block of tiles from (x0, y0) against one 512 px static map of the same area.
    Seam seam_difference(const std::string& layer, int z, long x0, long y0, const std::map<std::string, std::string>& query) {
        test::DecodedPng mosaic;
        mosaic.width = mosaic.height = 512;
        mosaic.pixels.assign(512u * 512u * 4u, 0);
        for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx) {
                const auto part = png(get(TileXY{z, x0 + dx, y0 + dy}.path(layer), query));
                EXPECT_EQ(part.width, 256);
                if (part.width != 256) return {1000, 0};
                for (int y = 0; y < 256; ++y)
                    std::copy_n(&part.pixels[static_cast<std::size_t>(y) * 256 * 4], 256 * 4,
                                &mosaic.pixels[(static_cast<std::size_t>(dy * 256 + y) * 512 + static_cast<std::size_t>(dx) * 256) * 4]);
            }
        const double n = std::ldexp(1.0, z);
        auto lon_of = [&](double tx) { return tx / n * 360.0 - 180.0; };
        auto lat_of = [&](double ty) { return tiles::y_to_lat(tiles::k_half_world - ty / n * 2 * tiles::k_half_world); };
        std::ostringstream bbox;
        bbox.precision(17);
        bbox << lon_of(static_cast<double>(x0)) << ',' << lat_of(static_cast<double>(y0 + 2)) << ','
             << lon_of(static_cast<double>(x0 + 2)) << ',' << lat_of(static_cast<double>(y0));
        auto whole_query = query;
        whole_query.insert({{"layers", layer}, {"bbox", bbox.str()}, {"width", "512"}, {"height", "512"}});
        const auto whole = png(get("/api/v1/maps/static.png", whole_query));
        EXPECT_EQ(whole.width, 512);
        if (whole.width != 512 || whole.height != 512) return {1000, 0};
        Seam out;
        for (int i = 0; i < 512; ++i)
            for (int k = 253; k <= 258; ++k)
                for (auto [x, y] : {std::pair{k, i}, std::pair{i, k}}) {
                    const auto a = mosaic.at(x, y), b = whole.at(x, y);
                    out.worst = std::max({out.worst, std::abs(a.r - b.r), std::abs(a.g - b.g), std::abs(a.b - b.b),
                                          std::abs(a.a - b.a)});
                    out.coloured += a.a > 0;
                }
        return out;
    }

    static void expect_problem(const api::Response& r, int status) {
        EXPECT_EQ(r.status, status) << r.body;
        EXPECT_EQ(r.content_type, "application/problem+json");
        EXPECT_EQ(json::parse(r.body).at("status"), status);
    }
};

// Pixels of a colour (anti-aliasing tolerated) and dark text pixels.
int count_near(const test::DecodedPng& p, test::Rgba c, int tolerance, int min_alpha) {
    int n = 0;
    for (int y = 0; y < p.height; ++y)
        for (int x = 0; x < p.width; ++x) {
            const auto q = p.at(x, y);
            if (q.a >= min_alpha && std::abs(q.r - c.r) <= tolerance && std::abs(q.g - c.g) <= tolerance &&
                std::abs(q.b - c.b) <= tolerance)
                ++n;
        }
    return n;
}

constexpr test::Rgba k_boundary{31, 95, 191, 255};  // tiles/styles/grids.xml
constexpr test::Rgba k_label{17, 17, 17, 255};

}  // namespace

TEST_F(TilesApi, AGridsTileOverBailongqiaoHasBoundariesAndAChineseLabel) {
    const auto [lon, lat] = lonlat("SELECT ST_X(p) || ',' || ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
                                   "WHERE id = 'bailongqiao-030' AND valid_to IS NULL) g");
    const auto tile = tile_at(lon, lat, 14);
    const auto image = png(get(tile.path("grids")));
    ASSERT_EQ(image.width, 256);
    EXPECT_GT(count_near(image, k_boundary, 40, 150), 100) << "boundary lines";
    const int label_pixels = count_near(image, k_label, 60, 200);
    EXPECT_GT(label_pixels, 30) << "the grid's name in dark text";
    // The same place at z12 is drawn without labels (they start at z13): the dark
    // pixels above were the label, not something else.
    const auto overview = png(get(tile_at(lon, lat, 12).path("grids")));
    EXPECT_GT(count_near(overview, k_boundary, 40, 150), 100);
    EXPECT_EQ(count_near(overview, k_label, 60, 200), 0);
}

TEST_F(TilesApi, HeatmapTilesJoinWithoutSeams) {
    // The busiest report cluster of 白龙桥镇 that lies close to a z15 tile corner, so the
    // density crosses both shared edges of the 2×2 block around that corner.
    const auto rows = t.scalar(
        "SELECT string_agg(x || ',' || y, ';') FROM (SELECT ST_X(a.geom) x, ST_Y(a.geom) y FROM reports a "
        "JOIN reports b ON ST_DWithin(a.geom, b.geom, 0.002) WHERE a.town = 'bailongqiao' "
        "GROUP BY a.id, a.geom ORDER BY count(*) DESC, a.id LIMIT 60) s");
    double best = 1e9, lon = 0, lat = 0;
    std::istringstream in(rows);
    std::string item;
    while (std::getline(in, item, ';')) {
        const auto comma = item.find(',');
        const double plon = std::stod(item.substr(0, comma)), plat = std::stod(item.substr(comma + 1));
        auto [fx, fy] = tile_coords(plon, plat, 15);
        const double off = std::max(std::abs(fx - std::round(fx)), std::abs(fy - std::round(fy)));
        if (off < best) best = off, lon = plon, lat = plat;
    }
    ASSERT_LT(best, 0.5);
    auto [fx, fy] = tile_coords(lon, lat, 15);
    const long x0 = std::lround(fx) - 1, y0 = std::lround(fy) - 1;
    const std::map<std::string, std::string> scale{{"max", "0.01"}, {"town", "bailongqiao"}};
    const auto seam = seam_difference("heatmap", 15, x0, y0, scale);
    EXPECT_GT(seam.coloured, 200) << "the comparison must cross coloured density";
    EXPECT_LE(seam.worst, 2) << "tiles and the 512 px image differ along the shared edges";
}

// Markers are stamped per cell of a 2-pixel grid that every tile of a zoom shares, and a
// marker in a tile's 8 px margin is drawn, cut at the edge, in both tiles: 2×2 tiles
// are the single 512 px image of the same area, at every zoom where markers crowd.
TEST_F(TilesApi, ReportTilesJoinWithoutSeams) {
    const auto [lon, lat] = lonlat("SELECT ST_X(p) || ',' || ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
                                   "WHERE id = 'bailongqiao-040' AND valid_to IS NULL) g");
    for (int z : {13, 14, 15}) {
        auto [fx, fy] = tile_coords(lon, lat, z);
        const auto seam = seam_difference("reports", z, std::lround(fx) - 1, std::lround(fy) - 1, {{"town", "bailongqiao"}});
        EXPECT_GT(seam.coloured, 20) << "z" << z << ": the comparison must cross markers";
        EXPECT_LE(seam.worst, 2) << "z" << z << ": tiles and the 512 px image differ along the shared edges";
    }
}

TEST_F(TilesApi, AFilterChangesTheImage) {
    const auto [lon, lat] = lonlat("SELECT ST_X(geom) || ',' || ST_Y(geom) FROM reports WHERE town = 'chengdong' ORDER BY id LIMIT 1");
    const auto tile = tile_at(lon, lat, 13);
    for (const char* layer : {"reports", "heatmap"}) {
        const auto all = get(tile.path(layer), {{"max", "0.02"}});
        const auto zhifa = get(tile.path(layer), {{"max", "0.02"}, {"platform", "zhifa"}});
        ASSERT_EQ(all.status, 200);
        ASSERT_EQ(zhifa.status, 200);
        EXPECT_NE(test::decode_png(all.body).pixels, test::decode_png(zhifa.body).pixels) << layer;
        EXPECT_NE(header(all, "ETag"), header(zhifa, "ETag")) << layer;
    }
    // A town filter leaves another town's tile empty.
    const auto other = png(get(tile.path("reports"), {{"town", "tashi"}}));
    EXPECT_EQ(count_near(other, {0, 0, 0, 0}, 255, 1), 0) << "nothing drawn";
}

TEST_F(TilesApi, RetinaTilesAre512Pixels) {
    const auto [lon, lat] = lonlat("SELECT ST_X(geom) || ',' || ST_Y(geom) FROM reports WHERE town = 'tashi' ORDER BY id LIMIT 1");
    for (const char* layer : {"grids", "reports", "heatmap", "hotspots"}) {
        const auto image = png(get(tile_at(lon, lat, 14).path(layer, "@2x.png")));
        EXPECT_EQ(image.width, 512) << layer;
        EXPECT_EQ(image.height, 512) << layer;
    }
}

TEST_F(TilesApi, ANewReportChangesItsTilesETagAndNotOneTenKilometresAway) {
    const auto [lon, lat] = lonlat("SELECT ST_X(p) || ',' || ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
                                   "WHERE id = 'bailongqiao-040' AND valid_to IS NULL) g");
    const auto [far_lon, far_lat] = lonlat(
        "SELECT ST_X(p) || ',' || ST_Y(p) FROM (SELECT id, ST_PointOnSurface(geom) p FROM grids WHERE valid_to IS NULL) g, "
        "(SELECT ST_PointOnSurface(geom) q FROM grids WHERE id = 'bailongqiao-040' AND valid_to IS NULL) h "
        "WHERE ST_Distance(p::geography, q::geography) BETWEEN 10000 AND 14000 ORDER BY id LIMIT 1");
    ASSERT_NE(far_lon, 0.0) << "a grid 10–14 km away";
    const auto near_tile = tile_at(lon, lat, 14), far_tile = tile_at(far_lon, far_lat, 14);
    const std::map<std::string, std::string> heat{{"max", "0.01"}};
    auto etag = [&](const TileXY& tile, const char* layer, const std::map<std::string, std::string>& q) {
        const auto r = get(tile.path(layer), q);
        EXPECT_EQ(r.status, 200) << r.body;
        return header(r, "ETag");
    };
    const auto near_reports = etag(near_tile, "reports", {}), far_reports = etag(far_tile, "reports", {});
    const auto near_heat = etag(near_tile, "heatmap", heat), far_heat = etag(far_tile, "heatmap", heat);

    // Written straight into the table, as any writer (API, CLI, psql) would.
    std::ostringstream sql;
    sql.precision(12);
    sql << "INSERT INTO reports (town, client_id, category, platform, source, geom, input_lon, input_lat, grid, "
           "grid_version, assign_method, status, reported_at) VALUES ('bailongqiao', 'tiles-test-etag', 'shehui_zhian', "
           "'zongzhi', 'app', ST_SetSRID(ST_MakePoint("
        << lon << ',' << lat << "), 4490), " << lon << ',' << lat
        << ", 'bailongqiao-040', 1, 'contains', 'reported', now()) RETURNING id";
    const auto id = t.scalar(sql.str());
    ASSERT_FALSE(id.empty());

    EXPECT_NE(etag(near_tile, "reports", {}), near_reports);
    EXPECT_EQ(etag(far_tile, "reports", {}), far_reports);
    EXPECT_NE(etag(near_tile, "heatmap", heat), near_heat);
    EXPECT_EQ(etag(far_tile, "heatmap", heat), far_heat);

    t.scalar("DELETE FROM reports WHERE town = 'bailongqiao' AND id = " + id);
    EXPECT_EQ(etag(near_tile, "reports", {}), near_reports) << "the picture is the one before the insert: so is its name";
    EXPECT_NE(etag(near_tile, "heatmap", heat), near_heat) << "a delete is a change too (a new version)";
    EXPECT_EQ(etag(far_tile, "reports", {}), far_reports);
}

// A reports tile is named by the marker cells it shows (tiles/markers.hpp), a grids tile
// by the outlines it draws: a report that changes no pixel leaves both as they were, and
// the cached bytes are served without drawing again.
TEST_F(TilesApi, AReportThatChangesNoPixelLeavesItsTilesAsTheyWere) {
    const auto [lon, lat] = lonlat("SELECT ST_X(p) || ',' || ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
                                   "WHERE id = 'bailongqiao-012' AND valid_to IS NULL) g");
    const auto reports_tile = tile_at(lon, lat, 12), grids_tile = tile_at(lon, lat, 14);
    // Only this test's reports (dated 2099), so what the tile shows is known.
    const std::map<std::string, std::string> only_ours{{"from", "2099-01-01"}};
    auto fetch = [&](const TileXY& tile, const char* layer) {
        const auto r = get(tile.path(layer), only_ours);
        EXPECT_EQ(r.status, 200) << r.body;
        return r;
    };
    auto insert = [&](const std::string& client_id) {
        std::ostringstream sql;
        sql.precision(12);
        sql << "INSERT INTO reports (town, client_id, category, platform, source, geom, input_lon, input_lat, grid, "
               "grid_version, assign_method, status, reported_at, due_at) VALUES ('bailongqiao', '"
            << client_id << "', 'shehui_zhian', 'zongzhi', 'app', ST_SetSRID(ST_MakePoint(" << lon << ',' << lat
            << "), 4490), " << lon << ',' << lat
            << ", 'bailongqiao-012', 1, 'contains', 'reported', '2099-01-01T08:00:00+08', '2099-02-01T08:00:00+08') RETURNING id";
        return t.scalar(sql.str());
    };
    const auto grids_before = fetch(grids_tile, "grids");
    const auto heat_before = header(fetch(reports_tile, "heatmap"), "ETag");

    const auto first = insert("tiles-test-same-cell-1");
    const auto with_one = fetch(reports_tile, "reports");
    const auto rendered = tile_metric("rendered");
    const auto unchanged = tile_metric("unchanged_picture");

    const auto second = insert("tiles-test-same-cell-2");  // the same place, platform and state
    const auto with_two = fetch(reports_tile, "reports");
    EXPECT_EQ(header(with_two, "ETag"), header(with_one, "ETag")) << "the same cells: the same picture";
    EXPECT_EQ(with_two.body, with_one.body);
    EXPECT_EQ(tile_metric("rendered"), rendered) << "served from the cache, not drawn again";
    EXPECT_EQ(tile_metric("unchanged_picture"), unchanged + 1);
    EXPECT_NE(header(fetch(reports_tile, "heatmap"), "ETag"), heat_before) << "the density did change";
    const auto grids_after = fetch(grids_tile, "grids");
    EXPECT_EQ(header(grids_after, "ETag"), header(grids_before, "ETag")) << "reports do not change outlines";
    EXPECT_EQ(grids_after.body, grids_before.body);
    EXPECT_EQ(get(reports_tile.path("reports"), only_ours, header(with_one, "ETag")).status, 304);

    // Closed, they are another look: the picture changes.
    t.scalar("UPDATE reports SET status = 'closed', closed_at = now() WHERE town = 'bailongqiao' AND id IN (" + first +
             ", " + second + ") RETURNING 1");
    EXPECT_NE(header(fetch(reports_tile, "reports"), "ETag"), header(with_one, "ETag"));
    t.scalar("DELETE FROM reports WHERE town = 'bailongqiao' AND id IN (" + first + ", " + second + ") RETURNING 1");
}

TEST_F(TilesApi, IfNoneMatchGives304) {
    const auto path = TileXY{12, 3408, 1701}.path("grids");
    const auto first = get(path);
    ASSERT_EQ(first.status, 200);
    const auto tag = header(first, "ETag");
    ASSERT_EQ(tag.size(), 18u) << "a quoted strong ETag";
    EXPECT_EQ(header(first, "Cache-Control"), "private, no-cache");
    const auto again = get(path, {}, tag);
    EXPECT_EQ(again.status, 304);
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(header(again, "ETag"), tag);
    EXPECT_EQ(get(path, {}, "\"other\", W/" + tag).status, 304);
    EXPECT_EQ(get(path, {}, "\"other\"").status, 200) << "from the cache";
    const auto cached = get(path);
    EXPECT_EQ(cached.body, first.body) << "served from the cache, same bytes";
    api::Request metrics;
    metrics.method = "GET";
    metrics.path = "/metrics";
    const auto text = service.handle(metrics).body;
    EXPECT_NE(text.find("wangge_tiles_total{result=\"cached\"} 2"), std::string::npos) << text;
    EXPECT_NE(text.find("wangge_tiles_total{result=\"not_modified\"} 2"), std::string::npos) << text;
}

TEST_F(TilesApi, BadTileRequestsAre400Or404) {
    for (const char* path : {"/tiles/grids/23/0/0.png", "/tiles/grids/14/16384/0.png", "/tiles/grids/14/0/16384.png",
                             "/tiles/grids/1a/0/0.png", "/tiles/grids/14/-1/0.png", "/tiles/grids/14/1.5/0.png",
                             "/tiles/grids/99999999999999999999/0/0.png", "/tiles/grids/0/1/0.png",
                             "/tiles/grids/14/0/abc@2x.png"})
        expect_problem(get(path), 400);
    expect_problem(get("/tiles/roads/1/0/0.png"), 404);
    expect_problem(get("/tiles/roads.json"), 404);
    expect_problem(get("/tiles/grids/1/0/0.jpg"), 404);
    expect_problem(get("/tiles/grids/1/0/0.png", {{"status", "lost"}}), 400);
    expect_problem(get("/tiles/grids/1/0/0.png", {{"max", "-1"}}), 400);
    expect_problem(get("/tiles/grids/1/0/0.png", {{"zoom", "1"}}), 400);
    expect_problem(get("/api/v1/maps/static.png", {{"width", "5000"}}), 400);
    expect_problem(get("/api/v1/maps/static.png", {{"height", "0"}}), 400);
    expect_problem(get("/api/v1/maps/static.png", {{"format", "gif"}}), 400);
    expect_problem(get("/api/v1/maps/static.png", {{"layers", "grids,roads"}}), 400);
    expect_problem(get("/api/v1/maps/static.png", {{"bbox", "120,29,119,30"}}), 400);
}

TEST_F(TilesApi, TokensInTheQueryAndTownScopes) {
    api::Request r;
    r.method = "GET";
    r.path = "/tiles/grids/12/3408/1701.png";
    r.query = {{"access_token", admin}};
    EXPECT_EQ(service.handle(r).status, 200) << "map clients may pass ?access_token=";
    r.query = {{"access_token", "wg_0000000000000000000000000000000000000000"}};
    expect_problem(service.handle(r), 401);
    r.path = "/tiles/grids.json";
    r.query = {{"access_token", admin}};
    EXPECT_EQ(service.handle(r).status, 200);
    r.path = "/api/v1/towns";
    expect_problem(service.handle(r), 400);  // not a parameter of the rest of the API

    const auto tashi = token(Role::grid_worker, {"tashi"});
    expect_problem(get("/tiles/reports/12/3408/1701.png", {{"town", "bailongqiao"}}, {}, tashi), 403);
    const auto own = png(get("/tiles/reports/12/3408/1701.png", {}, {}, tashi));
    EXPECT_EQ(count_near(own, {0, 0, 0, 0}, 255, 1), 0) << "白龙桥镇's reports are not drawn for a 塔石乡 token";
}

TEST_F(TilesApi, TileJsonDescribesTheLayerWithAbsoluteFilteredUrls) {
    const auto r = get("/tiles/heatmap.json", {{"town", "jiangtang"}, {"platform", "zhifa"}});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto doc = json::parse(r.body);
    EXPECT_EQ(doc.at("tilejson"), "3.0.0");
    ASSERT_EQ(doc.at("tiles").size(), 1u);
    const std::string url = doc.at("tiles")[0];
    EXPECT_EQ(url.rfind("http://tiles.example:8080/tiles/heatmap/{z}/{x}/{y}.png?", 0), 0u) << url;
    EXPECT_NE(url.find("town=jiangtang"), std::string::npos) << url;
    EXPECT_NE(url.find("platform=zhifa"), std::string::npos) << url;
    EXPECT_LE(doc.at("minzoom").get<int>(), doc.at("maxzoom").get<int>());
    EXPECT_EQ(doc.at("maxzoom"), 22);
    const auto b = doc.at("bounds");
    ASSERT_EQ(b.size(), 4u);
    EXPECT_LT(b[0].get<double>(), b[2].get<double>());
    EXPECT_LT(b[1].get<double>(), b[3].get<double>());
    EXPECT_NEAR(b[0].get<double>(), 119.45, 0.1);
    EXPECT_NEAR(b[1].get<double>(), 29.12, 0.1);
    const auto c = doc.at("center");
    ASSERT_EQ(c.size(), 3u);
    EXPECT_GT(c[0].get<double>(), b[0].get<double>());
    EXPECT_LT(c[0].get<double>(), b[2].get<double>());
}

TEST_F(TilesApi, StaticMapsInPngPdfAndSvg) {
    const std::map<std::string, std::string> base{{"town", "chengdong"}, {"layers", "hotspots,heatmap,grids,reports"},
                                                  {"width", "800"}, {"height", "600"}};
    const auto image = png(get("/api/v1/maps/static.png", base));
    EXPECT_EQ(image.width, 800);
    EXPECT_EQ(image.height, 600);
    EXPECT_GT(count_near(image, k_boundary, 40, 150), 100);
    auto with = [&](const char* format) {
        auto q = base;
        q["format"] = format;
        return get("/api/v1/maps/static.png", q);
    };
    const auto pdf = with("pdf");
    ASSERT_EQ(pdf.status, 200) << pdf.body;
    EXPECT_EQ(pdf.content_type, "application/pdf");
    EXPECT_EQ(pdf.body.substr(0, 5), "%PDF-");
    const auto svg = with("svg");
    ASSERT_EQ(svg.status, 200) << svg.body;
    EXPECT_EQ(svg.content_type, "image/svg+xml");
    EXPECT_NE(svg.body.find("<svg"), std::string::npos);
}

TEST_F(TilesApi, HotspotTilesColourGridsByGiStarBin) {
    // At z11 one tile holds most of 白龙桥镇: some grid of the clustered demo data is in a
    // significant bin (tiles/styles/hotspots.xml colours), and the outlines are drawn.
    const auto [lon, lat] = lonlat("SELECT ST_X(p) || ',' || ST_Y(p) FROM (SELECT ST_Centroid(geom) p FROM towns "
                                   "WHERE town = 'bailongqiao') g");
    const auto image = png(get(tile_at(lon, lat, 11).path("hotspots"), {{"town", "bailongqiao"}}));
    int significant = 0;
    for (test::Rgba bin : {test::Rgba{214, 47, 39, 255}, {237, 117, 81, 255}, {250, 185, 132, 255}, {192, 204, 190, 255},
                           {132, 158, 186, 255}, {69, 117, 181, 255}})
        significant += count_near(image, bin, 3, 150);
    EXPECT_GT(significant, 20) << "the demo data has clusters, so some grid is in a Gi* bin";
    EXPECT_GT(count_near(image, {102, 102, 102, 255}, 6, 150), 50) << "grid outlines";
}

// The snapshot follows writes report by report (tiles/snapshot.cpp refresh): after
// inserts, a move to another grid, a delete and a redrawn outline, every tile of a
// long-running service is byte for byte the tile of a service that loaded everything
// afresh.
TEST_F(TilesApi, AfterManyWritesEveryTileEqualsTheTileOfAFreshLoad) {
    const auto [lon, lat] = lonlat("SELECT ST_X(p) || ',' || ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
                                   "WHERE id = 'bailongqiao-040' AND valid_to IS NULL) g");
    const auto [lon2, lat2] = lonlat("SELECT ST_X(p) || ',' || ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
                                     "WHERE id = 'bailongqiao-041' AND valid_to IS NULL) g");
    std::vector<TileXY> tiles;
    for (int z : {13, 14, 15}) tiles.push_back(tile_at(lon, lat, z)), tiles.push_back(tile_at(lon2, lat2, z));
    // The heatmap with a fixed scale and with the derived one, and Gi* hotspots: their
    // memos (scale top per filter and zoom, counts per grid) follow the writes too.
    const std::map<std::string, std::string> none, heat{{"max", "0.01"}}, town{{"town", "bailongqiao"}};
    const std::vector<std::pair<std::string, std::map<std::string, std::string>>> layers{
        {"reports", none}, {"grids", none}, {"heatmap", heat}, {"heatmap", none}, {"heatmap", town}, {"hotspots", town}};
    for (const auto& tile : tiles)
        for (const auto& [layer, q] : layers) get(tile.path(layer), q);  // loaded before the writes

    auto point = [](double x, double y) {
        std::ostringstream s;
        s.precision(12);
        s << "ST_SetSRID(ST_MakePoint(" << x << ',' << y << "), 4490)";
        return s.str();
    };
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(t.scalar(
            "INSERT INTO reports (town, client_id, category, platform, source, geom, input_lon, input_lat, grid, grid_version, "
            "assign_method, status, reported_at) VALUES ('bailongqiao', 'tiles-fresh-" + std::to_string(i) +
            "', 'shehui_zhian', 'zongzhi', 'app', " + point(lon + i * 1e-5, lat) + ", 0, 0, 'bailongqiao-040', 1, 'contains', "
            "'reported', now()) RETURNING id"));
        get(tiles[0].path("reports"));  // a check between the writes
        get(tiles[i % 2].path("heatmap"), town);
        get(tiles[3].path("hotspots"), town);
    }
    t.scalar("UPDATE reports SET grid = 'bailongqiao-041', geom = " + point(lon2, lat2) +
             " WHERE town = 'bailongqiao' AND id = " + ids[1] + " RETURNING id");
    get(tiles[1].path("reports"));
    t.scalar("UPDATE reports SET status = 'closed' WHERE town = 'bailongqiao' AND id = " + ids[2] + " RETURNING id");
    t.scalar("DELETE FROM reports WHERE town = 'bailongqiao' AND id = " + ids[3] + " RETURNING id");
    const auto outline = t.scalar("SELECT ST_AsHEXEWKB(geom) FROM grids WHERE id = 'bailongqiao-041' AND valid_to IS NULL");
    t.scalar("UPDATE grids SET geom = ST_Buffer(geom, -0.0003) WHERE id = 'bailongqiao-041' AND valid_to IS NULL RETURNING id");

    api::Service fresh{t.db(), [] {
                           api::ServiceOptions o;
                           o.render_threads = 1;
                           return o;
                       }()};
    for (const auto& tile : tiles)
        for (const auto& [layer, q] : layers) {
            const auto mine = get(tile.path(layer), q);
            api::Request r;
            r.method = "GET";
            r.path = tile.path(layer);
            r.query = q;
            r.headers["authorization"] = "Bearer " + admin;
            const auto theirs = fresh.handle(r);
            ASSERT_EQ(mine.status, 200) << mine.body;
            ASSERT_EQ(theirs.status, 200) << theirs.body;
            EXPECT_EQ(header(mine, "ETag"), header(theirs, "ETag")) << tile.path(layer) << ' ' << q.size();
            EXPECT_TRUE(mine.body == theirs.body) << tile.path(layer) << ' ' << q.size();
        }
    t.scalar("DELETE FROM reports WHERE client_id LIKE 'tiles-fresh-%' RETURNING 1");
    t.scalar("UPDATE grids SET geom = '" + outline + "'::geometry WHERE id = 'bailongqiao-041' AND valid_to IS NULL RETURNING id");
}

// A grids tile is named by the outlines it draws, not by their rows' xmin: VACUUM FREEZE
// makes every row read xmin 2, so two versions of an outline, each frozen, would share a
// name, and a client (or the cache) holding the first would be told it is current.
TEST_F(TilesApi, AGridsTileIsNamedByItsOutlinesNotByTheirRows) {
    const auto [lon, lat] = lonlat("SELECT ST_X(p) || ',' || ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
                                   "WHERE id = 'bailongqiao-033' AND valid_to IS NULL) g");
    const auto tile = tile_at(lon, lat, 15);
    const auto outline = t.scalar("SELECT ST_AsHEXEWKB(geom) FROM grids WHERE id = 'bailongqiao-033' AND valid_to IS NULL");
    // A report write in the grid makes the snapshot look at the grid's row again.
    int writes = 0;
    auto touch = [&] {
        std::ostringstream sql;
        sql.precision(12);
        sql << "INSERT INTO reports (town, client_id, category, platform, source, geom, input_lon, input_lat, grid, "
               "grid_version, assign_method, status, reported_at) VALUES ('bailongqiao', 'tiles-frozen-"
            << ++writes << "', 'shehui_zhian', 'zongzhi', 'app', ST_SetSRID(ST_MakePoint(" << lon << ',' << lat
            << "), 4490), " << lon << ',' << lat << ", 'bailongqiao-033', 1, 'contains', 'reported', now()) RETURNING id";
        t.scalar(sql.str());
    };
    auto grids_tile = [&] {
        const auto r = get(tile.path("grids"));
        EXPECT_EQ(r.status, 200) << r.body;
        return r;
    };
    t.scalar("VACUUM (FREEZE) grids");
    touch();
    const auto first = grids_tile();
    t.scalar("VACUUM (FREEZE) grids");  // nothing drawn changes: neither does the name
    touch();
    EXPECT_EQ(header(grids_tile(), "ETag"), header(first, "ETag"));

    t.scalar("UPDATE grids SET geom = ST_Buffer(geom, -0.0003) WHERE id = 'bailongqiao-033' AND valid_to IS NULL RETURNING id");
    touch();
    const auto shrunk = grids_tile();
    EXPECT_NE(header(shrunk, "ETag"), header(first, "ETag"));
    EXPECT_NE(shrunk.body, first.body);
    t.scalar("VACUUM (FREEZE) grids");
    touch();
    const auto shrunk_frozen = grids_tile();
    EXPECT_EQ(header(shrunk_frozen, "ETag"), header(shrunk, "ETag"));
    EXPECT_NE(header(shrunk_frozen, "ETag"), header(first, "ETag")) << "both frozen, still two pictures";
    EXPECT_EQ(get(tile.path("grids"), {}, header(first, "ETag")).status, 200) << "the old picture is not current";

    t.scalar("UPDATE grids SET geom = '" + outline + "'::geometry WHERE id = 'bailongqiao-033' AND valid_to IS NULL RETURNING id");
    touch();
    EXPECT_EQ(header(grids_tile(), "ETag"), header(first, "ETag")) << "the same outline again: the same name";
    t.scalar("DELETE FROM reports WHERE client_id LIKE 'tiles-frozen-%' RETURNING 1");
}

// report_changes is pruned (migration 0011): a tile snapshot whose late-commit window
// (1,024 ids) reaches below what was deleted reloads everything instead of missing a
// change, and then holds what a fresh load holds.
TEST(TileSnapshot, ReloadsWhenTheChangesItWouldReadWerePruned) {
    auto& t = test::demo_database();
    tiles::SnapshotStore store(t.db());
    const auto first = store.current();
    const auto loads = store.stats().full_loads;
    t.scalar("WITH touched AS (UPDATE reports SET description = description WHERE town = 'chengdong' RETURNING 1) "
             "SELECT count(*) FROM touched");
    ASSERT_GT(std::stol(t.scalar("SELECT prune_report_changes('0 s', 10, 1000000)")), 0);
    const auto after = store.current();
    EXPECT_EQ(store.stats().full_loads, loads + 1);
    tiles::SnapshotStore fresh(t.db());
    const auto theirs = fresh.current();
    ASSERT_EQ(after->buckets.size(), theirs->buckets.size());
    for (const auto& [key, bucket] : theirs->buckets) {
        const auto it = after->buckets.find(key);
        ASSERT_NE(it, after->buckets.end());
        EXPECT_EQ(it->second->version, bucket->version);
        ASSERT_EQ(it->second->points.size(), bucket->points.size());
    }
    (void)first;
}

// Single flight: clients that open a map all ask for the same new tile at once; it is
// drawn once, and every one of them gets those bytes.
TEST_F(TilesApi, ConcurrentRequestsForOneUncachedTileDrawItOnce) {
    const auto path = TileXY{12, 3408, 1701}.path("heatmap", "@2x.png");
    const std::map<std::string, std::string> query{{"radius", "40"}};
    const auto rendered = tile_metric("rendered");
    std::vector<std::thread> clients;
    std::vector<api::Response> answers(8);
    for (std::size_t i = 0; i < answers.size(); ++i) clients.emplace_back([&, i] { answers[i] = get(path, query); });
    for (auto& c : clients) c.join();
    for (const auto& a : answers) {
        EXPECT_EQ(a.status, 200) << a.body;
        EXPECT_EQ(a.body, answers[0].body);
        EXPECT_EQ(header(a, "ETag"), header(answers[0], "ETag"));
    }
    EXPECT_EQ(tile_metric("rendered"), rendered + 1) << "joined the drawing or found it cached, never drew it again";
}
