#include "data/migrate.hpp"

#include "core/calendar.hpp"
#include "core/domain.hpp"
#include "core/embedded.hpp"
#include "core/error.hpp"
#include "data/db.hpp"
#include "data/text.hpp"

#include <pqxx/pqxx>

#include <set>

#include <algorithm>
#include <cstdlib>
#include <fstream>

namespace wangge {
extern const std::vector<EmbeddedFile> k_migrations;
}

namespace wangge::data {

namespace {

constexpr long long k_migrate_lock = 0x77616e67676531;  // "wangge1": serialises migrate runs

struct CategoryRow {
    std::string code, name, platform, limit, name_en;
};

std::vector<CategoryRow> read_categories(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw Error(ErrorCode::internal, "cannot read " + file.string());
    std::vector<CategoryRow> rows;
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
        if (++line_no == 1 || line.empty()) continue;
        auto f = split_csv_line(line);
        if (f.size() != 5 || !is_platform(f[2]))
            throw Error(ErrorCode::internal, file.string() + ":" + std::to_string(line_no) +
                                                 ": expected code,name,platform,time_limit_workdays,name_en");
        rows.push_back({f[0], f[1], f[2], f[3], f[4]});
    }
    return rows;
}

int sync_categories(pqxx::work& tx, const std::vector<CategoryRow>& rows) {
    int changed = 0;
    for (const auto& r : rows) {
        auto res = tx.exec_params(
            "INSERT INTO categories (code, name, platform, time_limit_workdays, name_en) VALUES ($1,$2,$3,$4::int,$5) "
            "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, platform = EXCLUDED.platform, "
            "time_limit_workdays = EXCLUDED.time_limit_workdays, name_en = EXCLUDED.name_en "
            "WHERE (categories.name, categories.platform, categories.time_limit_workdays, categories.name_en) "
            "IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.platform, EXCLUDED.time_limit_workdays, EXCLUDED.name_en)",
            r.code, r.name, r.platform, r.limit, r.name_en);
        changed += static_cast<int>(res.affected_rows());
    }
    // Categories that reports use are kept even when the file drops them.
    std::vector<std::string> codes;
    for (const auto& r : rows) codes.push_back(r.code);
    auto res = tx.exec_params(
        "DELETE FROM categories c WHERE NOT (c.code = ANY($1::text[])) "
        "AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.category = c.code)",
        pg_text_array(codes));
    return changed + static_cast<int>(res.affected_rows());
}

int sync_holidays(pqxx::work& tx, const std::vector<CalendarDay>& days) {
    int changed = 0;
    std::vector<std::string> dates;
    for (const auto& d : days) {
        const auto date = format_date(d.day);
        dates.push_back(date);
        auto res = tx.exec_params(
            "INSERT INTO holidays (day, kind, name) VALUES ($1::date, $2, $3) "
            "ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name "
            "WHERE (holidays.kind, holidays.name) IS DISTINCT FROM (EXCLUDED.kind, EXCLUDED.name)",
            date, d.working ? "workday" : "holiday", d.name);
        changed += static_cast<int>(res.affected_rows());
    }
    auto res = tx.exec_params("DELETE FROM holidays WHERE NOT (day::text = ANY($1::text[]))", pg_text_array(dates));
    return changed + static_cast<int>(res.affected_rows());
}

}  // namespace

std::filesystem::path data_dir() {
    if (const char* env = std::getenv("WANGGE_DATA_DIR"); env != nullptr && *env != '\0') return env;
    return WANGGE_SOURCE_DATA_DIR;
}

std::vector<std::string> pending_migrations(Database& db) {
    std::vector<std::string> pending;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        std::set<std::string> applied;
        if (!tx.exec("SELECT to_regclass('schema_migrations')")[0][0].is_null())
            for (const auto& r : tx.exec("SELECT name FROM schema_migrations")) applied.insert(r[0].as<std::string>());
        pending.clear();
        for (const auto& m : k_migrations)
            if (!applied.contains(std::string(m.name))) pending.emplace_back(m.name);
    });
    std::sort(pending.begin(), pending.end());
    return pending;
}

MigrationResult migrate(Database& db, const std::filesystem::path& dir) {
    auto migrations = k_migrations;
    std::sort(migrations.begin(), migrations.end(), [](auto& a, auto& b) { return a.name < b.name; });
    const auto categories = read_categories(dir / "catalogue" / "categories.csv");
    std::ifstream cal(dir / "calendar" / "holidays.csv");
    if (!cal) throw Error(ErrorCode::internal, "cannot read " + (dir / "calendar" / "holidays.csv").string());
    const auto holidays = WorkCalendar::read_csv(cal);

    MigrationResult result;
    db.run([&](pqxx::connection_base& c) {
        pqxx::work tx(c);
        tx.exec("SET LOCAL client_min_messages = warning");
        tx.exec_params("SELECT pg_advisory_xact_lock($1)", k_migrate_lock);
        tx.exec(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
        for (const auto& m : migrations) {
            const std::string name(m.name);
            const std::string sql(m.content);
            const auto sum = sha256_hex(sql);
            auto have = tx.exec_params("SELECT sha256 FROM schema_migrations WHERE name = $1", name);
            if (!have.empty()) {
                if (have[0][0].as<std::string>() != sum)
                    throw Error(ErrorCode::internal, "migration " + name + " was changed after it was applied");
                continue;
            }
            tx.exec(sql);
            tx.exec_params("INSERT INTO schema_migrations (name, sha256) VALUES ($1, $2)", name, sum);
            result.applied.push_back(name);
        }
        result.categories_changed = sync_categories(tx, categories);
        result.holidays_changed = sync_holidays(tx, holidays);
        tx.commit();
    });
    return result;
}

}  // namespace wangge::data
