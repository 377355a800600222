// Migration 0003: writes to reports and grids stamp the (town, grid) buckets they touch,
// whoever writes them, so tiles know what changed.

#include "data/tile_store.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace wangge;

namespace {

std::int64_t version_of(const std::vector<data::BucketVersion>& all, const std::string& town, const std::string& grid) {
    auto it = std::find_if(all.begin(), all.end(), [&](const auto& v) { return v.town == town && v.grid == grid; });
    return it == all.end() ? 0 : it->version;
}

}  // namespace

TEST(TileVersions, WritesStampTheBucketsTheyTouchAndNoOthers) {
    auto& t = test::demo_database();
    const auto before = data::tile_versions_since(t.db(), 0);
    ASSERT_FALSE(before.empty()) << "the demo load stamped its buckets";
    std::int64_t top = 0;
    for (const auto& v : before) top = std::max(top, v.version);

    const auto id = t.scalar(
        "INSERT INTO reports (town, client_id, category, platform, source, geom, input_lon, input_lat, grid, grid_version, "
        "assign_method, status, reported_at) SELECT 'tashi', 'versions-test', 'shehui_zhian', 'zongzhi', 'app', "
        "ST_PointOnSurface(geom), 0, 0, id, version, 'contains', 'reported', now() FROM grids "
        "WHERE id = 'tashi-003' AND valid_to IS NULL RETURNING id");
    auto changed = data::tile_versions_since(t.db(), top);
    ASSERT_EQ(changed.size(), 1u);
    EXPECT_EQ(changed[0].town, "tashi");
    EXPECT_EQ(changed[0].grid, "tashi-003");
    top = changed[0].version;

    // Moving it to no grid stamps both the grid it left and the town's unassigned bucket.
    t.scalar("UPDATE reports SET grid = NULL, grid_version = NULL, assign_method = 'none' WHERE town = 'tashi' AND id = " + id);
    changed = data::tile_versions_since(t.db(), top);
    EXPECT_EQ(changed.size(), 2u);
    EXPECT_GT(version_of(changed, "tashi", "tashi-003"), top);
    EXPECT_GT(version_of(changed, "tashi", ""), top);
    for (const auto& v : changed) top = std::max(top, v.version);

    t.scalar("DELETE FROM reports WHERE town = 'tashi' AND id = " + id);
    changed = data::tile_versions_since(t.db(), top);
    ASSERT_EQ(changed.size(), 1u);
    EXPECT_EQ(changed[0].grid, "");
    top = changed[0].version;

    // A grid edit stamps that grid.
    t.scalar("UPDATE grids SET name = name WHERE town = 'tashi' AND id = 'tashi-007' AND valid_to IS NULL");
    changed = data::tile_versions_since(t.db(), top);
    ASSERT_EQ(changed.size(), 1u);
    EXPECT_EQ(changed[0].grid, "tashi-007");
    EXPECT_TRUE(data::tile_versions_since(t.db(), changed[0].version).empty()) << "nothing else moved";
}
