#pragma once
// Towns, grids and staff as PostGIS keeps them (the source of truth).

#include "data/records.hpp"

#include <optional>
#include <string>
#include <vector>

namespace wangge {
struct Principal;
}

namespace wangge::data {

class Database;

/// Every town with its grid count and extent, ordered by code.
std::vector<TownSummary> list_towns(Database& db);
std::optional<TownSummary> find_town_record(Database& db, const std::string& town);

/// What the town directory keeps, for every town / for one: no counts, one indexed read.
std::vector<TownRecord> read_towns(Database& db);
std::optional<TownRecord> read_town(Database& db, const std::string& town);

/// Grids of a town valid at `at` (the current ones when absent), ordered by id.
std::vector<GridRecord> list_grids(Database& db, const std::string& town, std::optional<Timestamp> at);

/// The current version of a grid, or nullopt when no grid has that id.
std::optional<GridRecord> find_grid(Database& db, const std::string& grid_id);

/// Every version of a grid, newest first (empty when no grid ever had the id).
std::vector<GridRecord> grid_history(Database& db, const std::string& grid_id);

std::vector<WorkerRecord> list_workers(Database& db, const std::string& town);

struct StaffChange {
    std::optional<std::string> leader;  // worker id
    std::optional<std::string> worker;  // worker id
};

/// Sets a grid's leader and/or worker and writes the audit log, in one transaction.
/// @throws Error(not_found) unknown grid; Error(unprocessable) unknown worker, or a worker
///         of another town
GridRecord set_grid_staff(Database& db, const std::string& grid_id, const StaffChange& change,
                          const Principal& actor);

}  // namespace wangge::data

namespace wangge::data {

struct CategoryRecord {
    std::string code;
    std::string name;
    std::string name_en;
    std::string platform;
    int time_limit_workdays = 0;
};

std::vector<CategoryRecord> list_categories(Database& db);

}  // namespace wangge::data

namespace pqxx {
class transaction_base;
}

namespace wangge::geo {
struct GridShape;
struct TownShape;
}  // namespace wangge::geo

namespace wangge::data {

/// The current grids and the town boundaries, as the grid index is built from them.
void load_index_shapes(Database& db, std::vector<geo::GridShape>& grids, std::vector<geo::TownShape>& towns);
/// The same inside the caller's transaction; with `only`, the grids of those towns only
/// (the outlines of every town all the same: the index needs them all).
void load_index_shapes(pqxx::transaction_base& tx, std::vector<geo::GridShape>& grids, std::vector<geo::TownShape>& towns,
                       const std::optional<std::vector<std::string>>& only = std::nullopt);

}  // namespace wangge::data
