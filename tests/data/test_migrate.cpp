// Migrations against the real PostGIS: applied once, recorded, and a second run changes
// nothing.

#include "core/embedded.hpp"
#include "data/migrate.hpp"
#include "data/text.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace wangge {
extern const std::vector<EmbeddedFile> k_migrations;
}

using namespace wangge;

namespace {

// Everything a migration or the reference-data sync could change, as one digest.
std::string schema_digest(test::TestDatabase& t) {
    return t.scalar(R"sql(
SELECT md5(concat_ws('|',
  (SELECT string_agg(table_name || '.' || column_name || ':' || data_type || ':' || is_nullable || ':' ||
                     coalesce(column_default, ''), ',' ORDER BY table_name, column_name)
     FROM information_schema.columns WHERE table_schema = 'public'),
  (SELECT string_agg(indexdef, ',' ORDER BY indexdef) FROM pg_indexes WHERE schemaname = 'public'),
  (SELECT string_agg(conname || pg_get_constraintdef(oid), ',' ORDER BY conname) FROM pg_constraint
     WHERE connamespace = 'public'::regnamespace),
  (SELECT string_agg(name || sha256 || applied_at::text, ',' ORDER BY name) FROM schema_migrations),
  (SELECT string_agg(c::text, ',' ORDER BY code) FROM categories c),
  (SELECT string_agg(h::text, ',' ORDER BY day) FROM holidays h),
  (SELECT string_agg(xmin::text, ',' ORDER BY code) FROM categories)))
)sql");
}

}  // namespace

TEST(Migrate, AppliesOnceAndASecondRunChangesNothing) {
    test::TestDatabase t("migrate");
    const auto first = data::migrate(t.db(), data::data_dir());
    ASSERT_FALSE(first.applied.empty());
    EXPECT_GT(first.categories_changed, 0);
    EXPECT_GT(first.holidays_changed, 0);
    const auto before = schema_digest(t);

    const auto second = data::migrate(t.db(), data::data_dir());
    EXPECT_TRUE(second.applied.empty());
    EXPECT_EQ(second.categories_changed, 0);
    EXPECT_EQ(second.holidays_changed, 0);
    EXPECT_EQ(schema_digest(t), before);
}

TEST(Migrate, CreatesTheSchemaWithPostgis) {
    test::TestDatabase t("schema");
    data::migrate(t.db(), data::data_dir());
    EXPECT_EQ(t.scalar("SELECT count(*) FROM pg_extension WHERE extname = 'postgis'"), "1");
    for (const char* table : {"towns", "grids", "workers", "grid_staff", "categories", "holidays", "reports",
                              "report_events", "api_tokens", "audit_log"})
        EXPECT_EQ(t.scalar(std::string("SELECT to_regclass('public.") + table + "') IS NOT NULL"), "t") << table;
    EXPECT_EQ(t.scalar("SELECT Find_SRID('public', 'grids', 'geom')"), "4490");
    EXPECT_EQ(t.scalar("SELECT count(*) FROM pg_indexes WHERE tablename = 'grids' AND indexdef LIKE '%gist%'"), "2");
    // Every table of town data leads its primary key with the town (distributable).
    EXPECT_EQ(t.scalar(R"sql(
SELECT count(*) FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
WHERE c.contype = 'p' AND r.relname IN ('towns','workers','grids','grid_staff','reports','report_events')
  AND (SELECT attname FROM pg_attribute WHERE attrelid = c.conrelid AND attnum = c.conkey[1]) = 'town')sql"),
              "6");
}

TEST(Migrate, HolidayCalendarIsLoaded) {
    test::TestDatabase t("calendar");
    data::migrate(t.db(), data::data_dir());
    EXPECT_EQ(t.scalar("SELECT kind FROM holidays WHERE day = '2026-02-17'"), "holiday");
    EXPECT_EQ(t.scalar("SELECT kind FROM holidays WHERE day = '2026-02-14'"), "workday");
    EXPECT_EQ(t.scalar("SELECT count(DISTINCT extract(year FROM day)) FROM holidays"), "3");
}

