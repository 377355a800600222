#pragma once
// Schema migrations (data/migrations/NNNN_name.sql, compiled in) and the reference data
// that travels with them: the category catalogue and the holiday calendar.

#include <filesystem>
#include <string>
#include <vector>

namespace wangge::data {

class Database;

struct MigrationResult {
    std::vector<std::string> applied;  // names of migrations applied by this run
    int categories_changed = 0;        // rows inserted, updated or deleted
    int holidays_changed = 0;
};

/// Applies pending migrations in name order, each in the same transaction as its
/// record in schema_migrations, under an advisory lock so two `migrate` runs cannot
/// interleave; then syncs categories and holidays from `data_dir`. Idempotent: a second
/// run applies and changes nothing.
/// @throws Error(internal) when an applied migration's text has changed since
MigrationResult migrate(Database& db, const std::filesystem::path& data_dir);

/// The compiled-in migrations the database has not recorded as applied, in name order
/// (all of them when schema_migrations does not exist yet). A server of this build needs
/// none pending: its queries assume every table and index they create.
/// @throws Error(database_unavailable) / Error(internal) as Database::run
std::vector<std::string> pending_migrations(Database& db);

/// Directory of runtime data files: $WANGGE_DATA_DIR or the source tree's data/.
std::filesystem::path data_dir();

}  // namespace wangge::data
