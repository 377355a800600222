// The demo towns' data in the real PostGIS: every grid valid, grids tile their town (no
// overlap, no gap beyond 1 m²), exact counts, staff complete, deterministic. The towns and
// their counts are data/demo/pilots.json's.

#include "core/error.hpp"
#include "data/demo.hpp"
#include "data/grid_export.hpp"
#include "geo/ogr_io.hpp"
#include "data/migrate.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace wangge;

namespace {

const std::vector<data::demo::TownSpec>& pilots() {
    static const auto towns = data::demo::read_pilots(data::data_dir() / "demo" / "pilots.json").towns;
    return towns;
}

class DemoTowns : public ::testing::TestWithParam<data::demo::TownSpec> {
protected:
    test::TestDatabase& t = test::demo_database();
    std::string town = GetParam().code;
    std::string q(const std::string& sql) { return t.scalar(sql); }
};

// Areas in m² through the metric CRS of the area (CGCS2000 / GK CM 120E).
constexpr const char* k_m2 = "ST_Area(ST_Transform(%s, 4549))";

std::string m2(const std::string& expr) {
    std::string s = k_m2;
    return s.replace(s.find("%s"), 2, expr);
}

}  // namespace

TEST_P(DemoTowns, HasExactlyTheSeedsGridCount) {
    EXPECT_EQ(q("SELECT count(*) FROM grids WHERE town = '" + town + "' AND valid_to IS NULL"),
              std::to_string(GetParam().grid_count));
}

TEST_P(DemoTowns, EveryGridIsAValidPolygon) {
    EXPECT_EQ(q("SELECT count(*) FROM grids WHERE town = '" + town + "' AND NOT (ST_IsValid(geom) AND "
                "GeometryType(geom) = 'POLYGON' AND ST_SRID(geom) = 4490)"),
              "0");
}

TEST_P(DemoTowns, NoTwoGridsOverlapByMoreThanOneSquareMetre) {
    const auto worst = q("SELECT coalesce(max(" + m2("ST_Intersection(a.geom, b.geom)") +
                         "), 0) FROM grids a JOIN grids b ON a.town = b.town AND a.id < b.id "
                         "AND ST_Intersects(a.geom, b.geom) WHERE a.town = '" + town + "'");
    EXPECT_LT(std::stod(worst), 1.0);
}

TEST_P(DemoTowns, UnionOfGridsEqualsTheTownWithinOneSquareMetre) {
    const auto diff = q("SELECT " + m2("ST_SymDifference((SELECT ST_Union(geom) FROM grids WHERE town = '" + town +
                                       "'), t.geom)") +
                        " FROM towns t WHERE t.town = '" + town + "'");
    EXPECT_LT(std::stod(diff), 1.0);
}

TEST_P(DemoTowns, AreaIsPlausible) {
    const double km2 = std::stod(q("SELECT ST_Area(geom::geography) / 1e6 FROM towns WHERE town = '" + town + "'"));
    EXPECT_GT(km2, GetParam().area_km2 * 0.8);
    EXPECT_LT(km2, GetParam().area_km2 * 1.2);
}

TEST_P(DemoTowns, EveryGridHasALeaderAndAWorkerWithNamesAndPhones) {
    EXPECT_EQ(q("SELECT count(*) FROM grids g WHERE g.town = '" + town + "' AND g.valid_to IS NULL AND "
                "(SELECT count(*) FROM grid_staff s JOIN workers w ON w.town = s.town AND w.id = s.worker "
                " WHERE s.town = g.town AND s.grid = g.id AND w.name <> '' AND w.phone ~ '^1[3-9][0-9]{9}$') <> 2"),
              "0");
    EXPECT_EQ(q("SELECT count(DISTINCT worker) FROM grid_staff WHERE town = '" + town + "'"),
              std::to_string(2 * GetParam().grid_count))
        << "each grid has its own two people";
    EXPECT_EQ(q("SELECT count(*) FROM workers WHERE town = '" + town + "' AND role = 'command'"), "3");
    EXPECT_EQ(q("SELECT count(DISTINCT platform) FROM workers WHERE town = '" + town + "' AND role = 'platform'"), "4");
}

TEST_P(DemoTowns, GridsAreNamedAfterVillagesOrCommunities) {
    const std::string& suffix = GetParam().village_suffix;
    EXPECT_EQ(q("SELECT count(*) FROM grids WHERE town = '" + town + "' AND name NOT LIKE '%" + suffix + "%网格'"), "0");
    EXPECT_EQ(q("SELECT count(DISTINCT name) FROM grids WHERE town = '" + town + "'"), std::to_string(GetParam().grid_count));
}

