// The tile cache: LRU order within a byte budget, entries valid for one ETag only.

#include "tiles/tile_cache.hpp"

#include <gtest/gtest.h>

using wangge::tiles::TileCache;

TEST(TileCache, HitsOnlyWithTheSameETag) {
    TileCache cache(1 << 20);
    cache.put("grids/14/1/2", "\"a\"", "png-bytes");
    EXPECT_EQ(cache.find("grids/14/1/2", "\"a\""), "png-bytes");
    EXPECT_FALSE(cache.find("grids/14/1/2", "\"b\"")) << "the data changed since";
    EXPECT_FALSE(cache.find("grids/14/1/3", "\"a\""));
    cache.put("grids/14/1/2", "\"b\"", "new-bytes");
    EXPECT_EQ(cache.find("grids/14/1/2", "\"b\""), "new-bytes");
    EXPECT_EQ(cache.stats().entries, 1u);
}

TEST(TileCache, EvictsTheLeastRecentlyUsedWithinTheBudget) {
    TileCache cache(3 * (1000 + 200));
    const std::string kb(1000, 'x');
    cache.put("a", "e", kb);
    cache.put("b", "e", kb);
    cache.put("c", "e", kb);
    ASSERT_TRUE(cache.find("a", "e"));  // a is now the most recent
    cache.put("d", "e", kb);            // evicts b
    EXPECT_TRUE(cache.find("a", "e"));
    EXPECT_FALSE(cache.find("b", "e"));
    EXPECT_TRUE(cache.find("c", "e"));
    EXPECT_TRUE(cache.find("d", "e"));
    const auto st = cache.stats();
    EXPECT_LE(st.bytes, st.budget);
    EXPECT_EQ(st.evictions, 1u);
}

TEST(TileCache, AnEntryLargerThanTheBudgetIsNotKept) {
    TileCache cache(500);
    cache.put("big", "e", std::string(1000, 'x'));
    EXPECT_FALSE(cache.find("big", "e"));
    EXPECT_EQ(cache.stats().bytes, 0u);
}
