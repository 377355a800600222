// `demo-data --province` in the real PostGIS, with few reports: province-scale counts,
// grids that tile their towns, staff for every grid, reports inside their grids, the
// pilots exactly as the default demo lays them out, and the same data for the same seed
// whatever the thread count.

#include "core/time.hpp"
#include "data/demo.hpp"
#include "data/migrate.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>

#include <iostream>

using namespace wangge;

namespace {

constexpr int k_reports = 20000;

data::DemoOptions options(int threads) {
    data::DemoOptions o;
    o.seed = test::k_demo_seed;
    o.reports = k_reports;
    o.until = std::chrono::year{2026} / std::chrono::month{6};
    o.cutoff = *parse_rfc3339("2026-06-20T12:00:00+08:00");
    o.threads = threads;
    return o;
}

struct Loaded {
    test::TestDatabase province{"province"};
    test::TestDatabase again{"province_again"};
    test::TestDatabase pilots{"province_pilots"};
    data::ProvinceSummary summary;
};

class Province : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        w = std::make_unique<Loaded>();
        for (auto* t : {&w->province, &w->again, &w->pilots}) data::migrate(t->db(), data::data_dir());
        w->summary = data::load_demo_province(w->province.db(), options(2), data::data_dir(), false);
        std::cout << "province: plan " << w->summary.plan_seconds << " s, layout " << w->summary.layout_seconds
                  << " s, write " << w->summary.write_seconds << " s, reports " << w->summary.report_seconds << " s, total "
                  << w->summary.total_seconds << " s, " << w->summary.database_size << "\n";
        // One thread this time: the data must not depend on it.
        data::load_demo_province(w->again.db(), options(1), data::data_dir(), false);
        data::load_demo_data(w->pilots.db(), options(0), data::data_dir(), false);
    }
    static void TearDownTestSuite() { w.reset(); }

    static inline std::unique_ptr<Loaded> w;
    std::string q(const std::string& sql) { return w->province.scalar(sql); }
};

// What two loads must agree on: every grid, every worker, and one report in 50 with
// its events.
const char* k_fingerprint =
    "SELECT (SELECT md5(string_agg(concat_ws('|', town, id, code, name, ST_AsEWKB(geom)::text), ',' ORDER BY town, id)) "
    "FROM grids) || (SELECT md5(string_agg(concat_ws('|', town, id, name, phone, role), ',' ORDER BY town, id)) FROM workers) || "
    "(SELECT md5(string_agg(concat_ws('|', town, id, client_id, category, description, reporter, ST_AsEWKB(geom)::text, grid, "
    "status, reported_at, closed_at), ',' ORDER BY id)) FROM reports WHERE id % 50 = 0) || "
    "(SELECT md5(string_agg(concat_ws('|', town, report, seq, action, actor, at, details), ',' ORDER BY report, seq)) "
    "FROM report_events WHERE report % 50 = 0)";

}  // namespace

TEST_F(Province, HasProvinceScaleCounts) {
    EXPECT_EQ(q("SELECT count(*) FROM counties"), "90");
    const int towns = std::stoi(q("SELECT count(*) FROM towns"));
    EXPECT_GE(towns, 1200);
    EXPECT_LE(towns, 1400);
    const int grids = std::stoi(q("SELECT count(*) FROM grids WHERE valid_to IS NULL"));
    EXPECT_GE(grids, 60000);
    EXPECT_LE(grids, 66000);
    EXPECT_EQ(q("SELECT count(*) FROM towns t WHERE NOT EXISTS (SELECT 1 FROM grids g WHERE g.town = t.town)"), "0");
    long summed = 0;
    for (const auto& c : w->summary.counties) summed += c.grids;
    EXPECT_EQ(summed, grids);
}

