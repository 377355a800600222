#pragma once
// Internal to the demo generator: a year of reports and their workflow, simulated.

#include "core/calendar.hpp"
#include "core/workflow.hpp"
#include "data/demo.hpp"
#include "data/demo_world.hpp"
#include "geo/crs.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wangge::data::demo {

struct Category {
    std::string code;
    std::string name;
    std::string platform;
    int time_limit_workdays = 1;
};

/// What a dispatch (交办) decided: who handles the matter, how, and by when.
struct Dispatch {
    std::string platform;
    std::vector<std::string> assignees;
    std::string handling;  // guikou | xietiao
    std::string mode;      // lingban | lianban | duban
    Timestamp due_at;
};

struct Event {
    std::optional<Action> action;  // nullopt: the report itself (action "report")
    std::optional<Status> from;  // nullopt for the initial report
    Status to;
    std::string actor;
    Timestamp at;
    std::string note;
    std::optional<Dispatch> dispatch;  // for dispatch events
};

struct Report {
    std::size_t town = 0;  // index into the towns
    std::size_t grid = 0;  // index into the town's grids
    long long id = 0;
    std::string client_id;
    const Category* category = nullptr;
    std::string description;
    std::string source;
    std::optional<std::string> reporter;
    double lon = 0, lat = 0;
    Timestamp reported_at;
    std::vector<Event> events;  // the first is the report itself
};

/// What every town's simulation reads and none changes, so threads share one.
struct ReportModel {
    /// @throws Error(internal) when there are no categories
    ReportModel(const std::vector<Category>& catalogue, const WorkCalendar& work_calendar, const DemoOptions& demo_options);
    ReportModel(const ReportModel&) = delete;
    ReportModel& operator=(const ReportModel&) = delete;

    const std::vector<Category>& categories;  // Report::category points into it
    const WorkCalendar& calendar;
    const DemoOptions& options;
    std::map<std::string, const Category*> by_code;
    std::vector<const Category*> all;
    std::vector<double> background_weights;
};

/// The salt of the reports' random stream ("REPORTS"), apart from the layout's.
inline constexpr std::uint64_t k_reports_salt = 0x5245504f525453ULL;

/// Appends one town's reports of twelve months ending with `options.until` (about
/// `total`, before the summer peak and the cutoff), in the order drawn: by month, not by
/// time, with id 0 and Report::town = town_index. Draws only from `rng`.
/// @param carry each month's count carries the fraction the months before it left over,
///        so a town of a few reports a year has them; without it each month is rounded
///        on its own (the default demo, whose data must not change).
void simulate_town_reports(const geo::Geos& geos, const geo::Transformer& to_lonlat, const ReportModel& model,
                           const Town& town, std::size_t town_index, double total, bool carry, Rng& rng,
                           std::vector<Report>& out);

/// Simulates the reports of twelve months ending with `options.until`, with workflow
/// events up to `options.cutoff`, each town's share by its report_share. Ids are 1..n in
/// order of reported_at.
std::vector<Report> simulate_reports(const geo::Geos& geos, const std::vector<Town>& towns,
                                     const std::vector<Category>& categories, const WorkCalendar& calendar,
                                     const DemoOptions& options);

}  // namespace wangge::data::demo
