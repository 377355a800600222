#include "analytics/significance.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <vector>

using namespace wangge::analytics;

TEST(TwoSidedP, KnownQuantilesAndFarTail) {
    EXPECT_DOUBLE_EQ(two_sided_p(0.0), 1.0);
    EXPECT_NEAR(two_sided_p(1.959963984540054), 0.05, 1e-15);
    EXPECT_NEAR(two_sided_p(-2.5758293035489004), 0.01, 1e-15);
    // 2·(1 − Φ(9)) would cancel to 0; erfc keeps it.
    EXPECT_NEAR(two_sided_p(9.0) / 2.2571768119076845e-19, 1.0, 1e-12);
    const double far = two_sided_p(60.0);
    EXPECT_FALSE(std::isnan(far));
    EXPECT_GE(far, 0.0);
}

TEST(ConfidenceBin, ThresholdsAreInclusiveAndSignedAsZ) {
    EXPECT_EQ(confidence_bin(2.0, 0.01), 3);
    EXPECT_EQ(confidence_bin(2.0, 0.0100001), 2);
    EXPECT_EQ(confidence_bin(2.0, 0.05), 2);
    EXPECT_EQ(confidence_bin(2.0, 0.0500001), 1);
    EXPECT_EQ(confidence_bin(2.0, 0.10), 1);
    EXPECT_EQ(confidence_bin(2.0, 0.1000001), 0);
    EXPECT_EQ(confidence_bin(-3.0, 0.001), -3);
    EXPECT_EQ(confidence_bin(-1.7, 0.09), -1);
    EXPECT_EQ(confidence_bin(std::nullopt, std::nullopt), 0);
}

namespace {

// The textbook Benjamini–Hochberg example (m = 10), with the values nudged off the k·α/m
// boundaries so the test does not hinge on the last bit of a product:
//  k      1       2      3      4      5      6      7      8      9      10
//  p      0.0005  0.008  0.039  0.041  0.042  0.058  0.074  0.205  0.212  0.216
//  k·.01/10 .001  .002   …                      → only k = 1 passes       → cut 0.0005
//  k·.05/10 .005  .010   .015   .020   .025 …   → k = 2 is the largest    → cut 0.008
//  k·.10/10 .01   .02    .03    .04    .05  .06 → k = 6 is the largest, though k = 3 and
//                                                  4 fail on their own (step-up) → cut 0.058
const std::vector<std::optional<double>> k_p{0.0005, 0.008, 0.039, 0.041, 0.042,
                                             0.058,  0.074, 0.205, 0.212, 0.216};

}  // namespace

TEST(BenjaminiHochberg, CutoffsOfTheTextbookExample) {
    EXPECT_EQ(bh_cutoff(k_p, 0.01), 0.0005);
    EXPECT_EQ(bh_cutoff(k_p, 0.05), 0.008);
    EXPECT_EQ(bh_cutoff(k_p, 0.10), 0.058);
    const std::vector<std::optional<double>> none{0.5, 0.9};
    EXPECT_EQ(bh_cutoff(none, 0.10), std::nullopt);
    EXPECT_EQ(bh_cutoff(std::vector<std::optional<double>>{}, 0.05), std::nullopt);
}

TEST(BenjaminiHochberg, MissingPValuesAreNotTests) {
    // With two absent units m stays 2: 0.04 ≤ 2·0.05/2 keeps both. Counting the absent
    // ones (m = 4) would cut at 0.025 and keep none.
    const std::vector<std::optional<double>> p{0.04, std::nullopt, 0.045, std::nullopt};
    EXPECT_EQ(bh_cutoff(p, 0.05), 0.045);
}

TEST(ConfidenceBins, FdrBinsAreTheHighestLevelBhKeeps) {
    std::vector<std::optional<double>> z(k_p.size(), 2.0);
    z[1] = -2.0;  // the sign comes from z
    const std::vector<int> raw = confidence_bins(z, k_p, Correction::none);
    const std::vector<int> fdr = confidence_bins(z, k_p, Correction::fdr);
    EXPECT_EQ(raw, (std::vector<int>{3, -3, 2, 2, 2, 1, 1, 0, 0, 0}));
    EXPECT_EQ(fdr, (std::vector<int>{3, -2, 1, 1, 1, 1, 0, 0, 0, 0}));
}

TEST(ConfidenceBins, AbsentZGivesBinZeroUnderBothCorrections) {
    const std::vector<std::optional<double>> z{std::nullopt, 3.0};
    const std::vector<std::optional<double>> p{std::nullopt, 0.001};
    EXPECT_EQ(confidence_bins(z, p, Correction::none), (std::vector<int>{0, 3}));
    EXPECT_EQ(confidence_bins(z, p, Correction::fdr), (std::vector<int>{0, 3}));
}