TEST_F(Province, TownsCodesAndIdsFollowThePlan) {
    EXPECT_EQ(q("SELECT count(*) FROM towns WHERE town !~ '^t[0-9]{9}$' AND town NOT IN "
                "('chengdong', 'bailongqiao', 'jiangtang', 'tashi')"),
              "0");
    EXPECT_EQ(q("SELECT count(*) FROM towns WHERE town <> 't' || admin_code AND town NOT IN "
                "('chengdong', 'bailongqiao', 'jiangtang', 'tashi')"),
              "0");
    EXPECT_EQ(q("SELECT count(*) FROM grids WHERE id !~ ('^' || town || '-[0-9]{3,}$') OR code !~ ('^' || "
                "(SELECT admin_code FROM towns t WHERE t.town = grids.town) || '[0-9]{5}$')"),
              "0");
    EXPECT_EQ(q("SELECT count(*) FROM workers WHERE id !~ ('^' || town || '-s[0-9]{4,}$')"), "0");
    // Grid names: villages unique within a town, so names are too.
    EXPECT_EQ(q("SELECT count(*) FROM (SELECT town, name FROM grids GROUP BY town, name HAVING count(*) > 1) d"), "0");
    EXPECT_EQ(q("SELECT county FROM towns WHERE town = 'bailongqiao'"), "330702");
}

// Each town's grids cover it with no overlap: their areas add up to their union's, which
// is the town's, both within 1e-6.
TEST_F(Province, EveryTownsGridsTileIt) {
    const auto bad = q(
        "SELECT count(*) || ' ' || coalesce(string_agg(town, ' ') FILTER (WHERE n < 5), '') FROM ("
        "  SELECT t.town, row_number() OVER () AS n FROM towns t"
        "  JOIN LATERAL (SELECT sum(ST_Area(geom)) AS summed, ST_Area(ST_Union(geom)) AS united FROM grids g "
        "                WHERE g.town = t.town AND g.valid_to IS NULL) a ON true"
        "  WHERE abs(a.united - ST_Area(t.geom)) > 1e-6 * ST_Area(t.geom) OR a.summed - a.united > 1e-6 * a.united) b");
    EXPECT_EQ(bad, "0 ");
}

TEST_F(Province, NeighbouringGridsDoNotOverlapInASample) {
    EXPECT_EQ(q("SELECT count(*) FROM grids a JOIN grids b ON a.town = b.town AND a.id < b.id AND ST_Intersects(a.geom, b.geom) "
                "WHERE a.town IN (SELECT town FROM towns ORDER BY md5(town) LIMIT 60) AND ST_Overlaps(a.geom, b.geom) "
                "AND ST_Area(ST_Transform(ST_Intersection(a.geom, b.geom), 4549)) > 0.01"),
              "0");
}

TEST_F(Province, EveryGridHasALeaderAndAWorker) {
    EXPECT_EQ(q("SELECT count(*) FROM grids g WHERE (SELECT count(*) FROM grid_staff s JOIN workers w ON w.town = s.town "
                "AND w.id = s.worker WHERE s.town = g.town AND s.grid = g.id AND w.role = CASE s.role WHEN 'leader' "
                "THEN 'grid_leader' ELSE 'grid_worker' END) <> 2"),
              "0");
    // Command and platform staff per town, as the pilots have.
    EXPECT_EQ(q("SELECT count(*) FROM towns t WHERE (SELECT count(*) FROM workers w WHERE w.town = t.town AND "
                "w.role = 'command') <> 3 OR (SELECT count(DISTINCT platform) FROM workers w WHERE w.town = t.town) <> 4"),
              "0");
}

