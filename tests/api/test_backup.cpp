// `wangge backup` / `wangge restore` as an operator runs them: the demo database round-trips
// through an archive into a fresh database with every row the same.

#include "data/backup.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

using namespace wangge;

namespace {

// table → md5 of its rows in a fixed order: equal digests, equal contents.
std::map<std::string, std::string> digest(data::Database& db) {
    std::map<std::string, std::string> out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::nontransaction tx(c);
        const auto tables = tx.exec(
            "SELECT quote_ident(s.nspname) || '.' || quote_ident(c.relname) FROM pg_class c "
            "JOIN pg_namespace s ON s.oid = c.relnamespace WHERE c.relkind = 'r' "
            "AND s.nspname NOT IN ('pg_catalog', 'information_schema') AND s.nspname NOT LIKE 'pg_toast%' "
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid "
            "AND d.deptype = 'e')");
        for (const auto& t : tables) {
            const auto name = t[0].as<std::string>();
            const auto r = tx.exec("SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, E'\\n' ORDER BY x::text)), '') FROM " +
                                   name + " x");
            out[name] = r[0][0].as<std::string>();
        }
    });
    return out;
}

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST(Backup, TheDemoDatabaseRoundTripsThroughBackupAndRestore) {
    auto& source = test::demo_database();
    const std::string dir = "/tmp/wangge-test-backup-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    const std::string archive = dir + "/demo.dump", log = dir + "/cli.log";

    ASSERT_EQ(test::run_command({test::wangge_binary(), "backup", "-o", archive}, {{"WANGGE_DB", source.conninfo()}}, log), 0)
        << read(log);
    ASSERT_TRUE(std::filesystem::file_size(archive) > 10000);
    EXPECT_FALSE(std::filesystem::exists(archive + ".partial"));

    test::TestDatabase fresh("restored");
    EXPECT_EQ(data::user_table_count(fresh.db()), 0);
    ASSERT_EQ(test::run_command({test::wangge_binary(), "restore", archive}, {{"WANGGE_DB", fresh.conninfo()}}, log), 0)
        << read(log);
    const auto expected = digest(source.db());
    EXPECT_GT(expected.size(), 8u);
    EXPECT_TRUE(expected.contains("public.reports"));
    EXPECT_EQ(digest(fresh.db()), expected);

    // A second restore would replace data: refused without --force, done with it.
    std::filesystem::remove(log);
    EXPECT_EQ(test::run_command({test::wangge_binary(), "restore", archive}, {{"WANGGE_DB", fresh.conninfo()}}, log), 2);
    EXPECT_NE(read(log).find("--force"), std::string::npos) << read(log);
    fresh.scalar("DELETE FROM report_events");
    ASSERT_EQ(test::run_command({test::wangge_binary(), "restore", "--force", archive}, {{"WANGGE_DB", fresh.conninfo()}}, log),
              0)
        << read(log);
    EXPECT_EQ(digest(fresh.db()), expected);

    // A broken archive changes nothing.
    { std::ofstream(dir + "/broken.dump") << "PGDMP not really"; }
    EXPECT_NE(test::run_command({test::wangge_binary(), "restore", "--force", dir + "/broken.dump"},
                                {{"WANGGE_DB", fresh.conninfo()}}, log),
              0);
    EXPECT_EQ(digest(fresh.db()), expected);
    std::filesystem::remove_all(dir);
}
