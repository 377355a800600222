// GET /api/v1/towns/{town}/grids/export against the demo towns in the real PostGIS: every
// format, decoded with geo::read_grids, gives the grids the database has.

#include "api/service.hpp"
#include "data/token_store.hpp"
#include "data/town_store.hpp"
#include "geo/ogr_io.hpp"
#include "tests/support/test_db.hpp"

#include "tests/support/api_fixture.hpp"

#include <gtest/gtest.h>

using namespace wangge;

namespace {

class GridExportTest : public test::ApiFixture {
protected:

    api::Response get(const std::string& path, const std::string& bearer, std::map<std::string, std::string> query = {}) {
        api::Request r;
        r.method = "GET";
        r.path = path;
        r.query = std::move(query);
        r.headers["authorization"] = "Bearer " + bearer;
        return service.handle(r);
    }

    static void expect_problem(const api::Response& r, int status) {
        EXPECT_EQ(r.status, status) << r.body;
        EXPECT_EQ(r.content_type, "application/problem+json");
    }
};

}  // namespace

namespace {

// The grids of a town as the DB has them, by id.
std::map<std::string, data::GridRecord> grids_by_id(data::Database& db, const std::string& town) {
    std::map<std::string, data::GridRecord> out;
    for (auto& g : data::list_grids(db, town, std::nullopt)) out.emplace(g.id, std::move(g));
    return out;
}

}  // namespace

TEST_F(GridExportTest, EveryFormatReadsBackAsTheDatabaseGrids) {
    const auto bearer = token(Role::grid_worker, {"chengdong"});
    const auto expected = grids_by_id(t.db(), "chengdong");
    ASSERT_EQ(expected.size(), 39u);
    for (const char* f : {"geojson", "gpkg", "shp", "kml", "csv"}) {
        SCOPED_TRACE(f);
        const auto r = get("/api/v1/towns/chengdong/grids/export", bearer, {{"f", f}});
        ASSERT_EQ(r.status, 200) << r.body;
        const auto format = *geo::parse_grid_format(f);
        EXPECT_EQ(r.content_type, geo::media_type(format));
        const std::string file = "chengdong-grids." + std::string(geo::file_extension(format));
        bool disposition = false;
        for (const auto& [name, value] : r.headers)
            if (name == "Content-Disposition") disposition = value == "attachment; filename=\"" + file + "\"";
        EXPECT_TRUE(disposition);
        const auto back = geo::read_grids(r.body, file);
        ASSERT_EQ(back.size(), expected.size());
        for (const auto& g : back) {
            ASSERT_TRUE(g.id);
            const auto& db = expected.at(*g.id);
            EXPECT_EQ(g.name, db.name);
            EXPECT_EQ(g.code, db.code);
            EXPECT_EQ(g.version, db.version);
            EXPECT_EQ(g.leader, db.leader ? std::optional(db.leader->id) : std::nullopt);
            EXPECT_EQ(g.worker, db.worker ? std::optional(db.worker->id) : std::nullopt);
            // Same shape: PostGIS compares (the 1e-9° snap of storage; KML and CSV print fewer digits).
            const auto same = t.scalar("SELECT ST_HausdorffDistance(ST_GeomFromWKB(decode('" + g.geometry_wkb_hex +
                                       "', 'hex'), 4490), geom) < 1e-9 FROM grids WHERE id = '" + *g.id +
                                       "' AND valid_to IS NULL");
            EXPECT_EQ(same, "t") << *g.id;
        }
    }
    expect_problem(get("/api/v1/towns/chengdong/grids/export", bearer, {{"f", "xlsx"}}), 400);
    expect_problem(get("/api/v1/towns/chengdong/grids/export", bearer, {{"at", "soon"}}), 400);
    expect_problem(get("/api/v1/towns/tashi/grids/export", bearer), 403);
    expect_problem(get("/api/v1/towns/atlantis/grids/export", bearer), 404);
    const auto before = get("/api/v1/towns/chengdong/grids/export", bearer, {{"at", "2000-01-01"}});
    ASSERT_EQ(before.status, 200);
    EXPECT_TRUE(geo::read_grids(before.body, "x.geojson").empty()) << "no grids then";
}
