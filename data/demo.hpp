#pragma once
// The demo towns' data (`wangge demo-data`): boundaries, grids, staff and a year of
// reports with their whole workflow history. Deterministic for a seed and `until`. Which
// towns, and how each is laid out, is data: data/demo/pilots.json (the four pilot towns).

#include "core/time.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace wangge::data {

namespace demo {

/// A county-level division (县级行政区) of the demo towns.
struct CountySpec {
    std::string code;  // 6-digit division code, 330702
    std::string name;  // 婺城区
    std::string kind;  // district | county | city (市辖区 | 县 | 县级市)
    std::string city;  // the prefecture-level city, 金华市
};

/// Where a town's seat (镇政府驻地) lies: `turns` of a full turn counter-clockwise from
/// east, `distance` times the town's radius from its centre.
struct SeatSpec {
    double turns = 0;
    double distance = 0;
};

/// One demo town as data/demo/pilots.json describes it (data/demo/README.md).
struct TownSpec {
    std::string code;        // API town code
    std::string name;        // 白龙桥镇
    std::string kind;        // town | township | subdistrict
    std::string admin_code;  // 9-digit division code, the prefix of its grid codes
    std::string county;      // CountySpec::code
    double centre_lon = 0, centre_lat = 0;
    double area_km2 = 0;
    int grid_count = 0;
    int village_count = 0;       // villages (村) or communities (社区) the grids are grouped into
    std::string village_suffix;  // 村 | 社区
    double density_peak = 0;     // how much denser grids are at the seat than at the edge
    std::optional<SeatSpec> seat;  // absent: drawn at random
    double report_share = 0;       // of the demo's reports
};

struct Pilots {
    std::vector<CountySpec> counties;
    /// In layout order: each town is cut by those before it, and draws from the random
    /// stream of its position.
    std::vector<TownSpec> towns;
};

/// @throws Error(internal) naming the file and what is wrong in it
Pilots read_pilots(const std::filesystem::path& file);

}  // namespace demo

class Database;

struct DemoOptions {
    std::uint64_t seed = 20170601;
    /// Total reports over the twelve months, spread over the towns by their report_share
    /// (the default puts 白龙桥镇 at the seed's scale: ~200 items a month).
    int reports = 8000;
    /// The last month of the twelve; reports run up to `cutoff` inside it.
    std::chrono::year_month until{std::chrono::year{2026}, std::chrono::month{11}};
    /// Workflow events later than this have not happened yet (open and overdue reports).
    Timestamp cutoff;
    /// Threads for the province's layout and reports (0: one per hardware thread). The
    /// data does not depend on it.
    int threads = 0;
};

/// `--reports` when `demo-data --province` is not given one: about 16 a grid a year.
inline constexpr int k_province_default_reports = 1'000'000;

struct DemoTownSummary {
    std::string town;
    int grids = 0;
    int workers = 0;
    int reports = 0;
    int events = 0;
    double area_km2 = 0;
};

/// Generates and writes the demo data in one transaction. With `replace`, existing town
/// data (counties, towns, grids, staff, reports) is deleted first; without it the call
/// refuses (Error(conflict)) when towns exist.
std::vector<DemoTownSummary> load_demo_data(Database& db, const DemoOptions& options,
                                            const std::filesystem::path& data_dir, bool replace);

struct DemoCountySummary {
    std::string code;
    std::string name;
    std::string city;
    int towns = 0;
    long grids = 0;
    long staff = 0;
    long long reports = 0;
    long long events = 0;
    double area_km2 = 0;
};

struct ProvinceSummary {
    std::vector<DemoCountySummary> counties;  // by code
    double plan_seconds = 0;     // the province's counties and towns
    double layout_seconds = 0;   // every town's grids, staff and landmarks
    double write_seconds = 0;    // counties, towns, staff, grids
    double report_seconds = 0;   // simulated and copied, indexes rebuilt, keys written
    double total_seconds = 0;
    std::string database_size;   // pg_size_pretty(pg_database_size) after the commit
};

/// The province (`demo-data --province`): the pilot towns exactly as load_demo_data lays
/// them out, and the ~1,300 towns of data/demo_province.hpp's plan around them, in
/// their 90 counties, with `options.reports` reports spread by grid count (the pilots
/// keep their report_share among themselves). One transaction; reports are simulated and
/// copied town by town, never all in memory. Report ids run town by town (the pilots,
/// then the rest by division code) and by reported_at within a town: unlike the
/// default demo's, they are not in time order across towns.
/// @throws Error(conflict) as load_demo_data
ProvinceSummary load_demo_province(Database& db, const DemoOptions& options, const std::filesystem::path& data_dir,
                                   bool replace);

/// True when the towns table has rows (scripts/run.sh loads demo data only when empty).
bool has_town_data(Database& db);

}  // namespace wangge::data
