#include "analytics/getis_ord.hpp"
#include "core/error.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <vector>

using namespace wangge::analytics;

namespace {

// esda's G_Local example (and STATS.md's public check): six points, binary distance band 15.
//
//   30 |          5
//   20 |    3          4
//   10 | 0    1             2
//      +--10---20---30---40--
//
// The pair 3–4 is exactly 15 apart and is in the band (the band includes its edge).
NeighbourList distance_band(const std::vector<std::array<double, 2>>& points, double band) {
    NeighbourList nb(points.size());
    for (std::size_t i = 0; i < points.size(); ++i)
        for (std::size_t j = 0; j < points.size(); ++j)
            if (i != j && std::hypot(points[i][0] - points[j][0], points[i][1] - points[j][1]) <= band)
                nb[i].push_back(j);
    return nb;
}

const std::vector<std::array<double, 2>> k_points{{10, 10}, {20, 10}, {40, 10}, {15, 20}, {30, 20}, {30, 30}};
const std::vector<double> k_y{2, 3, 3.2, 5, 8, 7};

void expect_no_nan(const std::vector<GiStar>& gi) {
    for (const GiStar& g : gi) {
        EXPECT_TRUE(!g.z || std::isfinite(*g.z));
        EXPECT_TRUE(!g.p || std::isfinite(*g.p));
        EXPECT_TRUE(g.z || g.bin == 0);
    }
}

}  // namespace

TEST(GiStar, EsdaSixPointCheck) {
    const NeighbourList nb = distance_band(k_points, 15);
    EXPECT_EQ(nb[3], (std::vector<std::size_t>{0, 1, 4}));
    const std::vector<GiStar> gi = hotspots(k_y, nb);
    const std::array<double, 6> expected{-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331};
    ASSERT_EQ(gi.size(), 6u);
    for (std::size_t i = 0; i < 6; ++i) {
        ASSERT_TRUE(gi[i].z) << i;
        EXPECT_NEAR(*gi[i].z, expected[i], 1e-8) << i;
        EXPECT_NEAR(*gi[i].p, std::erfc(std::abs(expected[i]) / std::sqrt(2.0)), 1e-8) << i;
    }
    // Only point 5 (z = 2.02, p = 0.043) reaches a bin.
    for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(gi[i].bin, 0) << i;
    EXPECT_EQ(gi[5].bin, 2);
}

TEST(GiStar, AgreesWithSpdepLocalGOnARookLattice) {
    // 3×3 rook lattice, counts row by row
    //   9 8 1
    //   8 2 1
    //   1 1 9
    // spdep 1.2-7 localG on include.self(nb), style B (scripts/spdep-golden.R).
    const NeighbourList rook{{1, 3}, {0, 2, 4}, {1, 5}, {0, 4, 6}, {1, 3, 5, 7}, {2, 4, 8}, {3, 7}, {4, 6, 8}, {5, 7}};
    const std::vector<double> x{9, 8, 1, 8, 2, 1, 1, 1, 9};
    const std::array<double, 9> spdep{2.1280626510866854,   0.38454428462686402,  -0.60801790031048175,
                                      0.38454428462686402,  -0.38454428462686402, -0.82677021194775802,
                                      -0.60801790031048175, -0.82677021194775802, -0.42561253021733725};
    const auto gi = hotspots(x, rook);
    for (std::size_t i = 0; i < 9; ++i) EXPECT_NEAR(*gi[i].z, spdep[i], 1e-12) << i;
}

TEST(GiStar, HotspotsIsGiStarOnBinaryWeightsWithSelf) {
    const NeighbourList nb = distance_band(k_points, 15);
    const auto a = hotspots(k_y, nb);
    const auto b = gi_star(k_y, binary_with_self(nb));
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].z, b[i].z);
}

TEST(GiStar, AnIsolateIsComparedWithItselfOnly) {
    // W_i = S1_i = 1, so z = (x_i − X̄)/S: here X̄ = 4, S = sqrt(Σx²/n − X̄²) = sqrt(8/3).
    const std::vector<double> x{2, 4, 6};
    const auto gi = hotspots(x, {{1}, {0}, {}});
    ASSERT_TRUE(gi[2].z);
    EXPECT_NEAR(*gi[2].z, 2.0 / std::sqrt(8.0 / 3.0), 1e-12);
}

TEST(GiStar, AllEqualCountsGiveNoZAndBinZero) {
    const auto gi = hotspots(std::vector<double>(5, 3.0), {{1}, {0, 2}, {1, 3}, {2, 4}, {3}});
    ASSERT_EQ(gi.size(), 5u);
    for (const GiStar& g : gi) {
        EXPECT_FALSE(g.z);
        EXPECT_FALSE(g.p);
        EXPECT_EQ(g.bin, 0);
    }
}

TEST(GiStar, EqualNonIntegerCountsAreStillDegenerate) {
    // 0.1 is not exact in binary: Σx²/n − X̄² is then a speck of rounding, not 0.
    const auto gi = hotspots(std::vector<double>(7, 0.1), {{1}, {0}, {}, {}, {}, {}, {}});
    expect_no_nan(gi);
    for (const GiStar& g : gi) EXPECT_FALSE(g.z);
}

TEST(GiStar, OneGridAndNoGrids) {
    const auto one = hotspots(std::vector<double>{5}, {{}});
    ASSERT_EQ(one.size(), 1u);
    EXPECT_FALSE(one[0].z);
    EXPECT_EQ(one[0].bin, 0);
    EXPECT_TRUE(hotspots(std::vector<double>{}, {}).empty());
}

TEST(GiStar, AGridNeighbouringEveryGridHasNoZ) {
    // Its neighbourhood is the whole area: n·S1 − W² = 0, Gi* has nothing to compare.
    const std::vector<double> x{1, 5, 2, 8};
    const auto gi = hotspots(x, {{1, 2, 3}, {0}, {0}, {0}});
    EXPECT_FALSE(gi[0].z);
    EXPECT_EQ(gi[0].bin, 0);
    EXPECT_TRUE(gi[1].z);
    expect_no_nan(gi);
}

TEST(GiStar, FdrBinsNeverExceedPlainBinsAndLeaveZAlone) {
    // A 1×12 strip with a peak at one end.
    std::vector<double> x{30, 28, 25, 4, 3, 5, 2, 4, 3, 2, 5, 3};
    NeighbourList nb(x.size());
    for (std::size_t i = 0; i + 1 < x.size(); ++i) {
        nb[i].push_back(i + 1);
        nb[i + 1].push_back(i);
    }
    const auto plain = hotspots(x, nb);
    const auto fdr = hotspots(x, nb, Correction::fdr);
    for (std::size_t i = 0; i < x.size(); ++i) {
        EXPECT_EQ(plain[i].z, fdr[i].z);
        EXPECT_EQ(plain[i].p, fdr[i].p);
        EXPECT_LE(std::abs(fdr[i].bin), std::abs(plain[i].bin));
    }
    EXPECT_GT(plain[1].bin, 0);
}

TEST(GiStar, MismatchedOrNonFiniteInputIsRefused) {
    EXPECT_THROW(hotspots(std::vector<double>{1, 2}, {{}}), wangge::Error);
    const std::vector<double> nan{1, std::numeric_limits<double>::quiet_NaN()};
    EXPECT_THROW(hotspots(nan, {{1}, {0}}), wangge::Error);
}