TEST(Migrate, CountiesComeToADatabaseThatHoldsThePilots) {
    test::TestDatabase t("counties");
    // The database as migrate left it before 0009 existed: every other migration
    // applied and recorded, and two pilot towns loaded (side by side, sharing an edge).
    auto migrations = k_migrations;
    std::sort(migrations.begin(), migrations.end(), [](auto& a, auto& b) { return a.name < b.name; });
    t.scalar("CREATE TABLE schema_migrations (name text PRIMARY KEY, sha256 text NOT NULL, "
             "applied_at timestamptz NOT NULL DEFAULT now())");
    for (const auto& m : migrations) {
        if (m.name == "0009_counties.sql") continue;
        t.scalar(std::string(m.content));
        t.scalar("INSERT INTO schema_migrations (name, sha256) VALUES ('" + std::string(m.name) + "', '" +
                 data::sha256_hex(m.content) + "')");
    }
    t.scalar("INSERT INTO towns (town, name, kind, admin_code, geom) VALUES "
             "('tashi', '塔石乡', 'township', '330702205', ST_Multi(ST_MakeEnvelope(119.50, 28.80, 119.55, 28.90, 4490))), "
             "('jiangtang', '蒋堂镇', 'town', '330702105', ST_Multi(ST_MakeEnvelope(119.45, 28.80, 119.50, 28.90, 4490)))");

    const auto result = data::migrate(t.db(), data::data_dir());
    EXPECT_EQ(result.applied, std::vector<std::string>{"0009_counties.sql"});
    EXPECT_EQ(t.scalar("SELECT string_agg(concat_ws(',', code, name, kind, city), ';') FROM counties"),
              "330702,婺城区,district,金华市");
    EXPECT_EQ(t.scalar("SELECT GeometryType(geom) || ST_IsValid(geom) || ST_SRID(geom) FROM counties"), "MULTIPOLYGONtrue4490");
    EXPECT_EQ(t.scalar("SELECT ST_Equals(c.geom, (SELECT ST_Union(geom) FROM towns)) FROM counties c"), "t")
        << "the county is its towns' union";
    EXPECT_EQ(t.scalar("SELECT string_agg(town || '=' || county, ',' ORDER BY town) FROM towns"),
              "jiangtang=330702,tashi=330702");
    EXPECT_EQ(t.scalar("SELECT is_nullable FROM information_schema.columns WHERE table_name = 'towns' AND column_name = 'county'"),
              "NO");
    // From now on a town names its county, and its division code must lie in it.
    auto refused = [&](const std::string& county, const std::string& admin_code) {
        try {
            t.scalar("INSERT INTO towns (town, name, kind, admin_code, county, geom) VALUES ('x', 'x', 'town', '" + admin_code +
                     "', " + county + ", ST_Multi(ST_MakeEnvelope(119.6, 28.8, 119.7, 28.9, 4490)))");
        } catch (const std::exception&) {
            return true;
        }
        return false;
    };
    EXPECT_TRUE(refused("NULL", "330702999"));
    EXPECT_TRUE(refused("'330703'", "330703999")) << "no such county";
    EXPECT_TRUE(refused("'330702'", "330703999")) << "a division code of another county";
    EXPECT_TRUE(refused("'330702'", "33070299")) << "not 9 digits";
    EXPECT_FALSE(refused("'330702'", "330702999"));
}

TEST(Migrate, AnEmptyDatabaseGetsNoCounty) {
    test::TestDatabase t("counties_empty");
    data::migrate(t.db(), data::data_dir());
    EXPECT_EQ(t.scalar("SELECT count(*) FROM counties"), "0");
    EXPECT_EQ(t.scalar("SELECT seq FROM change_counters WHERE topic = 'towns'"), "1");
}
