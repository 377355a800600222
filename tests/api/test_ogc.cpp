// OGC API – Features under /ogc, against the demo towns in the
// real PostGIS: through Service::handle, and through real sockets with GDAL's own
// ogrinfo and ogr2ogr as the client.

#include "api/server.hpp"
#include "api/service.hpp"
#include "data/token_store.hpp"
#include "geo/ogr_io.hpp"
#include "tests/support/test_db.hpp"

#include "tests/support/api_fixture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include <unistd.h>

using namespace wangge;
using nlohmann::json;

namespace {

constexpr int k_demo_grids = 212;

class OgcTest : public test::ApiFixture {
protected:

    api::Response get(const std::string& path, const std::string& bearer, std::map<std::string, std::string> query = {}) {
        api::Request r;
        r.method = "GET";
        r.path = path;
        r.query = std::move(query);
        r.headers["host"] = "gis.example.cn:8443";
        if (!bearer.empty()) r.headers["authorization"] = "Bearer " + bearer;
        return service.handle(r);
    }

    // A link's href split into path and decoded query, as the Pistache front would hand it over.
    api::Response follow(const std::string& href, const std::string& bearer) {
        const std::string origin = "http://gis.example.cn:8443";
        EXPECT_EQ(href.compare(0, origin.size(), origin), 0) << "absolute, from the Host header: " << href;
        const auto rest = href.substr(origin.size());
        const auto q = rest.find('?');
        return get(rest.substr(0, q), bearer, q == std::string::npos ? std::map<std::string, std::string>{}
                                                                     : api::parse_query(rest.substr(q + 1)));
    }

    static std::optional<std::string> link(const json& doc, const std::string& rel) {
        for (const auto& l : doc.at("links"))
            if (l.at("rel") == rel) return l.at("href").get<std::string>();
        return std::nullopt;
    }

    static void expect_problem(const api::Response& r, int status) {
        EXPECT_EQ(r.status, status) << r.body;
        EXPECT_EQ(r.content_type, "application/problem+json");
    }
};

}  // namespace

TEST_F(OgcTest, LandingPageLinksToTheApiConformanceAndData) {
    const auto r = get("/ogc", token(Role::leader));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    const auto doc = json::parse(r.body);
    EXPECT_EQ(link(doc, "self"), "http://gis.example.cn:8443/ogc");
    EXPECT_EQ(link(doc, "service-desc"), "http://gis.example.cn:8443/api");
    EXPECT_EQ(link(doc, "conformance"), "http://gis.example.cn:8443/ogc/conformance");
    EXPECT_EQ(link(doc, "data"), "http://gis.example.cn:8443/ogc/collections");
    for (const auto& l : doc.at("links")) {
        if (l.at("rel") == "service-desc") {
            EXPECT_EQ(l.at("type"), "application/vnd.oai.openapi+json;version=3.0");
        }
    }
}

TEST_F(OgcTest, ConformanceDeclaresCoreGeoJsonAndOpenApi) {
    const auto doc = json::parse(get("/ogc/conformance", token(Role::leader)).body);
    std::set<std::string> classes(doc.at("conformsTo").begin(), doc.at("conformsTo").end());
    for (const char* c : {"core", "geojson", "oas30"})
        EXPECT_TRUE(classes.count(std::string("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/") + c)) << c;
}

TEST_F(OgcTest, CollectionsHaveExtentsCrsAndItemLinks) {
    const auto r = get("/ogc/collections", token(Role::leader));
    ASSERT_EQ(r.status, 200) << r.body;
    const auto doc = json::parse(r.body);
    ASSERT_EQ(doc.at("collections").size(), 2u);
    for (const auto& c : doc.at("collections")) {
        const auto id = c.at("id").get<std::string>();
        EXPECT_TRUE(id == "grids" || id == "reports") << id;
        EXPECT_EQ(link(c, "items"), "http://gis.example.cn:8443/ogc/collections/" + id + "/items");
        EXPECT_EQ(c.at("crs")[0], "http://www.opengis.net/def/crs/OGC/1.3/CRS84");
        const auto bbox = c.at("extent").at("spatial").at("bbox")[0];
        ASSERT_EQ(bbox.size(), 4u);
        EXPECT_GT(bbox[0].get<double>(), 119.0);
        EXPECT_LT(bbox[2].get<double>(), 120.0);
        const auto interval = c.at("extent").at("temporal").at("interval")[0];
        EXPECT_TRUE(interval[0].is_string());
        EXPECT_EQ(interval[1].is_null(), id == "grids") << "grids stay valid until redrawn";
    }
    const auto one = get("/ogc/collections/grids", token(Role::leader));
    ASSERT_EQ(one.status, 200);
    EXPECT_EQ(json::parse(one.body).at("id"), "grids");
}

