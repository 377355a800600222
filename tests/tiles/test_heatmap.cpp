// The kernel density of STATS.md "Heatmap" on hand-placed points: the quartic kernel's
// shape and mass, zero beyond the radius, and tiles that join without seams.

#include "tiles/heatmap.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

using namespace wangge::tiles;

namespace {

// One bucket holding the given points (EPSG:3857 metres).
Snapshot snapshot_of(std::vector<std::pair<double, double>> xy) {
    auto bucket = std::make_shared<Bucket>();
    bucket->key = {"bailongqiao", "bailongqiao-001"};
    for (auto [x, y] : xy) {
        ReportPoint p;
        p.x = x, p.y = y;
        bucket->points.push_back(p);
        bucket->bbox.extend(x, y);
    }
    std::sort(bucket->points.begin(), bucket->points.end(), [](auto& a, auto& b) { return a.x < b.x; });
    Snapshot s;
    s.buckets[bucket->key] = bucket;
    return s;
}

const Box k_tile{0, 0, 2560, 2560};  // 256 px of 10 m

}  // namespace

TEST(KernelDensity, OnePointHasTheQuarticShapeAndUnitMass) {
    // A point at the centre of pixel (128, 127): x = 1285, y = 2560 − 1275.
    const auto s = snapshot_of({{1285, 1285}});
    const auto d = kernel_density(s, CompiledFilter{}, k_tile, 256, 256, 24);
    const double r = 24, peak = 3 / (std::numbers::pi * r * r);
    const auto at = [&](int x, int y) { return d.values[static_cast<std::size_t>(y * 256 + x)]; };
    EXPECT_NEAR(at(128, 127), peak, 1e-9);
    EXPECT_NEAR(at(128 + 12, 127), peak * std::pow(1 - 0.25, 2), 1e-9) << "d = r/2";
    EXPECT_EQ(at(128 + 24, 127), 0.0f) << "d = r is outside the kernel";
    EXPECT_EQ(at(128 + 17, 127 + 17), 0.0f) << "d = 24.04 > r";
    double mass = 0;
    for (float v : d.values) mass += v;
    EXPECT_NEAR(mass, 1.0, 0.01) << "the kernel integrates to one report";
}

TEST(KernelDensity, PointsOutsideTheTileWithinTheRadiusStillCount) {
    // 10 px west of the tile: its kernel reaches 14 px into the tile.
    const auto s = snapshot_of({{-95, 1285}});
    const auto d = kernel_density(s, CompiledFilter{}, k_tile, 256, 256, 24);
    EXPECT_GT(d.values[127 * 256 + 0], 0.0f);
    EXPECT_GT(d.values[127 * 256 + 12], 0.0f);
    EXPECT_EQ(d.values[127 * 256 + 14], 0.0f);
}

TEST(KernelDensity, FourTilesEqualOneImageOfTheSameArea) {
    std::vector<std::pair<double, double>> pts;
    std::uint64_t state = 42;
    auto next = [&] {  // splitmix64: the same points everywhere
        state += 0x9e3779b97f4a7c15ull;
        std::uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return static_cast<double>((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
    };
    for (int i = 0; i < 3000; ++i) pts.emplace_back(-1000 + 7120 * next(), -1000 + 7120 * next());
    const auto s = snapshot_of(pts);
    const Box whole{0, 0, 5120, 5120};
    const auto big = kernel_density(s, CompiledFilter{}, whole, 512, 512, 24);
    for (int ty = 0; ty < 2; ++ty)
        for (int tx = 0; tx < 2; ++tx) {
            const Box tile{tx * 2560.0, (1 - ty) * 2560.0, (tx + 1) * 2560.0, (2 - ty) * 2560.0};
            const auto small = kernel_density(s, CompiledFilter{}, tile, 256, 256, 24);
            double worst = 0;
            for (int y = 0; y < 256; ++y)
                for (int x = 0; x < 256; ++x) {
                    const double a = small.values[static_cast<std::size_t>(y * 256 + x)];
                    const double b = big.values[static_cast<std::size_t>((ty * 256 + y) * 512 + tx * 256 + x)];
                    worst = std::max(worst, std::abs(a - b) / std::max(1e-12, std::abs(b)));
                }
            EXPECT_LT(worst, 1e-4) << "tile " << tx << "," << ty;
        }
}

TEST(KernelDensity, FiltersApply) {
    auto s = snapshot_of({{1285, 1285}});
    CompiledFilter none_match;
    none_match.platforms = 0;
    const auto d = kernel_density(s, none_match, k_tile, 256, 256, 24);
    for (float v : d.values) ASSERT_EQ(v, 0.0f);
}

TEST(DerivedScale, IsTheDensityAtTheBusiestCellAndNeverBelowOnePeak) {
    const double peak = 3 / (std::numbers::pi * 24 * 24);
    EXPECT_DOUBLE_EQ(derived_scale_max(snapshot_of({}), CompiledFilter{}, 10, 24), peak);
    // Five reports at one spot, one elsewhere: the scale top is five peaks at most.
    const auto s = snapshot_of({{1285, 1285}, {1285, 1285}, {1285, 1285}, {1285, 1285}, {1285, 1285}, {50, 50}});
    const double top = derived_scale_max(s, CompiledFilter{}, 10, 24);
    EXPECT_GT(top, peak);
    EXPECT_LE(top, 5 * peak + 1e-12);
}
