// The town directory (data/town_directory.hpp) against the real PostGIS: towns written by
// SQL are answered at once, known towns from memory, and with the change feed a rename or
// a removal reaches the copy without a request asking.

#include "core/error.hpp"
#include "data/change_feed.hpp"
#include "data/migrate.hpp"
#include "data/town_directory.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace wangge;

namespace {

using Clock = std::chrono::steady_clock;

// A migrated database with 婺城区 and, in it, 塔石乡 as an operator would load them.
struct Towns {
    test::TestDatabase t;
    explicit Towns(const std::string& name) : t(name) {
        data::migrate(t.db(), data::data_dir());
        t.scalar("INSERT INTO counties (code, name, kind, city, geom) VALUES ('330702', '婺城区', 'district', '金华市', "
                 "ST_Multi(ST_MakeEnvelope(119.3, 28.7, 119.8, 29.3, 4490)))");
        add("tashi", "塔石乡", "330702205", 119.50);
    }
    void add(const std::string& code, const std::string& name, const std::string& admin_code, double west) {
        t.scalar("INSERT INTO towns (town, name, kind, admin_code, county, geom) VALUES ('" + code + "', '" + name +
                 "', 'town', '" + admin_code + "', '330702', ST_Multi(ST_MakeEnvelope(" + std::to_string(west) + ", 28.8, " +
                 std::to_string(west + 0.01) + ", 28.9, 4490)))");
    }
};

template <class F>
bool within(std::chrono::milliseconds limit, F ok) {
    const auto end = Clock::now() + limit;
    while (!ok()) {
        if (Clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

}  // namespace

TEST(TownDirectory, KnowsATownWithItsCountyAndAnswersFromMemory) {
    Towns db("towns_dir");
    data::TownDirectory towns(db.t.db(), [] { return false; });
    const auto tashi = towns.find("tashi");
    ASSERT_TRUE(tashi);
    EXPECT_EQ(tashi->name, "塔石乡");
    EXPECT_EQ(tashi->admin_code, "330702205");
    EXPECT_EQ(tashi->county.code, "330702");
    EXPECT_EQ(tashi->county.name, "婺城区");
    EXPECT_EQ(tashi->county.kind, "district");
    EXPECT_EQ(tashi->county.city, "金华市");
    const auto before = towns.stats();
    EXPECT_EQ(before.loads, 1u);
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(towns.exists("tashi"));
    const auto after = towns.stats();
    EXPECT_EQ(after.hits - before.hits, 1000u);
    EXPECT_LE(after.loads, 2u) << "a thousand lookups of a known town read the table once (twice across a second)";
    EXPECT_EQ(after.lookups, 0u);
    // What PostgreSQL cannot hold is no town, and is not sent (libpq would cut at the NUL
    // and find tashi; the server would refuse bad UTF-8 with an error).
    EXPECT_FALSE(towns.exists(std::string("tashi\0' OR '1'='1", 17)));
    for (const char* bad : {"\xff", "ta\xc0\xafshi", "\xed\xa0\x80", "\xe5\xa1"}) EXPECT_FALSE(towns.exists(bad)) << bad;
    EXPECT_TRUE(towns.exists("tashi"));
    EXPECT_EQ(towns.stats().lookups, 0u);
    EXPECT_FALSE(towns.exists("塔石"));
    EXPECT_EQ(towns.stats().lookups, 1u) << "valid UTF-8 is asked for";
}

TEST(TownDirectory, WithoutTheFeedATownAddedBySqlIsSeenAtOnceAndARemovalWithinASecond) {
    Towns db("towns_dir_nofeed");
    data::TownDirectory towns(db.t.db(), [] { return false; });
    EXPECT_TRUE(towns.exists("tashi"));
    EXPECT_FALSE(towns.exists("jiangtang"));
    db.add("jiangtang", "蒋堂镇", "330702105", 119.45);
    EXPECT_TRUE(towns.exists("jiangtang")) << "a miss asks the database: no refusal is remembered without the feed";
    EXPECT_EQ(towns.stats().lookups, 2u);
    EXPECT_TRUE(towns.exists("jiangtang"));
    EXPECT_EQ(towns.stats().lookups, 2u) << "found once, kept";

    db.t.scalar("UPDATE towns SET name = '蒋堂' WHERE town = 'jiangtang'");
    db.t.scalar("DELETE FROM towns WHERE town = 'tashi'");
    EXPECT_TRUE(within(std::chrono::milliseconds(3000), [&] { return !towns.exists("tashi"); }));
    EXPECT_EQ(towns.find("jiangtang")->name, "蒋堂");
}

TEST(TownDirectory, WithTheFeedChangesArriveWithoutAskingAndRefusalsAreRemembered) {
    Towns db("towns_dir_feed");
    data::ChangeFeed feed(db.t.conninfo(), std::chrono::milliseconds(100));
    data::TownDirectory towns(db.t.db(), [&] { return feed.stats().connected; });
    feed.on("towns", [&] { towns.changed(); });
    feed.start();
    ASSERT_TRUE(within(std::chrono::milliseconds(5000), [&] { return feed.stats().connected; }));
    EXPECT_TRUE(towns.exists("tashi"));

    // An unknown code costs one query, then is answered from memory for a while.
    EXPECT_FALSE(towns.exists("atlantis"));
    const auto asked = towns.stats().lookups;
    for (int i = 0; i < 100; ++i) EXPECT_FALSE(towns.exists("atlantis"));
    EXPECT_EQ(towns.stats().lookups, asked);

    // Written by psql: the feed re-reads the copy; no request has to miss first.
    const auto loads = towns.stats().loads;
    db.add("atlantis", "亚特兰蒂斯镇", "330702999", 119.60);
    EXPECT_TRUE(within(std::chrono::milliseconds(3000), [&] { return towns.stats().loads > loads; }));
    EXPECT_TRUE(towns.exists("atlantis")) << "the refusal was forgotten with the change";
    db.t.scalar("UPDATE counties SET name = '婺城' WHERE code = '330702'");
    EXPECT_TRUE(within(std::chrono::milliseconds(3000), [&] { return towns.find("tashi")->county.name == "婺城"; }))
        << "a county's change is the towns' too";
    db.t.scalar("DELETE FROM towns WHERE town = 'atlantis'");
    EXPECT_TRUE(within(std::chrono::milliseconds(3000), [&] { return !towns.exists("atlantis"); }));

    // A grid edit bumps the town's grid generation: not a change of the directory.
    const auto settled = towns.stats().loads;
    db.t.scalar("UPDATE towns SET grid_generation = nextval('grid_generation_seq')");
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    EXPECT_EQ(towns.stats().loads, settled);
    feed.stop();
}

TEST(TownDirectory, ADatabaseThatIsDownIsA503NotAnUnknownTown) {
    data::Database down("host=/nonexistent-wangge port=1 dbname=none connect_timeout=1", 1);
    data::TownDirectory towns(down, [] { return false; });
    try {
        towns.exists("tashi");
        FAIL() << "answered without a database";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::database_unavailable);
    }
}