TEST_F(OgcTest, PagingThroughNextLinksVisitsEveryGridOnce) {
    const auto bearer = token(Role::leader);
    auto r = get("/ogc/collections/grids/items", bearer, {{"limit", "50"}});
    std::set<std::string> ids;
    int pages = 0;
    while (true) {
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(r.content_type, "application/geo+json");
        const auto doc = json::parse(r.body);
        EXPECT_EQ(doc.at("type"), "FeatureCollection");
        EXPECT_EQ(doc.at("numberMatched"), k_demo_grids);
        EXPECT_EQ(doc.at("numberReturned"), doc.at("features").size());
        EXPECT_TRUE(doc.at("timeStamp").is_string());
        for (const auto& f : doc.at("features")) {
            EXPECT_TRUE(ids.insert(f.at("id").get<std::string>()).second) << "twice: " << f.at("id");
            EXPECT_EQ(f.at("geometry").at("type"), "Polygon");
            EXPECT_FALSE(f.at("properties").contains("id")) << "the id is the Feature's, not a property";
            EXPECT_TRUE(f.at("properties").at("name").is_string());
            EXPECT_FALSE(f.at("properties").contains("leader_phone")) << "no phone numbers here";
        }
        ++pages;
        auto next = link(doc, "next");
        if (!next) break;
        r = follow(*next, bearer);
    }
    EXPECT_EQ(pages, 5);  // 50 + 50 + 50 + 50 + 12
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(k_demo_grids));

    // The default page is 10; a limit above the maximum is the maximum (OGC 1.0 §7.15.4).
    EXPECT_EQ(json::parse(get("/ogc/collections/grids/items", bearer).body).at("numberReturned"), 10);
    EXPECT_EQ(json::parse(get("/ogc/collections/grids/items", bearer, {{"limit", "50000"}}).body).at("numberReturned"),
              k_demo_grids);
}

TEST_F(OgcTest, ATownTokenSeesItsTownsFeaturesOnly) {
    const auto doc = json::parse(get("/ogc/collections/grids/items", token(Role::grid_worker, {"tashi"}), {{"limit", "100"}}).body);
    EXPECT_EQ(doc.at("numberMatched"), 41);
    for (const auto& f : doc.at("features")) EXPECT_EQ(f.at("properties").at("town"), "tashi");
    expect_problem(get("/ogc/collections/grids/items/bailongqiao-001", token(Role::grid_worker, {"tashi"})), 404);
}

TEST_F(OgcTest, BboxSelectsTheGridsThatIntersectIt) {
    const auto bearer = token(Role::leader);
    const auto all = json::parse(get("/ogc/collections/grids/items", bearer, {{"limit", "1000"}}).body);
    // The box of one grid, in the 17 significant digits GDAL sends.
    const auto& ring = all.at("features")[0].at("geometry").at("coordinates")[0];
    double w = 180, s = 90, e = -180, n = -90;
    for (const auto& p : ring) {
        w = std::min(w, p[0].get<double>()), e = std::max(e, p[0].get<double>());
        s = std::min(s, p[1].get<double>()), n = std::max(n, p[1].get<double>());
    }
    char bbox[200];
    std::snprintf(bbox, sizeof bbox, "%.17g,%.17g,%.17g,%.17g", w, s, e, n);
    const auto doc = json::parse(get("/ogc/collections/grids/items", bearer, {{"bbox", bbox}, {"limit", "1000"}}).body);
    const auto matched = doc.at("numberMatched").get<int>();
    EXPECT_GE(matched, 2) << "the grid and at least one neighbour touching it";
    EXPECT_LT(matched, 15);
    std::set<std::string> ids;
    for (const auto& f : doc.at("features")) ids.insert(f.at("id"));
    EXPECT_TRUE(ids.count(all.at("features")[0].at("id").get<std::string>()));

    const auto nowhere = json::parse(get("/ogc/collections/grids/items", bearer, {{"bbox", "0,0,1,1"}}).body);
    EXPECT_EQ(nowhere.at("numberMatched"), 0);
    EXPECT_EQ(nowhere.at("features").size(), 0u);
    EXPECT_FALSE(link(nowhere, "next"));

    const auto reports = json::parse(get("/ogc/collections/reports/items", bearer, {{"bbox", bbox}}).body);
    const auto all_reports = json::parse(get("/ogc/collections/reports/items", bearer).body);
    EXPECT_LT(reports.at("numberMatched").get<int>(), all_reports.at("numberMatched").get<int>());
}

