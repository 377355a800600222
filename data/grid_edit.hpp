#pragma once
// Re-drawing grids (API.md: Towns, grids, staff): validation of the whole town, a new
// version per changed grid, re-assignment of open reports, and the switch of the grid
// index in the same moment the transaction commits.

#include "data/records.hpp"
#include "geo/grid_validation.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace wangge {
struct Principal;
}

namespace wangge::data {

class Database;
class ReportDesk;

struct GridEdit {
    std::string id;                       // empty: a new grid, id generated
    std::optional<int> expected_version;  // the version the editor started from
    std::optional<std::string> geojson;   // a new geometry (lon/lat)
    std::optional<std::string> name, code;
    bool retire = false;
};

struct EditOutcome {
    std::vector<GridRecord> grids;         // the new versions (retired grids: their last version)
    int reassigned_reports = 0;            // open reports now in another grid
    std::vector<geo::Finding> findings;    // dry runs only: what a real run would refuse
};

/// The `problems` member of a 422: one object per finding (grid, kind, detail, area_m2,
/// location as GeoJSON, other_grid).
nlohmann::json findings_json(const std::vector<geo::Finding>& findings);

/// Applies the edits to `town` all-or-nothing.
/// @throws Error(not_found) unknown town or grid; Error(precondition_failed) a stale or
///         missing version; Error(unprocessable) with "problems" for every finding;
///         Error(bad_request) a malformed edit
EditOutcome edit_grids(Database& db, ReportDesk& desk, const std::string& town, const std::vector<GridEdit>& edits,
                       const Principal& actor, bool dry_run = false, geo::ValidationRules rules = {});

}  // namespace wangge::data
