// The tile cache: LRU order within a byte budget, entries valid for one source only,
// adopted for a new source when the picture they show is still right.

#include "tiles/tile_cache.hpp"

#include <gtest/gtest.h>

using wangge::tiles::TileCache;

TEST(TileCache, HitsOnlyWithTheSameETag) {
    TileCache cache(1 << 20);
    cache.put("grids/14/1/2", "\"a\"", "\"a\"", "png-bytes");
    EXPECT_EQ(cache.find("grids/14/1/2", "\"a\"")->bytes, "png-bytes");
    EXPECT_FALSE(cache.find("grids/14/1/2", "\"b\"")) << "the data changed since";
    EXPECT_FALSE(cache.find("grids/14/1/3", "\"a\""));
    cache.put("grids/14/1/2", "\"b\"", "\"b\"", "new-bytes");
    EXPECT_EQ(cache.find("grids/14/1/2", "\"b\"")->bytes, "new-bytes");
    EXPECT_EQ(cache.stats().entries, 1u);
}

TEST(TileCache, EvictsTheLeastRecentlyUsedWithinTheBudget) {
    TileCache cache(3 * (1000 + 200));
    const std::string kb(1000, 'x');
    cache.put("a", "e", "e", kb);
    cache.put("b", "e", "e", kb);
    cache.put("c", "e", "e", kb);
    ASSERT_TRUE(cache.find("a", "e"));  // a is now the most recent
    cache.put("d", "e", "e", kb);       // evicts b
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
    cache.put("big", "e", "e", std::string(1000, 'x'));
    EXPECT_FALSE(cache.find("big", "e"));
    EXPECT_EQ(cache.stats().bytes, 0u);
}

TEST(TileCache, AStaleEntryIsAdoptedOnlyWhenItShowsTheSameETag) {
    TileCache cache(1 << 20);
    cache.put("reports/12/1/2", "v1", "\"cells-a\"", "png-a");
    EXPECT_FALSE(cache.find("reports/12/1/2", "v2")) << "drawn from older data";
    EXPECT_FALSE(cache.adopt("reports/12/1/2", "\"cells-b\"", "v2")) << "the picture changed: draw again";
    EXPECT_FALSE(cache.find("reports/12/1/2", "v2")) << "a refused adoption leaves the entry as it was";
    EXPECT_EQ(cache.adopt("reports/12/1/2", "\"cells-a\"", "v2"), "png-a");
    const auto hit = cache.find("reports/12/1/2", "v2");
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->etag, "\"cells-a\"");
    EXPECT_EQ(hit->bytes, "png-a");
    EXPECT_FALSE(cache.find("reports/12/1/2", "v1")) << "the entry now answers for the new source only";
    EXPECT_FALSE(cache.adopt("reports/12/9/9", "\"cells-a\"", "v2"));
    EXPECT_EQ(cache.stats().adopted, 1u);
}