TEST_F(OgcTest, DatetimeSelectsGridVersionsAndReportTimes) {
    const auto bearer = token(Role::leader);
    // Before the grids existed there were none; at an instant after, all 212 (as ?at=).
    const auto before = json::parse(get("/ogc/collections/grids/items", bearer, {{"datetime", "2000-01-01T00:00:00Z"}}).body);
    EXPECT_EQ(before.at("numberMatched"), 0);
    const auto after = json::parse(get("/ogc/collections/grids/items", bearer, {{"datetime", "2099-01-01T00:00:00Z"}}).body);
    EXPECT_EQ(after.at("numberMatched"), k_demo_grids);
    // An interval matches every version valid at some time in it: the retired ones too, when
    // another test of this process redrew a grid first.
    const auto open = json::parse(get("/ogc/collections/grids/items", bearer, {{"datetime", "../2099-01-01T00:00:00+08:00"}}).body);
    EXPECT_EQ(std::to_string(open.at("numberMatched").get<int>()), t.scalar("SELECT count(*) FROM grids"));

    const auto all = json::parse(get("/ogc/collections/reports/items", bearer).body).at("numberMatched").get<int>();
    EXPECT_EQ(std::to_string(all), t.scalar("SELECT count(*) FROM reports"));
    const auto extent = json::parse(get("/ogc/collections/reports", bearer).body).at("extent").at("temporal").at("interval")[0];
    const auto first = extent[0].get<std::string>(), last = extent[1].get<std::string>();
    auto count = [&](const std::string& dt) {
        return json::parse(get("/ogc/collections/reports/items", bearer, {{"datetime", dt}}).body).at("numberMatched").get<int>();
    };
    EXPECT_EQ(count(first + "/" + last), all) << "the extent covers every report";
    EXPECT_EQ(count(first + "/.."), all);
    EXPECT_GE(count(first), 1) << "an instant matches the reports of that second";
    const auto a = count("../2026-06-01T00:00:00+08:00"), b = count("2026-06-01T00:00:00+08:00/..");
    EXPECT_GE(a + b, all);  // a report at exactly that instant counts in both
    EXPECT_LE(a + b, all + count("2026-06-01T00:00:00+08:00"));
}

TEST_F(OgcTest, SingleFeaturesAndUnknownOnes) {
    const auto bearer = token(Role::leader);
    const auto grid = get("/ogc/collections/grids/items/tashi-001", bearer);
    ASSERT_EQ(grid.status, 200) << grid.body;
    EXPECT_EQ(grid.content_type, "application/geo+json");
    const auto g = json::parse(grid.body);
    EXPECT_EQ(g.at("id"), "tashi-001");
    EXPECT_EQ(g.at("properties").at("town"), "tashi");
    EXPECT_EQ(link(g, "self"), "http://gis.example.cn:8443/ogc/collections/grids/items/tashi-001");

    const auto page = json::parse(get("/ogc/collections/reports/items", bearer, {{"limit", "1"}}).body);
    const auto report_id = page.at("features")[0].at("id");
    ASSERT_TRUE(report_id.is_number_integer());
    const auto report = get("/ogc/collections/reports/items/" + std::to_string(report_id.get<long long>()), bearer);
    ASSERT_EQ(report.status, 200) << report.body;
    EXPECT_EQ(json::parse(report.body).at("geometry").at("type"), "Point");

    expect_problem(get("/ogc/collections/grids/items/no-such-grid", bearer), 404);
    expect_problem(get("/ogc/collections/reports/items/99999999", bearer), 404);
    expect_problem(get("/ogc/collections/reports/items/abc", bearer), 404);
    expect_problem(get("/ogc/collections/roads", bearer), 404);
    expect_problem(get("/ogc/collections/roads/items", bearer), 404);
    expect_problem(get("/ogc/collections/roads/items/1", bearer), 404);
}

