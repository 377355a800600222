#include "analytics/emerging.hpp"
#include "core/error.hpp"
#include "tests/analytics/lattice.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string_view>
#include <vector>

using namespace wangge::analytics;
using wangge::test::rook_lattice;

namespace {

// A 5×5 rook lattice, grids numbered row by row. The cluster is the centre grid 12 and its
// four rook neighbours:
//    .  .  .  .  .
//    .  .  #  .  .        7
//    .  #  #  #  .    11 12 13
//    .  .  #  .  .       17
//    .  .  .  .  .
// Every grid counts 10 or 11 in a space-time checkerboard, so nothing stands out; the
// cluster gets lift[month] on top. The assertions are about the centre grid, whose
// space-time neighbourhood is the cluster in this month and the previous one.
constexpr std::size_t k_centre = 12;
constexpr std::size_t k_corner = 0;

SpaceTimeCube cube_with_cluster(const std::vector<double>& lift) {
    const std::size_t months = lift.size();
    SpaceTimeCube cube(25, std::vector<double>(months));
    for (std::size_t g = 0; g < 25; ++g)
        for (std::size_t t = 0; t < months; ++t) cube[g][t] = 10 + static_cast<double>((g + t) % 2);
    for (std::size_t g : {7u, 11u, 12u, 13u, 17u})
        for (std::size_t t = 0; t < months; ++t) cube[g][t] += lift[t];
    return cube;
}

EmergingHotSpot centre_of(const std::vector<double>& lift) {
    const auto grids = emerging_hotspots(cube_with_cluster(lift), rook_lattice(5, 5));
    EXPECT_EQ(grids[k_corner].category, "no_pattern");
    return grids[k_centre];
}

std::vector<double> ramp(std::size_t months, double first, double step) {
    std::vector<double> v(months);
    for (std::size_t t = 0; t < months; ++t) v[t] = first + step * static_cast<double>(t);
    return v;
}

}  // namespace

TEST(EmergingHotSpots, New) {
    // Lifted in the final month only.
    EXPECT_EQ(centre_of({0, 0, 0, 0, 0, 0, 0, 0, 0, 8}).category, "new_hot_spot");
}

TEST(EmergingHotSpots, Consecutive) {
    // Lifted in the last three months; the previous-month link never reaches backwards.
    EXPECT_EQ(centre_of({0, 0, 0, 0, 0, 0, 0, 8, 8, 8}).category, "consecutive_hot_spot");
}

TEST(EmergingHotSpots, Intensifying) {
    // Lifted every month, more each month: hot throughout, z rising.
    const EmergingHotSpot g = centre_of(ramp(10, 16, 2));
    EXPECT_EQ(g.category, "intensifying_hot_spot");
    ASSERT_TRUE(g.trend.z && g.trend.p);
    EXPECT_GT(*g.trend.z, 0);
    EXPECT_LE(*g.trend.p, 0.05);
}

TEST(EmergingHotSpots, Persistent) {
    // Lifted every month by about the same: hot throughout, no trend.
    const EmergingHotSpot g = centre_of({8, 9, 8, 9, 8, 9, 8, 9, 8, 9});
    EXPECT_EQ(g.category, "persistent_hot_spot");
    EXPECT_GT(*g.trend.p, 0.05);
}

TEST(EmergingHotSpots, Diminishing) {
    // Lifted every month, less each month, still hot at the end.
    const EmergingHotSpot g = centre_of(ramp(10, 28, -2));
    EXPECT_EQ(g.category, "diminishing_hot_spot");
    EXPECT_LT(*g.trend.z, 0);
    ASSERT_TRUE(g.z.back() && g.p.back());
    EXPECT_GT(*g.z.back(), 0);
    EXPECT_LE(*g.p.back(), 0.05);
}

TEST(EmergingHotSpots, Sporadic) {
    // Lifted now and then, including the final month, never low.
    EXPECT_EQ(centre_of({0, 8, 0, 0, 0, 8, 0, 0, 0, 8}).category, "sporadic_hot_spot");
}

