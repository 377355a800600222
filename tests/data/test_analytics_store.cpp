// The analytics store against the demo database: the in-process copy answers exactly as
// SQL does, and catches up with writes through report_changes.

#include "data/analytics_store.hpp"
#include "data/analytics_store_cache.hpp"
#include "data/change_feed.hpp"
#include "data/migrate.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>

using namespace wangge;
using namespace wangge::data;

namespace {

Timestamp at(const char* text) { return *parse_instant(text); }

void expect_same(const std::vector<analytics::ReportFacts>& a, const std::vector<analytics::ReportFacts>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        SCOPED_TRACE(a[i].id);
        EXPECT_EQ(a[i].id, b[i].id);
        EXPECT_EQ(a[i].town, b[i].town);
        EXPECT_EQ(a[i].grid, b[i].grid);
        EXPECT_EQ(a[i].platform, b[i].platform);
        EXPECT_EQ(a[i].category, b[i].category);
        EXPECT_EQ(a[i].reported_at, b[i].reported_at);
        EXPECT_EQ(a[i].accepted_at, b[i].accepted_at);
        EXPECT_EQ(a[i].dispatched_at, b[i].dispatched_at);
        EXPECT_EQ(a[i].due_at, b[i].due_at);
        EXPECT_EQ(a[i].closed_at, b[i].closed_at);
        EXPECT_EQ(a[i].reopened, b[i].reopened);
        EXPECT_EQ(a[i].supervised, b[i].supervised);
        EXPECT_EQ(a[i].assignees, b[i].assignees);
    }
}

std::vector<analytics::ReportFacts> open_at(std::vector<analytics::ReportFacts> facts, Timestamp as_of) {
    std::erase_if(facts, [&](const analytics::ReportFacts& f) {
        return !f.dispatched_at || *f.dispatched_at > as_of || f.closed_at.has_value();
    });
    return facts;
}

}  // namespace

TEST(AnalyticsStore, TheInProcessCopyAnswersExactlyAsSql) {
    auto& db = test::demo_database().db();
    ReportCache cache(db);
    const std::vector<HistoryQuery> queries{
        {"chengdong", at("2026-05-01"), at("2026-06-01"), at("2026-06-20T12:00:00+08:00"), false},
        {"tashi", at("2026-03-01"), at("2026-04-01"), at("2026-03-20T00:00:00+08:00"), false},  // as_of inside
        {"all", at("2025-07-01"), at("2026-07-01"), at("2026-06-20T12:00:00+08:00"), false},
        {"bailongqiao", at("2026-01-01"), at("2026-02-01"), at("2026-01-10T00:00:00+08:00"), false},
    };
    for (const auto& q : queries) {
        SCOPED_TRACE(q.town + " " + format_rfc3339(q.from));
        const auto sql = load_facts(db, q);
        EXPECT_FALSE(sql.empty());
        expect_same(cache.facts(q), sql);
    }
    // With the open reports added, both agree on which are open at as_of.
    HistoryQuery open{"jiangtang", at("2026-05-01"), at("2026-06-01"), at("2026-06-01"), true};
    const auto open_sql = open_at(load_facts(db, open), open.as_of);
    EXPECT_FALSE(open_sql.empty());
    expect_same(open_at(cache.facts(open), open.as_of), open_sql);
    EXPECT_EQ(cache.stats().full_loads, 1u);
    EXPECT_EQ(std::to_string(cache.stats().reports), test::demo_database().scalar("SELECT count(*) FROM reports"));
}

TEST(AnalyticsStore, TheCopyCatchesUpWithNewEventsAndDeletions) {
    auto& t = test::demo_database();
    ReportCache cache(t.db());
    const Timestamp as_of = at("2026-06-21T00:00:00+08:00");
    const HistoryQuery q{"tashi", at("2025-07-01"), at("2026-07-01"), as_of, true};
    const auto before = open_at(cache.facts(q), as_of);
    ASSERT_FALSE(before.empty()) << "the demo has open reports at the cutoff";
    const auto victim = before.front();

    // Close it after the cutoff, before as_of: the copy sees it on the next call.
    const std::string id = std::to_string(victim.id);
    t.scalar("INSERT INTO report_events (town, report, seq, action, from_status, to_status, actor, at) "
             "SELECT town, id, (SELECT max(seq) + 1 FROM report_events WHERE town = 'tashi' AND report = " + id +
             "), 'close', 'resolved', 'closed', 'test', '2026-06-20T18:00:00+08:00' FROM reports "
             "WHERE town = 'tashi' AND id = " + id);
    auto after = open_at(cache.facts(q), as_of);
    EXPECT_EQ(after.size() + 1, before.size());
    EXPECT_TRUE(std::none_of(after.begin(), after.end(), [&](const auto& f) { return f.id == victim.id; }));
    expect_same(after, open_at(load_facts(t.db(), q), as_of));
    EXPECT_EQ(cache.stats().full_loads, 1u) << "caught up piecemeal";
    EXPECT_GE(cache.stats().reports_reloaded, 1u);

    // And back.
    t.scalar("DELETE FROM report_events WHERE town = 'tashi' AND report = " + id + " AND actor = 'test'");
    expect_same(open_at(cache.facts(q), as_of), before);
}

