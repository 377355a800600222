#pragma once
// Internal to the demo generator: a simulated report as its rows of reports and
// report_events, for COPY. The row's current fields follow from its events.

#include "data/demo_reports.hpp"

#include <pqxx/stream_to>

#include <string>
#include <vector>

namespace wangge::data::demo {

/// The COPY column lists that copy_report and copy_events fill, in their order.
const std::vector<std::string>& report_columns();
const std::vector<std::string>& event_columns();

/// One reports row: in `town`, in grid `grid` (version 1, assigned by containment).
void copy_report(pqxx::stream_to& out, const std::string& town, const std::string& grid, const Report& r);
/// One report_events row per event, seq from 1.
void copy_events(pqxx::stream_to& out, const std::string& town, const Report& r);

}  // namespace wangge::data::demo