TEST_F(OgcTest, BadParametersAre400AndNoTokenIs401) {
    const auto bearer = token(Role::leader);
    const std::string items = "/ogc/collections/grids/items";
    for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"limit", "0"}, {"limit", "ten"}, {"limit", "-5"}, {"offset", "-1"}, {"offset", "1.5"},
             {"bbox", "1,2,3"}, {"bbox", "1,2,3,x"}, {"bbox", "3,2,1,4"}, {"bbox", "0,0,0,200"},
             {"bbox", "1,2,0,3,4,5"}, {"bbox-crs", "EPSG:3857"}, {"datetime", "yesterday"},
             {"datetime", "2026-06-01T00:00:00Z/2026-01-01T00:00:00Z"}, {"datetime", "a/b/c"}, {"datetime", ".."},
             {"f", "html"}, {"colour", "red"}}) {
        SCOPED_TRACE(key + "=" + value);
        const auto r = get(items, bearer, {{key, value}});
        expect_problem(r, 400);
    }
    expect_problem(get("/ogc", bearer, {{"f", "xml"}}), 400);
    expect_problem(get("/ogc", ""), 401);
    expect_problem(get(items, ""), 401);
}

// ---- GDAL's OAPIF driver against the real server ----

namespace {

struct Shell {
    int status;
    std::string output;
};

Shell run(const std::string& command) {
    Shell out{-1, {}};
    FILE* p = popen((command + " 2>&1").c_str(), "r");
    if (p == nullptr) return out;
    std::array<char, 4096> buf{};
    while (std::fgets(buf.data(), buf.size(), p) != nullptr) out.output += buf.data();
    out.status = pclose(p);
    return out;
}

}  // namespace

TEST_F(OgcTest, GdalListsAndCopiesAllGridsFollowingNextLinks) {
    api::HttpServer server(service, "127.0.0.1:0", 2);
    server.start();
    const std::string url = "OAPIF:http://127.0.0.1:" + std::to_string(server.port()) + "/ogc";
    // GDAL sends the token through GDAL_HTTP_HEADERS (GDAL ≥ 3.6); no GDAL cache between runs.
    const std::string env = "GDAL_HTTP_HEADERS='Authorization: Bearer " + token(Role::leader) +
                            "' CPL_VSIL_CURL_NON_CACHED=YES GDAL_HTTP_TIMEOUT=60 ";

    const auto info = run(env + "ogrinfo -ro -so -oo PAGE_SIZE=50 '" + url + "' grids");
    EXPECT_EQ(info.status, 0) << info.output;
    EXPECT_NE(info.output.find("Feature Count: 212"), std::string::npos) << info.output;

    const auto dir = std::filesystem::temp_directory_path() / ("wangge-ogc-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto gpkg = (dir / "out.gpkg").string();
    const auto copy = run(env + "ogr2ogr -f GPKG -oo PAGE_SIZE=50 '" + gpkg + "' '" + url + "' grids");
    EXPECT_EQ(copy.status, 0) << copy.output;
    std::string bytes(std::filesystem::exists(gpkg) ? std::filesystem::file_size(gpkg) : 0, '\0');
    std::ifstream(gpkg, std::ios::binary).read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    const auto grids = geo::read_grids(bytes, "out.gpkg");
    EXPECT_EQ(grids.size(), static_cast<std::size_t>(k_demo_grids)) << "every page copied";
    std::set<std::string> ids;
    for (const auto& g : grids) {
        ASSERT_TRUE(g.id);
        ids.insert(*g.id);
        EXPECT_TRUE(g.name);
    }
    EXPECT_EQ(ids.size(), static_cast<std::size_t>(k_demo_grids));

    // The reports collection opens too, counted from numberMatched.
    const auto reports = run(env + "ogrinfo -ro -so '" + url + "' reports");
    EXPECT_NE(reports.output.find("Feature Count: " + t.scalar("SELECT count(*) FROM reports")), std::string::npos)
        << reports.output;

    // Without the token GDAL gets 401 and says so.
    const auto refused = run("ogrinfo -ro -so '" + url + "' grids");
    EXPECT_NE(refused.status, 0) << refused.output;

    std::filesystem::remove_all(dir);
    server.stop();
}
