#pragma once
// A town's grids as a file (API.md: …/grids/export, `wangge export-grids`): the grids of
// list_grids written by geo/ogr_io.

#include "core/time.hpp"
#include "data/records.hpp"
#include "geo/ogr_io.hpp"

#include <optional>
#include <string>
#include <vector>

namespace wangge::data {

class Database;

/// The file's records: one per grid, staff as worker ids, valid_from in RFC 3339.
std::vector<geo::GridFeature> grid_features(const std::vector<GridRecord>& grids);

/// The grids of `town` valid at `at` (the current ones when absent) as a file's bytes.
/// @throws Error(not_found) for an unknown town; Error(internal) when GDAL fails
std::string export_grids(Database& db, const std::string& town, std::optional<Timestamp> at, geo::GridFormat format);

}  // namespace wangge::data
