#include "analytics/mann_kendall.hpp"
#include "core/error.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

using namespace wangge::analytics;

TEST(MannKendall, StatsMdCheckWithTies) {
    // Tie groups: 1.5 ×2 and 2.4 ×3.
    const std::vector<double> y{1.2, 1.5, 1.5, 2.1, 1.9, 2.4, 2.4, 2.4, 3.0, 2.8, 3.3, 3.1};
    const MannKendall mk = mann_kendall(y);
    EXPECT_EQ(mk.s, 56);
    EXPECT_NEAR(mk.variance, 208.0, 1e-12);
    ASSERT_TRUE(mk.z && mk.p && mk.tau);
    EXPECT_NEAR(*mk.z, 3.813563849, 1e-9);
    EXPECT_NEAR(*mk.p, 1.369771163e-4, 1e-9);
    EXPECT_NEAR(*mk.tau, 56.0 / 66.0, 1e-15);
}

TEST(MannKendall, FallingSeriesMirrorsTheCheck) {
    std::vector<double> y{1.2, 1.5, 1.5, 2.1, 1.9, 2.4, 2.4, 2.4, 3.0, 2.8, 3.3, 3.1};
    for (double& v : y) v = -v;
    const MannKendall mk = mann_kendall(y);
    EXPECT_EQ(mk.s, -56);
    EXPECT_NEAR(*mk.z, -3.813563849, 1e-9);
    EXPECT_NEAR(*mk.p, 1.369771163e-4, 1e-9);
}

TEST(MannKendall, ZeroSIsZeroZ) {
    // (2>1) + (1=1) + (1<2) = 0; Var(S) = (3·2·11 − 2·1·9)/18 = 8/3.
    const MannKendall mk = mann_kendall(std::vector<double>{1, 2, 1});
    EXPECT_EQ(mk.s, 0);
    EXPECT_NEAR(mk.variance, 8.0 / 3.0, 1e-15);
    EXPECT_EQ(mk.z, 0.0);
    EXPECT_EQ(mk.p, 1.0);
}

TEST(MannKendall, DegenerateSeriesHaveNoZ) {
    const MannKendall flat = mann_kendall(std::vector<double>(6, 2.0));
    EXPECT_EQ(flat.s, 0);
    EXPECT_EQ(flat.variance, 0.0);
    EXPECT_FALSE(flat.z);
    EXPECT_FALSE(flat.p);

    const MannKendall two = mann_kendall(std::vector<double>{1, 2});
    EXPECT_EQ(two.s, 1);
    EXPECT_FALSE(two.z);
    EXPECT_EQ(two.tau, 1.0);

    const MannKendall empty = mann_kendall(std::vector<double>{});
    EXPECT_EQ(empty.s, 0);
    EXPECT_FALSE(empty.z);
    EXPECT_FALSE(empty.tau);
}

TEST(MannKendall, NonFiniteValuesAreRefused) {
    const std::vector<double> y{1, std::numeric_limits<double>::infinity(), 3};
    EXPECT_THROW(mann_kendall(y), wangge::Error);
}
