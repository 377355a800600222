#include "analytics/weights.hpp"
#include "core/error.hpp"
#include "tests/analytics/lattice.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace wangge::analytics;
using wangge::test::rook_lattice;

TEST(Weights, RookLatticeCornerEdgeAndCentre) {
    // 0 1 2
    // 3 4 5
    // 6 7 8
    const NeighbourList nb = rook_lattice(3, 3);
    EXPECT_EQ(nb[0], (std::vector<std::size_t>{1, 3}));
    EXPECT_EQ(nb[1], (std::vector<std::size_t>{0, 2, 4}));
    EXPECT_EQ(nb[4], (std::vector<std::size_t>{1, 3, 5, 7}));
}

TEST(Weights, BinaryWithSelfPutsTheUnitFirstAndKeepsAnIsolate) {
    const NeighbourList nb{{1}, {0}, {}};
    const Weights w = binary_with_self(nb);
    ASSERT_EQ(w.size(), 3u);
    ASSERT_EQ(w.rows[0].size(), 2u);
    EXPECT_EQ(w.rows[0][0].to, 0u);
    EXPECT_EQ(w.rows[0][1].to, 1u);
    // STATS.md: a grid with no neighbour gets only itself in Gi*.
    ASSERT_EQ(w.rows[2].size(), 1u);
    EXPECT_EQ(w.rows[2][0].to, 2u);
    EXPECT_EQ(w.rows[2][0].weight, 1.0);
}

TEST(Weights, RowStandardisedRowsSumToOneAndIsolatesStayEmpty) {
    const NeighbourList nb{{1, 2, 3}, {0}, {0}, {0}, {}};
    const Weights w = row_standardised(nb);
    for (std::size_t i = 0; i < 4; ++i) {
        double sum = 0;
        for (const Link& l : w.rows[i]) sum += l.weight;
        EXPECT_DOUBLE_EQ(sum, 1.0) << "row " << i;
    }
    EXPECT_DOUBLE_EQ(w.rows[0][0].weight, 1.0 / 3);
    EXPECT_TRUE(w.rows[4].empty());
}

TEST(Weights, BinaryHasOnesAndNoSelf) {
    const Weights w = binary(rook_lattice(2, 2));
    for (std::size_t i = 0; i < w.size(); ++i) {
        EXPECT_EQ(w.rows[i].size(), 2u);
        for (const Link& l : w.rows[i]) {
            EXPECT_NE(l.to, i);
            EXPECT_EQ(l.weight, 1.0);
        }
    }
}

TEST(Weights, SpatialLagIsTheWeightedSumOfNeighbours) {
    const Weights w = row_standardised({{1, 2}, {0}, {0}});
    const std::vector<double> v{10, 4, 8};
    EXPECT_DOUBLE_EQ(spatial_lag(w, 0, v), 6.0);
    EXPECT_DOUBLE_EQ(spatial_lag(w, 1, v), 10.0);
}

TEST(Weights, MalformedNeighbourListsAreRefused) {
    EXPECT_THROW(check_neighbours({{1}, {5}}), wangge::Error);     // out of range
    EXPECT_THROW(check_neighbours({{0}, {}}), wangge::Error);      // itself
    EXPECT_THROW(check_neighbours({{1, 1}, {0}}), wangge::Error);  // twice
    EXPECT_NO_THROW(check_neighbours({{1}, {0}, {}}));
    EXPECT_NO_THROW(check_neighbours({}));
}
