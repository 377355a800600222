#pragma once
// The four towns' demo data (`wangge demo-data`): boundaries, grids, staff and a year of
// reports with their whole workflow history. Deterministic for a seed and `until`.

#include "core/time.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace wangge::data {

class Database;

struct DemoOptions {
    std::uint64_t seed = 20170601;
    /// Total reports over the twelve months, spread over the towns by their size and
    /// density (the default puts 白龙桥镇 at the seed's scale: ~200 items a month).
    int reports = 8000;
    /// The last month of the twelve; reports run up to `cutoff` inside it.
    std::chrono::year_month until{std::chrono::year{2026}, std::chrono::month{11}};
    /// Workflow events later than this have not happened yet (open and overdue reports).
    Timestamp cutoff;
};

struct DemoTownSummary {
    std::string town;
    int grids = 0;
    int workers = 0;
    int reports = 0;
    int events = 0;
    double area_km2 = 0;
};

/// Generates and writes the demo data in one transaction. With `replace`, existing town
/// data (towns, grids, staff, reports) is deleted first; without it the call refuses
/// (Error(conflict)) when towns exist.
std::vector<DemoTownSummary> load_demo_data(Database& db, const DemoOptions& options,
                                            const std::filesystem::path& data_dir, bool replace);

/// True when the towns table has rows (scripts/run.sh loads demo data only when empty).
bool has_town_data(Database& db);

}  // namespace wangge::data
