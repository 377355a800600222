#pragma once
// A database of its own for a test, inside the throw-away cluster that scripts/test.sh
// starts (WANGGE_TEST_DB names that cluster's maintenance database).

#include "data/db.hpp"

#include <memory>
#include <string>

namespace wangge::test {

class TestDatabase {
public:
    /// Creates database wangge_t_<name>_<pid> with PostGIS. Fails the test (it does not
    /// skip) when WANGGE_TEST_DB is unset: integration tests must run against PostGIS.
    explicit TestDatabase(const std::string& name);
    ~TestDatabase();
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;

    const std::string& conninfo() const noexcept { return m_conninfo; }
    data::Database& db() { return *m_db; }
    /// Runs SQL and returns the first column of the first row as text ("" for NULL / no row).
    std::string scalar(const std::string& sql);

private:
    std::string m_admin;
    std::string m_name;
    std::string m_conninfo;
    std::unique_ptr<data::Database> m_db;
};

/// The migrated schema plus the four towns' demo data, loaded once per process with a
/// fixed seed, month and cutoff.
TestDatabase& demo_database();

inline constexpr std::uint64_t k_demo_seed = 7;
inline constexpr int k_demo_reports = 3000;

}  // namespace wangge::test
