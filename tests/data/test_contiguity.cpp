// Grid contiguity for Gi* (STATS.md "Spatial weights"): queen and rook between current
// grids, with hand-drawn boundaries closer than 0.5 m treated as touching.

#include "data/migrate.hpp"
#include "data/tile_store.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace wangge;

namespace {

bool linked(const data::GridNeighbours& g, const std::string& a, const std::string& b) {
    const auto ia = static_cast<std::size_t>(std::find(g.grids.begin(), g.grids.end(), a) - g.grids.begin());
    const auto ib = static_cast<std::size_t>(std::find(g.grids.begin(), g.grids.end(), b) - g.grids.begin());
    const auto& n = g.neighbours.at(ia);
    return std::find(n.begin(), n.end(), ib) != n.end();
}

}  // namespace

TEST(Contiguity, GapsUnderHalfAMetreTouchAndCornersAreQueenOnly) {
    // Squares in EPSG:4549 metres (x from 500,000 at 120°E, y ≈ 29.1°N):
    //   a [0,100]² · b 0.3 m east of a · c 1.0 m east of b · d on a's north-east corner
    //   (0.2 m above it) · e like b but a retired version.
    test::TestDatabase t("contiguity");
    data::migrate(t.db(), data::data_dir());
    auto square = [](double x0, double y0, double x1, double y1) {
        auto p = [](double x, double y) { return std::to_string(500000 + x) + ' ' + std::to_string(3220000 + y); };
        return "ST_Transform(ST_GeomFromText('POLYGON((" + p(x0, y0) + ',' + p(x1, y0) + ',' + p(x1, y1) + ',' + p(x0, y1) +
               ',' + p(x0, y0) + "))', 4549), 4490)";
    };
    t.scalar("INSERT INTO counties (code, name, kind, city, geom) VALUES ('330702', '婺城区', 'district', '金华市', "
             "ST_Multi(" + square(-10, -10, 400, 400) + "))");
    t.scalar("INSERT INTO towns (town, name, kind, admin_code, county, geom) VALUES ('tashi', '塔石乡', 'township', '330702205', "
             "'330702', ST_Multi(" + square(-10, -10, 400, 400) + "))");
    auto grid = [&](const std::string& id, const std::string& geom, bool current = true) {
        t.scalar("INSERT INTO grids (town, id, version, code, name, geom, valid_from, valid_to, created_by) VALUES ('tashi', '" +
                 id + "', 1, '" + id + "', '" + id + "', " + geom + ", '2026-01-01', " +
                 (current ? "NULL" : "'2026-02-01'") + ", 'test')");
    };
    grid("a", square(0, 0, 100, 100));
    grid("b", square(100.3, 0, 200, 100));
    grid("c", square(201, 0, 300, 100));
    grid("d", square(100.3, 100.2, 200, 200));
    grid("e", square(0, 100.4, 100.1, 100.45), false);

    const auto queen = data::grid_neighbours(t.db(), "tashi", data::Contiguity::queen);
    EXPECT_EQ(queen.grids, (std::vector<std::string>{"a", "b", "c", "d"})) << "current grids only, by id";
    EXPECT_TRUE(linked(queen, "a", "b")) << "0.3 m apart: touching";
    EXPECT_TRUE(linked(queen, "b", "a")) << "symmetric";
    EXPECT_FALSE(linked(queen, "b", "c")) << "1 m apart";
    EXPECT_TRUE(linked(queen, "a", "d")) << "corner contact counts for queen";
    EXPECT_TRUE(linked(queen, "b", "d"));

    const auto rook = data::grid_neighbours(t.db(), "tashi", data::Contiguity::rook);
    EXPECT_TRUE(linked(rook, "a", "b"));
    EXPECT_FALSE(linked(rook, "a", "d")) << "a corner is no edge";
    EXPECT_TRUE(linked(rook, "b", "d"));
    EXPECT_FALSE(linked(rook, "b", "c"));
}

TEST(Contiguity, EveryDemoGridOfATownHasANeighbour) {
    auto& t = test::demo_database();
    const auto g = data::grid_neighbours(t.db(), "bailongqiao");
    ASSERT_EQ(g.grids.size(), 75u);
    for (std::size_t i = 0; i < g.grids.size(); ++i) {
        EXPECT_FALSE(g.neighbours[i].empty()) << g.grids[i];
        for (auto j : g.neighbours[i]) {
            EXPECT_NE(i, j);
            EXPECT_NE(std::find(g.neighbours[j].begin(), g.neighbours[j].end(), i), g.neighbours[j].end());
        }
    }
}
