#pragma once
// Importing a town's grids from a GIS file (API.md: POST …/grids/import, `wangge
// import-grids`): the file is the town's complete set of grids, applied with the same
// validation and atomicity as the batch redraw.

#include "data/grid_edit.hpp"

#include <string>
#include <vector>

namespace wangge {
struct Principal;
}

namespace wangge::data {

class Database;
class ReportDesk;

struct ImportOutcome {
    EditOutcome edit;                    // the new versions, or (dry run) the findings
    std::vector<std::string> changed;    // ids redrawn or renamed
    std::vector<std::string> created;    // ids new in the file
    std::vector<std::string> retired;    // current ids absent from the file (or marked retired)
    std::vector<std::string> unchanged;
    int staff_changed = 0;
    std::string source_crs;
    bool crs_assumed = false;
};

/// Reads the file with GDAL (any CRS GDAL knows) and turns it into edits: a feature whose
/// id is a current grid redraws it (when its geometry, name or code differ), one with a new
/// or no id creates a grid, a current grid missing from the file retires. Leader and worker
/// attributes update the grid's staff after the redraw commits.
/// @throws what geo::read_grids and edit_grids throw
ImportOutcome import_grids(Database& db, ReportDesk& desk, const std::string& town, const std::string& bytes,
                           const std::string& filename_hint, const Principal& actor, bool dry_run);

}  // namespace wangge::data