// Every write makes the copy re-read the reports it touched; their old event slots are
// compacted away, so a node under steady writes holds what the data holds, not its history.
TEST(AnalyticsStore, ReReadingTheSameReportsOverAndOverKeepsTheCopyTheSizeOfTheData) {
    auto& t = test::demo_database();
    ReportCache cache(t.db());
    cache.refresh();
    const auto start = cache.stats();
    std::size_t touched = 0;
    for (int round = 0; round < 30; ++round) {
        touched += std::stoul(t.scalar("WITH touched AS (UPDATE reports SET description = description WHERE town = 'tashi' AND id IN "
                 "(SELECT id FROM reports WHERE town = 'tashi' ORDER BY id LIMIT 500) RETURNING 1) SELECT count(*) FROM touched"));
        cache.refresh();
    }
    const auto end = cache.stats();
    ASSERT_GE(touched, 30u * 300) << "tashi's demo reports";
    EXPECT_GE(end.reports_reloaded, start.reports_reloaded + touched);
    EXPECT_EQ(end.reports, start.reports);
    EXPECT_EQ(end.events, start.events);
    // Without compaction the slots would be start + 30 × (the touched reports' events).
    EXPECT_LE(end.event_slots, end.events + std::max<std::size_t>(4096, end.events / 8) + 500 * 8);
    // Grown by a quarter, never doubled: allocated within 1.25× of what is held plus the
    // last catch-up's rows.
    EXPECT_LE(end.event_capacity, (end.event_slots + 500 * 8) * 5 / 4 + 1);
    EXPECT_GT(end.bytes, end.event_slots * 16) << "the copy's memory is reported";
    const HistoryQuery q{"tashi", at("2025-07-01"), at("2026-07-01"), at("2026-06-21T00:00:00+08:00"), true};
    expect_same(cache.facts(q), load_facts(t.db(), q));
}

TEST(AnalyticsStore, CountsPerGridFromTheCopyEqualSql) {
    auto& db = test::demo_database().db();
    ReportCache cache(db);
    for (const char* town : {"chengdong", "all"}) {
        const auto grids = load_grid_set(db, town, analytics::Contiguity::queen);
        const std::optional<std::string> zhifa("zhifa"), none;
        EXPECT_EQ(load_grid_counts(db, grids, town, at("2026-01-01"), at("2026-04-01"), none, none, &cache),
                  load_grid_counts(db, grids, town, at("2026-01-01"), at("2026-04-01"), none, none));
        EXPECT_EQ(load_grid_counts(db, grids, town, at("2026-01-01"), at("2026-04-01"), zhifa, none, &cache),
                  load_grid_counts(db, grids, town, at("2026-01-01"), at("2026-04-01"), zhifa, none));
        const auto end = std::chrono::year{2026} / std::chrono::month{6};
        EXPECT_EQ(load_monthly_counts(db, grids, town, end, 12, none, std::string("hedao_baojie"), &cache),
                  load_monthly_counts(db, grids, town, end, 12, none, std::string("hedao_baojie")));
        EXPECT_EQ(load_monthly_counts(db, grids, town, end, 14, none, none, &cache),
                  load_monthly_counts(db, grids, town, end, 14, none, none));
        EXPECT_EQ(load_monthly_counts(db, grids, town, end, 3, none, std::string("no_such_code"), &cache),
                  load_monthly_counts(db, grids, town, end, 3, none, std::string("no_such_code")));
    }
}

void expect_same(const analytics::Indicators& a, const analytics::Indicators& b) {
    EXPECT_EQ(a.reported, b.reported);
    EXPECT_EQ(a.accepted, b.accepted);
    EXPECT_EQ(a.dispatched, b.dispatched);
    EXPECT_EQ(a.due, b.due);
    EXPECT_EQ(a.closed, b.closed);
    EXPECT_EQ(a.closed_on_time, b.closed_on_time);
    EXPECT_EQ(a.overdue_open, b.overdue_open);
    EXPECT_EQ(a.in_time_open, b.in_time_open);
    EXPECT_EQ(a.reopened, b.reopened);
    EXPECT_EQ(a.supervised, b.supervised);
    EXPECT_EQ(a.completion_rate, b.completion_rate);
    EXPECT_EQ(a.on_time_rate, b.on_time_rate);
    EXPECT_EQ(a.rework_rate, b.rework_rate);
    EXPECT_EQ(a.median_hours, b.median_hours);
    EXPECT_EQ(a.p90_hours, b.p90_hours);
}