TEST_P(DemoTowns, ReportsLieInTheirGridAndHaveAConsistentTimeline) {
    EXPECT_GT(std::stoi(q("SELECT count(*) FROM reports WHERE town = '" + town + "'")), 100);
    EXPECT_EQ(q("SELECT count(*) FROM reports r JOIN grids g ON g.town = r.town AND g.id = r.grid AND g.version = r.grid_version "
                "WHERE r.town = '" + town + "' AND NOT ST_Covers(g.geom, r.geom)"),
              "0");
    // The report row's status is the last event's, and every timeline starts with the report.
    EXPECT_EQ(q("SELECT count(*) FROM reports r WHERE r.town = '" + town + "' AND r.status <> "
                "(SELECT to_status FROM report_events e WHERE e.town = r.town AND e.report = r.id ORDER BY seq DESC LIMIT 1)"),
              "0");
    EXPECT_EQ(q("SELECT count(*) FROM reports r WHERE r.town = '" + town + "' AND 'report' <> "
                "(SELECT action FROM report_events e WHERE e.town = r.town AND e.report = r.id AND seq = 1)"),
              "0");
    EXPECT_EQ(q("SELECT count(*) FROM reports WHERE town = '" + town + "' AND dispatched_at IS NOT NULL AND due_at <= dispatched_at"),
              "0");
}

INSTANTIATE_TEST_SUITE_P(Pilots, DemoTowns, ::testing::ValuesIn(pilots()),
                         [](const auto& param_info) { return param_info.param.code; });

TEST(DemoData, TownsDoNotOverlap) {
    auto& t = test::demo_database();
    EXPECT_EQ(t.scalar("SELECT count(*) FROM towns a JOIN towns b ON a.town < b.town AND ST_Intersects(a.geom, b.geom) "
                       "AND ST_Area(ST_Transform(ST_Intersection(a.geom, b.geom), 4549)) > 1"),
              "0");
}

TEST(DemoData, EveryTownLiesInItsCountyWhoseOutlineIsTheirUnion) {
    auto& t = test::demo_database();
    EXPECT_EQ(t.scalar("SELECT string_agg(concat_ws(',', code, name, kind, city), ';') FROM counties"),
              "330702,婺城区,district,金华市");
    EXPECT_EQ(t.scalar("SELECT count(*) FROM towns WHERE county = '330702'"), std::to_string(pilots().size()));
    EXPECT_LT(std::stod(t.scalar("SELECT ST_Area(ST_Transform(ST_SymDifference(c.geom, (SELECT ST_Union(geom) FROM towns)), 4549)) "
                                 "FROM counties c")),
              1.0);
}

TEST(DemoPilots, AFileThatContradictsItselfIsRefusedNamingTheTown) {
    const auto file = std::filesystem::temp_directory_path() / ("wangge-pilots-" + std::to_string(::getpid()) + ".json");
    auto refusal = [&](const std::string& towns) {
        std::ofstream(file) << R"({"counties": [{"code": "330702", "name": "婺城区", "kind": "district", "city": "金华市"}],
                                   "towns": [)" << towns << "]}";
        try {
            data::demo::read_pilots(file);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("(read)");
    };
    const std::string town = R"({"code": "x", "name": "某镇", "kind": "town", "admin_code": "330702100", "county": "330702",
        "centre": [119.5, 29.1], "area_km2": 10, "grids": 3, "villages": 1, "village_suffix": "村", "density_peak": 1,
        "report_share": 1})";
    EXPECT_EQ(refusal(town), "(read)");
    auto with = [&](const std::string& from, const std::string& to) {
        auto s = town;
        return s.replace(s.find(from), from.size(), to);
    };
    EXPECT_NE(refusal(with(R"("county": "330702")", R"("county": "330703")")).find("town x: county 330703"), std::string::npos);
    EXPECT_NE(refusal(with("330702100", "330703100")).find("town x: admin_code"), std::string::npos);
    EXPECT_NE(refusal(with(R"("report_share": 1)", R"("report_share": 0.5)")).find("add up to 1"), std::string::npos);
    EXPECT_NE(refusal(with(R"("grids": 3, )", "")).find("town x"), std::string::npos) << "a missing field";
    EXPECT_NE(refusal(town + ", " + town).find("listed twice"), std::string::npos);
    std::filesystem::remove(file);
}

