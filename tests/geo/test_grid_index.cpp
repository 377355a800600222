// The assignment rules of API.md on a drawn fixture (lon/lat near 119.5E 29N):
//
//      119.50      119.51      119.52
//  29.01 +-----------+-----------+
//        |    g-a    |    g-b    |        town "t": the two squares
//  29.00 +-----------+-----------+

#include "geo/grid_index.hpp"

#include <gtest/gtest.h>

using namespace wangge::geo;

namespace {

std::string hex_of(const char* wkt) {
    const Geos g;
    auto geom = g.from_wkt(wkt);
    // Plain WKB hex (what PostGIS's encode(ST_AsBinary(...), 'hex') gives).
    auto ewkb = g.to_ewkb_hex(geom.get(), 4490);
    return ewkb;
}

std::shared_ptr<const GridIndex> fixture() {
    std::vector<GridShape> grids{
        {"t", "g-b", 3, "B", "B grid", hex_of("POLYGON((119.51 29.00,119.52 29.00,119.52 29.01,119.51 29.01,119.51 29.00))")},
        {"t", "g-a", 1, "A", "A grid", hex_of("POLYGON((119.50 29.00,119.51 29.00,119.51 29.01,119.50 29.01,119.50 29.00))")},
    };
    std::vector<TownShape> towns{{"t", hex_of("POLYGON((119.50 29.00,119.52 29.00,119.52 29.01,119.50 29.01,119.50 29.00))")},
                                 {"far", hex_of("POLYGON((119.60 29.00,119.61 29.00,119.61 29.01,119.60 29.01,119.60 29.00))")}};
    return GridIndex::build(std::move(grids), std::move(towns));
}

std::string grid_of(const GridIndex& index, const Assignment& a) { return a.grid ? index.grids()[*a.grid].id : ""; }

}  // namespace

TEST(GridIndex, InsideOneGridIsContains) {
    const auto index = fixture();
    const auto a = index->assign(119.505, 29.005);
    EXPECT_EQ(a.method, AssignMethod::contains);
    EXPECT_EQ(grid_of(*index, a), "g-a");
    EXPECT_EQ(index->grids()[*a.grid].version, 1);
    EXPECT_EQ(grid_of(*index, index->assign(119.515, 29.005)), "g-b");
}

TEST(GridIndex, OnTheSharedEdgeGoesToTheSmallestId) {
    const auto index = fixture();
    const auto a = index->assign(119.51, 29.005);
    EXPECT_EQ(a.method, AssignMethod::boundary);
    EXPECT_EQ(grid_of(*index, a), "g-a") << "g-a < g-b, whatever the input order";
    // 3 cm east of the edge, inside g-b: still within 0.05 m of g-a.
    const auto near = index->assign(119.51 + 0.03 / 97400.0, 29.005);
    EXPECT_EQ(near.method, AssignMethod::boundary);
    EXPECT_EQ(grid_of(*index, near), "g-a");
    // 10 cm east: plainly g-b.
    const auto inside = index->assign(119.51 + 0.10 / 97400.0, 29.005);
    EXPECT_EQ(inside.method, AssignMethod::contains);
    EXPECT_EQ(grid_of(*index, inside), "g-b");
}

TEST(GridIndex, SharedVertexIsBoundary) {
    const auto index = fixture();
    const auto a = index->assign(119.51, 29.01);
    EXPECT_EQ(a.method, AssignMethod::boundary);
    EXPECT_EQ(grid_of(*index, a), "g-a");
}

TEST(GridIndex, OutsideButWithin200MetresIsNearest) {
    const auto index = fixture();
    // ~111 m north of g-b's top edge.
    const auto a = index->assign(119.515, 29.011);
    EXPECT_EQ(a.method, AssignMethod::nearest);
    EXPECT_EQ(grid_of(*index, a), "g-b");
    EXPECT_NEAR(a.distance_m, 110.9, 0.5);
}

TEST(GridIndex, FartherIsNoneAndFallsToTheNearestTown) {
    const auto index = fixture();
    const auto a = index->assign(119.505, 29.05);  // ~4.4 km north
    EXPECT_EQ(a.method, AssignMethod::none);
    EXPECT_FALSE(a.grid);
    EXPECT_EQ(index->towns()[a.town], "t");
    const auto b = index->assign(119.59, 29.005);  // closer to the other town
    EXPECT_EQ(b.method, AssignMethod::none);
    EXPECT_EQ(index->towns()[b.town], "far");
    const auto c = index->assign(10.0, 50.0);  // outside the raster altogether
    EXPECT_EQ(c.method, AssignMethod::none);
}

TEST(GridIndex, RasterAndExactPathAgree) {
    const auto index = fixture();
    for (double x = 119.495; x < 119.525; x += 0.000731)
        for (double y = 28.995; y < 29.015; y += 0.000517) {
            const auto fast = index->assign(x, y), exact = index->assign_exact(x, y);
            ASSERT_EQ(fast.method, exact.method) << x << ' ' << y;
            ASSERT_EQ(fast.grid, exact.grid) << x << ' ' << y;
            ASSERT_EQ(fast.town, exact.town) << x << ' ' << y;
        }
}