TEST(EmergingHotSpots, Oscillating) {
    // Sunk at the start (a cold spot), then lifted now and then up to the final month.
    EXPECT_EQ(centre_of({-8, -8, 0, 0, 8, 0, 0, 0, 0, 8}).category, "oscillating_hot_spot");
}

TEST(EmergingHotSpots, Historical) {
    // Hot for the first nine months while fading (a significant downward trend), then sunk
    // in the final month so it is no longer hot.
    std::vector<double> lift = ramp(9, 26, -2);
    lift.push_back(-10);
    const EmergingHotSpot g = centre_of(lift);
    EXPECT_EQ(g.category, "historical_hot_spot");
    ASSERT_TRUE(g.z.back() && g.p.back());
    EXPECT_FALSE(*g.z.back() > 0 && *g.p.back() <= 0.05);
}

TEST(EmergingHotSpots, NewColdSpot) {
    EXPECT_EQ(centre_of({0, 0, 0, 0, 0, 0, 0, 0, 0, -8}).category, "new_cold_spot");
}

TEST(EmergingHotSpots, PersistentColdSpot) {
    EXPECT_EQ(centre_of({-8, -9, -8, -9, -8, -9, -8, -9, -8, -9}).category, "persistent_cold_spot");
}

TEST(EmergingHotSpots, NoPattern) {
    const auto grids = emerging_hotspots(cube_with_cluster(std::vector<double>(10, 0)), rook_lattice(5, 5));
    for (const auto& g : grids) EXPECT_EQ(g.category, "no_pattern");
}

TEST(EmergingHotSpots, ZSeriesAndTrendAreReturned) {
    const EmergingHotSpot g = centre_of(ramp(10, 16, 2));
    ASSERT_EQ(g.z.size(), 10u);
    ASSERT_EQ(g.p.size(), 10u);
    for (std::size_t t = 0; t < 10; ++t) {
        ASSERT_TRUE(g.z[t]);
        EXPECT_NEAR(*g.p[t], std::erfc(std::abs(*g.z[t]) / std::sqrt(2.0)), 1e-15);
    }
    EXPECT_EQ(g.trend.s, 45);  // strictly rising
}

TEST(EmergingHotSpots, DegenerateCubesGiveNoPattern) {
    const auto flat = emerging_hotspots(SpaceTimeCube(4, std::vector<double>(6, 3.0)), rook_lattice(2, 2));
    ASSERT_EQ(flat.size(), 4u);
    for (const auto& g : flat) {
        EXPECT_EQ(g.category, "no_pattern");
        for (const auto& z : g.z) EXPECT_FALSE(z);
        EXPECT_FALSE(g.trend.z);
    }
    EXPECT_TRUE(emerging_hotspots({}, {}).empty());
    const auto no_months = emerging_hotspots(SpaceTimeCube(2), {{1}, {0}});
    ASSERT_EQ(no_months.size(), 2u);
    EXPECT_EQ(no_months[0].category, "no_pattern");
}

TEST(EmergingHotSpots, MalformedCubesAreRefused) {
    EXPECT_THROW(emerging_hotspots(SpaceTimeCube(3, std::vector<double>(4, 1.0)), {{1}, {0}}), wangge::Error);
    EXPECT_THROW(emerging_hotspots({{1, 2, 3}, {1, 2}}, {{1}, {0}}), wangge::Error);
}

TEST(SpaceTimeWeights, SelfAndNeighboursInThisAndThePreviousMonth) {
    // Grids 0 — 1, three months; cell = grid·3 + month.
    const Weights w = space_time_weights({{1}, {0}}, 3);
    ASSERT_EQ(w.size(), 6u);
    auto targets = [&](std::size_t cell) {
        std::vector<std::size_t> v;
        for (const Link& l : w.rows[cell]) v.push_back(l.to);
        std::sort(v.begin(), v.end());
        return v;
    };
    EXPECT_EQ(targets(0), (std::vector<std::size_t>{0, 3}));          // grid 0, month 0
    EXPECT_EQ(targets(2), (std::vector<std::size_t>{1, 2, 4, 5}));    // grid 0, month 2
    EXPECT_EQ(targets(4), (std::vector<std::size_t>{0, 1, 3, 4}));    // grid 1, month 1
}