// The completion table counted from the copy's ids (no facts built) is the one SQL's
// facts give, for every grouping, with as_of at the end and inside the period (events
// after it must not count), and after writes the copy caught up with.
TEST(AnalyticsStore, CompletionFromTheCopyEqualsCompletionFromSql) {
    auto& t = test::demo_database();
    ReportCache cache(t.db());
    const std::vector<analytics::CompletionParams> periods{
        {"chengdong", at("2025-07-01"), at("2026-07-01"), analytics::CompletionBy::town, at("2026-06-21T00:00:00+08:00")},
        {"tashi", at("2026-03-01"), at("2026-04-01"), analytics::CompletionBy::town, at("2026-03-20T00:00:00+08:00")},
        {"all", at("2026-01-01"), at("2026-07-01"), analytics::CompletionBy::town, at("2026-05-10T08:00:00+08:00")},
    };
    auto check = [&] {
        for (auto p : periods) {
            for (auto by : {analytics::CompletionBy::town, analytics::CompletionBy::grid, analytics::CompletionBy::platform,
                            analytics::CompletionBy::category, analytics::CompletionBy::worker, analytics::CompletionBy::month}) {
                p.by = by;
                SCOPED_TRACE(p.town + " by " + std::string(analytics::by_name(by)) + " as of " + format_rfc3339(p.as_of));
                const auto copy = completion_report(t.db(), p, &cache);
                const auto sql = completion_report(t.db(), p, nullptr);
                EXPECT_GT(sql.total.dispatched, 0);
                expect_same(copy.total, sql.total);
                ASSERT_EQ(copy.rows.size(), sql.rows.size());
                for (std::size_t i = 0; i < sql.rows.size(); ++i) {
                    SCOPED_TRACE(sql.rows[i].key);
                    EXPECT_EQ(copy.rows[i].key, sql.rows[i].key);
                    expect_same(copy.rows[i].values, sql.rows[i].values);
                }
            }
        }
    };
    check();
    // A reopen and a close the copy learns of through report_changes.
    t.scalar("INSERT INTO report_events (town, report, seq, action, from_status, to_status, actor, at) "
             "SELECT town, id, (SELECT max(seq) + 1 FROM report_events e WHERE e.town = r.town AND e.report = r.id), "
             "'reopen', 'closed', 'in_progress', 'test', '2026-06-20T10:00:00+08:00' FROM reports r "
             "WHERE town = 'chengdong' AND status = 'closed' AND id = (SELECT min(id) FROM reports WHERE town = 'chengdong' "
             "AND status = 'closed' AND reported_at >= '2026-03-01')");
    check();
    t.scalar("DELETE FROM report_events WHERE town = 'chengdong' AND actor = 'test'");
    check();
}

