// The kernel density of STATS.md "Heatmap" on hand-placed points: the quartic kernel's
// shape and mass, zero beyond the radius, and tiles that join without seams.

#include "tiles/heatmap.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

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

namespace {

std::shared_ptr<const Bucket> random_bucket(const BucketKey& key, std::mt19937_64& rng, int n) {
    static std::int64_t version = 0;
    auto bucket = std::make_shared<Bucket>();
    bucket->key = key;
    bucket->version = ++version;
    // Clustered: a few hot spots in a 3 km square, so that cells often tie and the
    // busiest cell moves from one snapshot to the next.
    std::uniform_real_distribution<double> spot(0, 3000), jitter(-60, 60);
    std::uniform_int_distribution<int> status(0, 6);
    const double hx = spot(rng), hy = spot(rng);
    for (int i = 0; i < n; ++i) {
        ReportPoint p;
        p.id = i;
        p.x = (i % 3 == 0 ? spot(rng) : hx + jitter(rng));
        p.y = (i % 3 == 0 ? spot(rng) : hy + jitter(rng));
        p.status = static_cast<std::uint8_t>(status(rng));
        bucket->points.push_back(p);
        bucket->bbox.extend(p.x, p.y);
    }
    std::sort(bucket->points.begin(), bucket->points.end(), [](auto& a, auto& b) { return a.x < b.x; });
    return bucket;
}

}  // namespace

// A heatmap's scale is followed from snapshot to snapshot by recounting the buckets whose
// version changed; whatever the order the snapshots come in (a request may still hold an older
// one), the answer is the one counted from scratch.
TEST(DensityPeak, FollowsSnapshotsToTheSameAnswerAsCountingAgain) {
    std::mt19937_64 rng(11);
    const std::vector<std::string> towns{"a", "b", "c"};
    std::vector<Snapshot> history;
    Snapshot s;
    for (const auto& t : towns)
        for (int g = 0; g < 6; ++g) {
            const BucketKey key{t, t + std::to_string(g)};
            s.buckets[key] = random_bucket(key, rng, 40);
        }
    history.push_back(s);
    std::uniform_int_distribution<int> pick(0, 17), what(0, 9), size(0, 80);
    for (int v = 1; v <= 40; ++v) {
        s.version = v;
        for (int k = 0, changes = 1 + what(rng) % 3; k < changes; ++k) {
            const int i = pick(rng);
            const BucketKey key{towns[static_cast<std::size_t>(i / 6)], towns[static_cast<std::size_t>(i / 6)] + std::to_string(i % 6)};
            if (what(rng) == 0) {
                s.buckets.erase(key);  // a retired grid
            } else {
                s.buckets[key] = random_bucket(key, rng, size(rng));
            }
        }
        history.push_back(s);
    }
    CompiledFilter all, town_b, open_in_two;
    town_b.towns = {"b"};
    open_in_two.towns = {"c", "a", "c"};
    open_in_two.statuses = 0b0001111;
    for (const auto* f : {&all, &town_b, &open_in_two})
        for (double mpp : {2.0, 9.5}) {
            DensityPeak peak(*f, mpp, 24);
            std::vector<std::size_t> order(history.size());
            for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
            std::shuffle(order.begin() + 5, order.end(), rng);  // forward first, then anywhere
            for (auto i : order)
                ASSERT_DOUBLE_EQ(peak.at(history[i]), derived_scale_max(history[i], *f, mpp, 24)) << "snapshot " << i;
        }
}

// The town index skips whole towns and visits exactly the buckets the bucket-by-bucket
// walk visits, in the same order (tile ETags fold them in that order).
TEST(SnapshotTowns, TheTownIndexVisitsWhatTheBucketWalkVisits) {
    std::mt19937_64 rng(5);
    Snapshot s;
    for (const std::string town : {"a", "b", "c", "d"})
        for (int g = 0; g < 5; ++g) {
            const BucketKey key{town, town + std::to_string(g)};
            auto b = std::make_shared<Bucket>(*random_bucket(key, rng, g == 4 ? 0 : 30));  // one empty bucket per town
            const double dx = 5000.0 * (town[0] - 'a');  // towns side by side
            for (auto& p : b->points) p.x += dx;
            b->bbox = Box::empty();
            for (const auto& p : b->points) b->bbox.extend(p.x, p.y);
            s.buckets[key] = b;
        }
    Snapshot walked = s;  // no town index: bucket by bucket
    s.index_towns();
    CompiledFilter all, two;
    two.towns = {"d", "b"};
    std::uniform_real_distribution<double> at(-2000, 22000), size(1, 6000);
    for (int i = 0; i < 200; ++i) {
        const double x = at(rng), y = at(rng) / 4;
        const Box box{x, y, x + size(rng), y + size(rng)};
        for (const auto* f : {&all, &two}) {
            std::vector<BucketKey> mine, theirs;
            s.for_each_bucket(*f, box, [&](const BucketKey& k, const Bucket&) { mine.push_back(k); });
            walked.for_each_bucket(*f, box, [&](const BucketKey& k, const Bucket&) { theirs.push_back(k); });
            ASSERT_EQ(mine, theirs);
        }
    }
}

// A layer with more cells than DensityPeak follows is counted afresh, with the same answer.
TEST(DensityPeak, ALayerOfTooManyCellsIsCountedAfreshWithTheSameAnswer) {
    auto bucket = std::make_shared<Bucket>();
    bucket->key = {"a", "a1"};
    bucket->version = 1;
    for (std::size_t i = 0; i < DensityPeak::k_max_cells + 10; ++i) {
        ReportPoint p;
        p.x = static_cast<double>(i) * 100.0;  // a cell each at 2 m/px × 24 px
        p.y = static_cast<double>(i % 7) * 100.0;
        bucket->points.push_back(p);
        bucket->bbox.extend(p.x, p.y);
    }
    for (int i = 0; i < 3; ++i) bucket->points.push_back(bucket->points[5]);  // the busiest cell
    std::sort(bucket->points.begin(), bucket->points.end(), [](auto& a, auto& b) { return a.x < b.x; });
    Snapshot s;
    s.buckets[bucket->key] = bucket;
    DensityPeak peak(CompiledFilter{}, 2, 24);
    EXPECT_DOUBLE_EQ(peak.at(s), derived_scale_max(s, CompiledFilter{}, 2, 24));
    s.version = 2;
    EXPECT_DOUBLE_EQ(peak.at(s), derived_scale_max(s, CompiledFilter{}, 2, 24));
}
