#include "analytics/permutation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <numeric>
#include <vector>

using namespace wangge::analytics;

TEST(SplitMix64, ReferenceOutputsForSeedZero) {
    // The first outputs of Vigna's reference splitmix64.c from state 0: any platform that
    // prints something else would give other p_sim values.
    SplitMix64 rng(0);
    EXPECT_EQ(rng.next(), 0xe220a8397b1dcdafULL);
    EXPECT_EQ(rng.next(), 0x6e789e6aa1b965f4ULL);
    EXPECT_EQ(rng.next(), 0x06c45d188009454fULL);
}

TEST(SplitMix64, BelowStaysInRangeAndCoversIt) {
    SplitMix64 rng(7);
    std::array<int, 6> counts{};
    for (int k = 0; k < 60000; ++k) {
        const std::size_t v = rng.below(6);
        ASSERT_LT(v, 6u);
        ++counts[v];
    }
    // 10000 expected per face; 5 standard deviations is ±456.
    for (int c : counts) EXPECT_NEAR(c, 10000, 460);
    EXPECT_EQ(rng.below(1), 0u);
}

TEST(PartialShuffle, EveryItemCanBeDrawnFirstAndNothingIsLost) {
    SplitMix64 rng(42);
    std::vector<int> items(5);
    std::iota(items.begin(), items.end(), 0);
    std::array<int, 5> first{};
    for (int k = 0; k < 50000; ++k) {
        partial_shuffle(std::span<int>(items), 2, rng);
        ++first[static_cast<std::size_t>(items[0])];
    }
    for (int c : first) EXPECT_NEAR(c, 10000, 450);
    std::vector<int> sorted = items;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(FoldedPSim, FollowsEsdaOnBothTails) {
    const std::vector<double> sims{1, 2, 3, 4, 5, 6, 7, 8, 9};  // R = 9
    EXPECT_DOUBLE_EQ(folded_p_sim(sims, 8.5), 0.2);   // 1 sim ≥ 8.5
    EXPECT_DOUBLE_EQ(folded_p_sim(sims, 1.5), 0.2);   // 8 ≥, folded to the 1 below
    EXPECT_DOUBLE_EQ(folded_p_sim(sims, 0.0), 0.1);   // all ≥, folded to none below
    EXPECT_DOUBLE_EQ(folded_p_sim(sims, 10.0), 0.1);  // none ≥
    // A tie counts as "≥": 5..9 are ≥ 5, the fold takes the 4 strictly below.
    EXPECT_DOUBLE_EQ(folded_p_sim(sims, 5.0), 0.5);
}