// Drawn in degrees near 119.5°E 29°N, one cell s = 0.001° (≈ 97 m × 111 m):
//
//    C D
//    A B | E   |  F        A B C D a 2×2 block: A–D and B–C meet at one corner only;
//                          E is 0.3 m east of B (touching after snapping), F is 0.8 m
//                          east of E (not touching); D and E meet at a corner 0.3 m apart.
TEST(AnalyticsStore, QueenAndRookContiguityWithTheHalfMetreSnap) {
    test::TestDatabase t("contiguity");
    migrate(t.db(), data_dir());
    const double s = 0.001, x0 = 119.5, y0 = 29.0;
    const double gap_03 = 0.3 / 97300.0, gap_08 = 0.8 / 97300.0;  // metres → degrees of longitude at 29°N
    auto square = [&](double x, double y, double w) {
        char buf[256];
        std::snprintf(buf, sizeof buf, "SRID=4490;POLYGON((%.9f %.9f,%.9f %.9f,%.9f %.9f,%.9f %.9f,%.9f %.9f))", x, y, x + w, y,
                      x + w, y + s, x, y + s, x, y);
        return std::string(buf);
    };
    t.scalar("INSERT INTO counties (code, name, kind, city, geom) VALUES ('330702', '婺城区', 'district', '金华市', "
             "ST_Multi(ST_MakeEnvelope(119.49, 28.99, 119.51, 29.01, 4490)))");
    t.scalar("INSERT INTO towns (town, name, kind, admin_code, county, geom) VALUES ('tashi', '塔石乡', 'township', '330702205', "
             "'330702', ST_Multi(ST_MakeEnvelope(119.49, 28.99, 119.51, 29.01, 4490)))");
    const std::vector<std::pair<const char*, std::string>> cells{
        {"tashi-a", square(x0, y0, s)},
        {"tashi-b", square(x0 + s, y0, s)},
        {"tashi-c", square(x0, y0 + s, s)},
        {"tashi-d", square(x0 + s, y0 + s, s)},
        {"tashi-e", square(x0 + 2 * s + gap_03, y0, s)},
        {"tashi-f", square(x0 + 3 * s + gap_03 + gap_08, y0, s)},
    };
    for (const auto& [id, wkt] : cells)
        t.scalar(std::string("INSERT INTO grids (town, id, version, code, name, geom, valid_from, created_by) VALUES "
                             "('tashi', '") + id + "', 1, '" + id + "', '" + id + "', '" + wkt + "'::geometry, now(), 'test')");

    auto links = [&](analytics::Contiguity c) {
        const auto set = load_grid_set(t.db(), "tashi", c);
        std::vector<std::string> out;
        for (std::size_t i = 0; i < set.ids.size(); ++i)
            for (auto j : set.neighbours[i])
                if (i < j) out.push_back(set.ids[i].substr(6) + set.ids[j].substr(6));
        return out;
    };
    // D's lower right corner is 0.3 m from E's upper left one: a corner contact after
    // snapping, so queen links D and E and rook does not.
    EXPECT_EQ(links(analytics::Contiguity::queen),
              (std::vector<std::string>{"ab", "ac", "ad", "bc", "bd", "be", "cd", "de"}));
    EXPECT_EQ(links(analytics::Contiguity::rook), (std::vector<std::string>{"ab", "ac", "bd", "be", "cd"}));
}

// report_changes is pruned (migration 0011): a copy whose window reaches below what was
// deleted reloads everything, one whose window is still whole catches up piecemeal, and
// both then answer as SQL does.
TEST(AnalyticsStore, PrunedChangesMakeAFarBehindCopyReloadAndANearOneCatchUp) {
    auto& t = test::demo_database();
    const HistoryQuery q{"tashi", at("2025-07-01"), at("2026-07-01"), at("2026-06-21T00:00:00+08:00"), true};
    auto touch = [&](int n) {
        return std::stol(t.scalar("WITH touched AS (UPDATE reports SET description = description WHERE town = 'tashi' AND id IN "
                                  "(SELECT id FROM reports WHERE town = 'tashi' ORDER BY id LIMIT " + std::to_string(n) +
                                  ") RETURNING 1) SELECT count(*) FROM touched"));
    };
    ReportCache far(t.db());
    far.refresh();
    const long first = touch(400);
    ReportCache near(t.db());
    near.refresh();
    const long second = touch(300);
    ASSERT_GE(first, 300);
    ASSERT_GE(second, 300);
    // Keep the newest 600 ids: past near's window (its last id less 256), inside far's.
    const long before = std::stol(t.scalar("SELECT count(*) FROM report_changes"));
    long deleted = 0;
    for (long gone = 1; gone > 0;) {  // batches of 100, as many as it takes
        gone = std::stol(t.scalar("SELECT prune_report_changes('0 s', 600, 100)"));
        ASSERT_LE(gone, 100);
        deleted += gone;
    }
    EXPECT_EQ(std::stol(t.scalar("SELECT count(*) FROM report_changes")), before - deleted);
    EXPECT_EQ(t.scalar("SELECT count(*) FROM report_changes WHERE id > (SELECT max(id) - 600 FROM report_changes)"),
              t.scalar("SELECT count(*) FROM report_changes WHERE id > (SELECT upto FROM report_changes_pruned)"));
    EXPECT_EQ(t.scalar("SELECT count(*) FROM report_changes WHERE id <= (SELECT upto FROM report_changes_pruned)"), "0");
    ASSERT_GT(deleted, 0);
    // Nothing old enough by the service's own rule (an hour): the demo was just loaded.
    EXPECT_EQ(prune_report_changes(t.db()), 0);

    const auto far_loads = far.stats().full_loads, near_loads = near.stats().full_loads;
    expect_same(far.facts(q), load_facts(t.db(), q));
    expect_same(near.facts(q), load_facts(t.db(), q));
    EXPECT_EQ(far.stats().full_loads, far_loads + 1) << "its window reached below the pruned rows";
    EXPECT_EQ(near.stats().full_loads, near_loads) << "caught up from the rows that are left";
}
