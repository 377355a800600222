// Importing grid files: every export format imports back as the same grids, a
// Gauss-Kruger Shapefile imports correctly, and bad files are refused whole.

#include "api/service.hpp"
#include "data/token_store.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace wangge;
using nlohmann::json;

namespace {

class GridImport : public ::testing::Test {
protected:
    test::TestDatabase& t = test::demo_database();
    api::Service service{t.db()};
    std::string gis = [&] {
        data::TokenSpec spec;
        spec.role = Role::gis_admin;
        return data::create_token(t.db(), spec);
    }();

    api::Response call(const std::string& method, const std::string& path, std::map<std::string, std::string> query,
                       const std::string& body = {}, const std::string& content_type = {}) {
        api::Request r;
        r.method = method;
        r.path = path;
        r.query = std::move(query);
        r.headers["authorization"] = "Bearer " + gis;
        if (!content_type.empty()) r.headers["content-type"] = content_type;
        r.body = body;
        return service.handle(r);
    }

    std::string versions(const std::string& town) {
        return t.scalar("SELECT string_agg(id || ':' || version, ',' ORDER BY id) FROM grids WHERE town = '" + town +
                        "' AND valid_to IS NULL");
    }
};

}  // namespace

TEST_F(GridImport, EveryExportFormatImportsBackAsTheSameGrids) {
    for (const std::string f : {"geojson", "gpkg", "shp", "kml", "csv"}) {
        const auto before = versions("tashi");
        auto exported = call("GET", "/api/v1/towns/tashi/grids/export", {{"f", f}});
        ASSERT_EQ(exported.status, 200) << f << ": " << exported.body.substr(0, 300);
        auto imported = call("POST", "/api/v1/towns/tashi/grids/import", {{"f", f}}, exported.body);
        ASSERT_EQ(imported.status, 200) << f << ": " << imported.body.substr(0, 600);
        const auto out = json::parse(imported.body);
        EXPECT_EQ(out.at("unchanged").size(), 41u) << f;
        EXPECT_TRUE(out.at("changed").empty()) << f << ": " << out.at("changed").dump();
        EXPECT_TRUE(out.at("created").empty()) << f;
        EXPECT_TRUE(out.at("retired").empty()) << f;
        EXPECT_EQ(versions("tashi"), before) << f << ": nothing was rewritten";
    }
}

TEST_F(GridImport, AGaussKrugerShapefileImportsInCgcs2000) {
    namespace fs = std::filesystem;
    const auto dir = fs::temp_directory_path() / ("wangge-gk-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto exported = call("GET", "/api/v1/towns/chengdong/grids/export", {{"f", "geojson"}});
    ASSERT_EQ(exported.status, 200);
    std::ofstream(dir / "in.geojson", std::ios::binary) << exported.body;
    // Reprojected to CGCS2000 / 3-degree Gauss-Kruger CM 120E by GDAL's own ogr2ogr.
    const auto cmd = "cd '" + dir.string() + "' && ogr2ogr -q -f 'ESRI Shapefile' -t_srs EPSG:4549 gk.shp in.geojson && " +
                     "zip -q gk.zip gk.shp gk.shx gk.dbf gk.prj gk.cpg";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::ifstream zip(dir / "gk.zip", std::ios::binary);
    std::ostringstream buffer;
    buffer << zip.rdbuf();
    const std::string bytes = buffer.str();
    auto dry = call("POST", "/api/v1/towns/chengdong/grids/import", {{"dry_run", "true"}, {"filename", "gk.zip"}}, bytes);
    ASSERT_EQ(dry.status, 200) << dry.body.substr(0, 600);
    const auto out = json::parse(dry.body);
    EXPECT_EQ(out.at("source_crs").get<std::string>().find("4549") != std::string::npos ||
                  out.at("source_crs").get<std::string>().find("Gauss") != std::string::npos,
              true)
        << out.at("source_crs");
    EXPECT_TRUE(out.at("valid").get<bool>()) << out.at("problems").dump();
    EXPECT_EQ(out.at("unchanged").size() + out.at("changed").size(), 39u);
    EXPECT_TRUE(out.at("retired").empty());
    fs::remove_all(dir);
}

TEST_F(GridImport, AFileMissingAGridOrWithABrokenOneIsRefusedWhole) {
    auto exported = json::parse(call("GET", "/api/v1/towns/jiangtang/grids/export", {{"f", "geojson"}}).body);
    const auto before = versions("jiangtang");
    auto missing = exported;
    missing["features"].erase(missing["features"].begin() + 5);
    auto r = call("POST", "/api/v1/towns/jiangtang/grids/import", {{"f", "geojson"}}, missing.dump());
    ASSERT_EQ(r.status, 422) << r.body.substr(0, 400);
    EXPECT_EQ(json::parse(r.body).at("problems")[0].at("kind"), "gap");
    EXPECT_EQ(versions("jiangtang"), before);

    auto dry = json::parse(call("POST", "/api/v1/towns/jiangtang/grids/import", {{"f", "geojson"}, {"dry_run", "true"}},
                                missing.dump())
                               .body);
    EXPECT_FALSE(dry.at("valid").get<bool>());
    EXPECT_EQ(dry.at("retired").size(), 1u);

    EXPECT_EQ(call("POST", "/api/v1/towns/jiangtang/grids/import", {{"f", "geojson"}}, "not a file").status, 400);
    EXPECT_EQ(call("POST", "/api/v1/towns/jiangtang/grids/import", {}, exported.dump()).status, 415);
    EXPECT_EQ(call("POST", "/api/v1/towns/jiangtang/grids/import", {{"f", "dwg"}}, exported.dump()).status, 400);
    EXPECT_EQ(versions("jiangtang"), before);
}
