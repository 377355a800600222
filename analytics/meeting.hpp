#pragma once
// The monthly meeting pack (会商材料), API.md "Analytics and the monthly meeting": the
// month at a glance, per platform, the grids with most reports and lowest completion,
// two maps, emerging hot spots with small trend charts, and the overdue list. Built from
// typed inputs (no database), rendered as A4 HTML (Chinese) or an XLSX workbook.

#include "analytics/completion.hpp"
#include "analytics/spatial_report.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wangge::analytics {

/// The two maps of the pack.
enum class MapLayer : unsigned char { heatmap, hotspots };

std::string_view map_layer_name(MapLayer layer) noexcept;  // "heatmap", "hotspots"

/// THE HOOK FOR THE MAPS. The static-map module (tiles issue, /api/v1/maps/static.png)
/// renders a PNG of one layer of one town for the month [start, end of month). Given
/// one, the pack embeds its PNGs; when empty, or when it returns nullopt or throws,
/// the pack says the map is unavailable and everything else is still produced.
using MapRenderer = std::function<std::optional<std::string>(const std::string& town, std::chrono::year_month month,
                                                             MapLayer layer)>;

enum class MeetingFormat : unsigned char { html, xlsx, json };

/// GET /api/v1/meetings/{town}/{YYYY-MM}, parsed.
struct MeetingParams {
    std::string town;
    std::chrono::year_month month;
    /// Evaluation instant; default: the end of the month, or now if that is later than now.
    std::optional<Timestamp> as_of;
    MeetingFormat format = MeetingFormat::html;
};

/// What the pack is built from.
struct MeetingInputs {
    std::string town;
    std::string town_name;
    std::chrono::year_month month;
    Timestamp as_of;
    /// Reports relevant to this and the previous month, and every report open at as_of.
    std::vector<ReportFacts> facts;
    std::map<std::string, std::string> grid_names;      // id → 名称
    std::map<std::string, std::string> category_names;  // code → 名称
    TrendReport trends;                                 // 12 months ending with `month`
};

struct NamedRow {
    std::string key;
    std::string name;
    Indicators values;
};

struct OverdueItem {
    long long id = 0;
    std::string grid;
    std::string grid_name;
    std::string category;  // name
    std::string platform;  // code
    Timestamp dispatched_at;
    Timestamp due_at;
    double overdue_days = 0;  // as_of − due_at
    bool supervised = false;
};

struct EmergingItem {
    std::string grid;
    std::string grid_name;
    std::string category;  // emerging category, e.g. "intensifying_hot_spot"
    std::vector<double> counts;
    MannKendall trend;
};

struct MeetingMap {
    MapLayer layer;
    std::string title;
    std::optional<std::string> png;  // absent: unavailable
};

struct MeetingPack {
    std::string town;
    std::string town_name;
    std::string month;  // "YYYY-MM"
    Timestamp from;     // first instant of the month (Shanghai)
    Timestamp to;       // first instant of the next month
    Timestamp as_of;
    Indicators month_total;     // this month's cohort
    Indicators previous_total;  // last month's, evaluated at the same as_of
    std::vector<NamedRow> by_platform;
    std::vector<NamedRow> top_grids;     // most reports (up to 10)
    std::vector<NamedRow> lowest_grids;  // lowest 办结率 among grids with something due (up to 10)
    std::vector<std::string> trend_months;
    std::vector<EmergingItem> emerging;  // grids with a pattern, hot first
    std::vector<OverdueItem> overdue;    // open and past due at as_of, most overdue first
    std::vector<MeetingMap> maps;        // heatmap, hotspots
};

/// The Chinese name of a platform code (综治工作 …) or the code itself.
std::string platform_label(std::string_view code);

/// The Chinese label of an emerging hot spot category (新增热点 …).
std::string emerging_label(std::string_view category);

/// Assembles the pack. Map rendering failures never fail the pack.
MeetingPack build_meeting_pack(const MeetingInputs& inputs, const MapRenderer& maps);

/// A4 printable HTML in Chinese, self-contained (inline CSS, SVG charts, maps as data:
/// URIs). Sections after the first start on a new page.
std::string render_meeting_html(const MeetingPack& pack);

/// The same tables as an XLSX workbook (libxlsxwriter), one sheet per table.
/// @throws Error(internal) when the workbook cannot be written
std::string render_meeting_xlsx(const MeetingPack& pack);

/// A small inline SVG line chart of a monthly series (the trend charts of the pack).
std::string sparkline_svg(std::span<const double> values, int width = 160, int height = 40);

}  // namespace wangge::analytics