TEST(NinetyPercent, IsTheCeilingInWholeMonths) {
    EXPECT_EQ(ninety_percent_of(0), 0u);
    EXPECT_EQ(ninety_percent_of(1), 1u);
    EXPECT_EQ(ninety_percent_of(10), 9u);
    EXPECT_EQ(ninety_percent_of(11), 10u);  // ⌈9.9⌉
    EXPECT_EQ(ninety_percent_of(12), 11u);  // ⌈10.8⌉
    EXPECT_EQ(ninety_percent_of(20), 18u);
}

namespace {

// Series for classify_emerging: 'H' hot (z = 3, p = 0.0027), 'C' cold, '.' neither.
struct Series {
    std::vector<std::optional<double>> z, p;
};

Series series(std::string_view pattern) {
    Series s;
    for (char c : pattern) {
        s.z.push_back(c == 'H' ? 3.0 : c == 'C' ? -3.0 : 0.5);
        s.p.push_back(c == '.' ? 0.6 : 0.0027);
    }
    return s;
}

MannKendall trend(double z) {
    MannKendall mk;
    mk.z = z;
    mk.p = std::erfc(std::abs(z) / std::sqrt(2.0));
    return mk;
}

}  // namespace

TEST(ClassifyEmerging, ColdSpotsIntensifyDownwards) {
    const Series s = series("CCCCCCCCCC");
    EXPECT_EQ(classify_emerging(s.z, s.p, trend(-3), 0.05), "intensifying_cold_spot");
    EXPECT_EQ(classify_emerging(s.z, s.p, trend(3), 0.05), "diminishing_cold_spot");
    EXPECT_EQ(classify_emerging(s.z, s.p, trend(0.5), 0.05), "persistent_cold_spot");
}

TEST(ClassifyEmerging, RemainingColdRules) {
    auto cls = [](std::string_view pattern) {
        const Series s = series(pattern);
        return classify_emerging(s.z, s.p, trend(0), 0.05);
    };
    EXPECT_EQ(cls("........CC"), "consecutive_cold_spot");
    EXPECT_EQ(cls("..C...C..C"), "sporadic_cold_spot");
    EXPECT_EQ(cls("..H...C..C"), "oscillating_cold_spot");
    EXPECT_EQ(cls("..........C"), "new_cold_spot");
}

TEST(ClassifyEmerging, HistoricalCountsTheEarlierMonths) {
    // STATS.md: "not hot in the final month, hot in ≥90% of the earlier months". With 12
    // months that is ⌈0.9·11⌉ = 10 of the 11 earlier ones; the first month here is not hot.
    const Series s = series(".HHHHHHHHHH.");
    EXPECT_EQ(classify_emerging(s.z, s.p, trend(0), 0.05), "historical_hot_spot");
    const Series fewer = series("..HHHHHHHHH.");
    EXPECT_EQ(classify_emerging(fewer.z, fewer.p, trend(0), 0.05), "no_pattern");
    // Hot in every earlier month and no trend is "persistent", which comes first.
    const Series all = series("HHHHHHHHHHH.");
    EXPECT_EQ(classify_emerging(all.z, all.p, trend(0), 0.05), "persistent_hot_spot");
}

TEST(ClassifyEmerging, AlphaIsAParameter) {
    // p = 0.0027 is significant at 0.05 and 0.01 but not at 0.001.
    const Series s = series(".........H");
    EXPECT_EQ(classify_emerging(s.z, s.p, trend(0), 0.05), "new_hot_spot");
    EXPECT_EQ(classify_emerging(s.z, s.p, trend(0), 0.001), "no_pattern");
}

TEST(ClassifyEmerging, MissingZIsNeitherHotNorCold) {
    const std::vector<std::optional<double>> z(5), p(5);
    EXPECT_EQ(classify_emerging(z, p, MannKendall{}, 0.05), "no_pattern");
}
