#include "geo/partition.hpp"

#include <gtest/gtest.h>

using namespace wangge::geo;

namespace {

double total_overlap(const Geos& g, const std::vector<GeomPtr>& cells) {
    double sum = 0;
    for (std::size_t i = 0; i < cells.size(); ++i)
        for (std::size_t j = i + 1; j < cells.size(); ++j) sum += g.area(g.intersection(cells[i].get(), cells[j].get()).get());
    return sum;
}

}  // namespace

TEST(VoronoiPartition, SquareInFourQuarters) {
    const Geos g;
    auto square = g.from_wkt("POLYGON((0 0,10 0,10 10,0 10,0 0))");
    auto cells = voronoi_partition(g, square.get(), {{2.5, 2.5}, {7.5, 2.5}, {2.5, 7.5}, {7.5, 7.5}});
    ASSERT_EQ(cells.size(), 4u);
    for (const auto& c : cells) {
        EXPECT_EQ(g.type_name(c.get()), "Polygon");
        EXPECT_NEAR(g.area(c.get()), 25.0, 1e-9);
    }
    // Cells come back in seed order: the first seed's cell holds it.
    EXPECT_TRUE(g.contains(cells[0].get(), g.point({2.5, 2.5}).get()));
    EXPECT_TRUE(g.contains(cells[3].get(), g.point({7.5, 7.5}).get()));
}

TEST(VoronoiPartition, NonConvexAreaStaysSinglePolygonsWithNoGapOrOverlap) {
    // A "U" whose left-arm seed is nearest to the top of the right arm too: its clipped
    // cell falls in two pieces, and the detached one must join the right arm's cell.
    //   ##....##
    //   ##....##
    //   ########
    const Geos g;
    auto u = g.from_wkt("POLYGON((0 0,30 0,30 30,20 30,20 10,10 10,10 30,0 30,0 0))");
    const std::vector<XY> seeds{{5, 25}, {15, 2}, {25, 5}};
    auto cells = voronoi_partition(g, u.get(), seeds);
    ASSERT_EQ(cells.size(), 3u);
    double sum = 0;
    std::vector<const GEOSGeometry*> parts;
    for (const auto& c : cells) {
        EXPECT_EQ(g.type_name(c.get()), "Polygon");
        EXPECT_TRUE(g.is_valid(c.get()));
        sum += g.area(c.get());
        parts.push_back(c.get());
    }
    EXPECT_NEAR(sum, g.area(u.get()), 1e-9);
    EXPECT_NEAR(total_overlap(g, cells), 0.0, 1e-9);
    auto unioned = g.union_all(parts);
    EXPECT_NEAR(g.area(g.difference(u.get(), unioned.get()).get()), 0.0, 1e-9);
    EXPECT_TRUE(g.contains(cells[2].get(), g.point({25, 29}).get())) << "the detached piece joined its neighbour";
}

TEST(Hilbert, NeighboursAreCloseOnTheCurve) {
    const XY lo{0, 0}, hi{1, 1};
    EXPECT_LT(hilbert_index({0.01, 0.01}, lo, hi), hilbert_index({0.99, 0.01}, lo, hi));
    EXPECT_EQ(hilbert_index({0.5, 0.5}, lo, hi), hilbert_index({0.5, 0.5}, lo, hi));
    EXPECT_NE(hilbert_index({0.1, 0.9}, lo, hi), hilbert_index({0.9, 0.1}, lo, hi));
}