TEST(DemoData, MostItemsAreSettledOnTheSpotAndCompletionIsAboveNinetyPercent) {
    auto& t = test::demo_database();
    // The seed: 600+ items collected, 157 handed over; completion above 90%.
    const double dispatched_share =
        std::stod(t.scalar("SELECT count(dispatched_at)::float / count(*) FROM reports WHERE town = 'bailongqiao'"));
    EXPECT_GT(dispatched_share, 0.15);
    EXPECT_LT(dispatched_share, 0.40);
    const double completion = std::stod(t.scalar(
        "SELECT count(*) FILTER (WHERE closed_at IS NOT NULL)::float / "
        "count(*) FILTER (WHERE closed_at IS NOT NULL OR due_at < '2026-06-20T12:00:00+08:00') "
        "FROM reports WHERE dispatched_at IS NOT NULL"));
    EXPECT_GT(completion, 0.9);
    EXPECT_LT(completion, 1.0) << "some reports must be overdue";
    EXPECT_GT(std::stoi(t.scalar("SELECT count(*) FROM reports WHERE reopen_count > 0")), 0) << "some are reworked";
}

TEST(DemoData, OneGridGrowsAndOneFadesInEveryTown) {
    auto& t = test::demo_database();
    // Per town, a grid with at least twice the reports in the last three full months
    // (Mar–May 2026) as in the first three (Jul–Sep 2025), and one the other way round.
    const auto towns_with = [&](const char* late_vs_early) {
        return t.scalar(std::string(R"sql(
WITH g AS (SELECT town, grid,
                  count(*) FILTER (WHERE reported_at <  '2025-10-01T00:00:00+08:00') AS early,
                  count(*) FILTER (WHERE reported_at >= '2026-03-01T00:00:00+08:00'
                                     AND reported_at <  '2026-06-01T00:00:00+08:00') AS late
           FROM reports GROUP BY town, grid)
SELECT count(DISTINCT town) FROM g WHERE early + late >= 10 AND )sql") + late_vs_early);
    };
    EXPECT_EQ(towns_with("late >= 2 * early"), "4") << "a growing grid in every town";
    EXPECT_EQ(towns_with("early >= 2 * late"), "4") << "a fading grid in every town";
}

TEST(DemoData, TheSameSeedGivesIdenticalDataAndAnotherSeedDoesNot) {
    auto digest = [](test::TestDatabase& t) {
        return t.scalar(R"sql(
SELECT md5(concat_ws('|',
  (SELECT string_agg(town || ST_AsEWKB(geom)::text, ',' ORDER BY town) FROM towns),
  (SELECT string_agg(concat_ws(';', town, id, version, code, name, ST_AsEWKB(geom)::text, valid_from), ',' ORDER BY town, id) FROM grids),
  (SELECT string_agg(w::text, ',' ORDER BY town, id) FROM workers w),
  (SELECT string_agg(s::text, ',' ORDER BY town, grid, role) FROM grid_staff s),
  (SELECT string_agg((r.town, r.id, r.client_id, r.category, r.description, ST_AsEWKB(r.geom)::text, r.grid, r.status,
                      r.reported_at, r.dispatched_at, r.due_at, r.closed_at)::text, ',' ORDER BY town, id) FROM reports r),
  (SELECT string_agg((e.town, e.report, e.seq, e.action, e.actor, e.at, e.details)::text, ',' ORDER BY town, report, seq)
     FROM report_events e)))
)sql");
    };
    data::DemoOptions options;
    options.seed = test::k_demo_seed;
    options.reports = test::k_demo_reports;
    options.until = std::chrono::year{2026} / std::chrono::month{6};
    options.cutoff = *parse_rfc3339("2026-06-20T12:00:00+08:00");

    test::TestDatabase again("demo_again");
    data::migrate(again.db(), data::data_dir());
    data::load_demo_data(again.db(), options, data::data_dir(), false);
    const auto same = digest(again);
    EXPECT_EQ(same, digest(test::demo_database()));
    // The grid files written by GDAL are byte-identical too.
    for (const auto& town : pilots())
        for (const auto format : {geo::GridFormat::geojson, geo::GridFormat::gpkg, geo::GridFormat::kml, geo::GridFormat::csv})
            EXPECT_EQ(data::export_grids(again.db(), town.code, std::nullopt, format),
                      data::export_grids(test::demo_database().db(), town.code, std::nullopt, format))
                << town.code << ' ' << geo::format_name(format);

    options.seed += 1;
    data::load_demo_data(again.db(), options, data::data_dir(), true);
    EXPECT_NE(digest(again), same);
}

TEST(DemoData, RefusesToOverwriteWithoutReplace) {
    auto& t = test::demo_database();
    data::DemoOptions options;
    options.cutoff = *parse_rfc3339("2026-06-20T12:00:00+08:00");
    options.reports = 10;
    EXPECT_THROW(data::load_demo_data(t.db(), options, data::data_dir(), false), Error);
    EXPECT_EQ(t.scalar("SELECT count(*) FROM grids"), "212") << "nothing was written";
}