TEST_F(Province, EveryReportLiesInItsGrid) {
    const int reports = std::stoi(q("SELECT count(*) FROM reports"));
    EXPECT_GT(reports, k_reports * 9 / 10);
    EXPECT_LT(reports, k_reports * 11 / 10);
    EXPECT_EQ(q("SELECT count(*) FROM reports r JOIN grids g ON g.town = r.town AND g.id = r.grid AND g.version = r.grid_version "
                "WHERE NOT ST_Covers(g.geom, r.geom)"),
              "0");
    // Ids 1..n, town by town, the sequence past them, and every report has its key.
    EXPECT_EQ(q("SELECT min(id) || ' ' || max(id) || ' ' || count(DISTINCT id) FROM reports"),
              "1 " + std::to_string(reports) + " " + std::to_string(reports));
    EXPECT_EQ(q("SELECT last_value FROM reports_id_seq"), std::to_string(reports));
    EXPECT_EQ(q("SELECT count(*) FROM report_keys"), std::to_string(reports));
    EXPECT_EQ(q("SELECT count(*) FROM reports r WHERE NOT EXISTS (SELECT 1 FROM report_events e WHERE e.town = r.town "
                "AND e.report = r.id AND e.seq = 1 AND e.action = 'report')"),
              "0");
}

// Reports follow grids: towns with more grids get more, and none is left without.
TEST_F(Province, ReportsAreSharedByGridCount) {
    EXPECT_EQ(q("SELECT count(*) FROM towns t WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE r.town = t.town)"), "0");
    const double ratio = std::stod(q(
        "SELECT (SELECT count(*) FROM reports WHERE town IN ('chengdong', 'bailongqiao', 'jiangtang', 'tashi'))::float8 / "
        "count(*) / (212.0 / (SELECT count(*) FROM grids)) FROM reports"));
    EXPECT_NEAR(ratio, 1.0, 0.1);
}

TEST_F(Province, ThePilotsAreTheDefaultDemosTowns) {
    const std::string pilot_grids =
        "SELECT town || ':' || count(*) || ':' || md5(string_agg(concat_ws('|', id, code, name, ST_AsEWKB(geom)::text), ',' "
        "ORDER BY id)) FROM grids WHERE town IN ('chengdong', 'bailongqiao', 'jiangtang', 'tashi') GROUP BY town ORDER BY town";
    auto all = [&](test::TestDatabase& db) {
        return db.scalar("SELECT string_agg(x, ' ') FROM (" + pilot_grids + ") s(x)");
    };
    const auto province = all(w->province);
    EXPECT_EQ(province, all(w->pilots));
    for (const auto* expect : {"bailongqiao:75:", "chengdong:39:", "jiangtang:57:", "tashi:41:"})
        EXPECT_NE(province.find(expect), std::string::npos) << expect << " in " << province;
    const std::string outlines = "SELECT md5(string_agg(ST_AsEWKB(geom)::text, ',' ORDER BY town)) FROM towns "
                                 "WHERE town IN ('chengdong', 'bailongqiao', 'jiangtang', 'tashi')";
    EXPECT_EQ(w->province.scalar(outlines), w->pilots.scalar(outlines));
}

TEST_F(Province, IsTheSameForTheSameSeedWhateverTheThreads) {
    EXPECT_EQ(w->province.scalar(k_fingerprint), w->again.scalar(k_fingerprint));
    EXPECT_EQ(w->province.scalar("SELECT count(*) FROM report_events"), w->again.scalar("SELECT count(*) FROM report_events"));
}

TEST_F(Province, KeepsEveryIndexAndConstraint) {
    // The load drops and rebuilds the secondary indexes of reports and report_events.
    EXPECT_EQ(w->province.scalar("SELECT string_agg(indexname, ' ' ORDER BY indexname) FROM pg_indexes WHERE tablename "
                                 "IN ('reports', 'report_events')"),
              w->pilots.scalar("SELECT string_agg(indexname, ' ' ORDER BY indexname) FROM pg_indexes WHERE tablename "
                               "IN ('reports', 'report_events')"));
    EXPECT_EQ(q("SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = 'reports'::regclass AND NOT i.indisvalid"),
              "0");
}

TEST_F(Province, RefusesToLoadOverTownsWithoutReplace) {
    EXPECT_ANY_THROW(data::load_demo_province(w->pilots.db(), options(2), data::data_dir(), false));
}
