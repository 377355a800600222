// Migrations against the real PostGIS: applied once, recorded, and a second run changes
// nothing.

#include "data/migrate.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>

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
