#pragma once
// `wangge backup` / `wangge restore`: pg_dump and pg_restore of the project database, with
// the checks that keep an operator from a silent mistake (docs/operations.md).

#include "data/db.hpp"

#include <cstdint>
#include <filesystem>
#include <string>

namespace wangge::data {

struct BackupResult {
    std::string server_version;   // e.g. "15.18"
    std::string tool;             // the pg_dump / pg_restore that ran
    std::uintmax_t bytes = 0;     // size of the archive
};

/// Writes a custom-format archive (pg_dump -Fc) of the configured database to `file`.
/// The archive is written next to `file` and renamed into place only when complete, so a
/// failed or interrupted backup never leaves a truncated file under the final name.
/// @throws Error(database_unavailable) when the server does not answer;
///         Error(bad_request) when no pg_dump of the server's major version is installed
///         or pg_dump fails
BackupResult backup(Database& db, const std::filesystem::path& file);

/// Restores an archive made by backup() into the configured database in one transaction
/// (pg_restore --clean --if-exists --single-transaction): all of it or nothing.
/// @throws Error(conflict) when the database holds tables and `force` is false;
///         Error(bad_request) for a missing file, a tool version mismatch or a failed restore
BackupResult restore(Database& db, const std::filesystem::path& file, bool force);

/// Tables of the database outside the system and extension schemas (0: empty).
int user_table_count(Database& db);

}  // namespace wangge::data
