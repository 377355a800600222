#pragma once
// Internal to the demo generator: a year of reports and their workflow, simulated.

#include "core/calendar.hpp"
#include "core/workflow.hpp"
#include "data/demo.hpp"
#include "data/demo_world.hpp"

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

/// Simulates the reports of twelve months ending with `options.until`, with workflow
/// events up to `options.cutoff`. Ids are 1..n in order of reported_at.
std::vector<Report> simulate_reports(const geo::Geos& geos, const std::vector<Town>& towns,
                                     const std::vector<Category>& categories, const WorkCalendar& calendar,
                                     const DemoOptions& options);

}  // namespace wangge::data::demo
