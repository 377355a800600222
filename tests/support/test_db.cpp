#include "tests/support/test_db.hpp"

#include "data/demo.hpp"
#include "data/migrate.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <cstdlib>
#include <stdexcept>
#include <unistd.h>

namespace wangge::test {

namespace {
std::string admin_conninfo() {
    const char* env = std::getenv("WANGGE_TEST_DB");
    if (env == nullptr || *env == '\0')
        throw std::runtime_error("WANGGE_TEST_DB is not set: run the tests through scripts/test.sh");
    return env;
}
}  // namespace

TestDatabase::TestDatabase(const std::string& name)
    : m_admin(admin_conninfo()), m_name("wangge_t_" + name + "_" + std::to_string(::getpid())) {
    pqxx::connection admin(m_admin);
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + m_name);
    tx.exec("CREATE DATABASE " + m_name);
    // Replace dbname in the cluster's conninfo.
    const auto pos = m_admin.find("dbname=");
    std::string rest = m_admin.substr(pos);
    const auto end = rest.find(' ');
    m_conninfo = m_admin.substr(0, pos) + "dbname=" + m_name + (end == std::string::npos ? "" : rest.substr(end));
    m_db = std::make_unique<data::Database>(m_conninfo, 4);
}

TestDatabase::~TestDatabase() {
    m_db.reset();
    try {
        pqxx::connection admin(m_admin);
        pqxx::nontransaction(admin).exec("DROP DATABASE IF EXISTS " + m_name + " WITH (FORCE)");
    } catch (...) {
    }
}

std::string TestDatabase::scalar(const std::string& sql) {
    std::string out;
    m_db->run([&](pqxx::connection_base& c) {
        pqxx::nontransaction tx(c);
        auto r = tx.exec(sql);
        if (!r.empty() && !r[0][0].is_null()) out = r[0][0].as<std::string>();
    });
    return out;
}

TestDatabase& demo_database() {
    static TestDatabase* instance = [] {
        auto* t = new TestDatabase("demo");
        data::migrate(t->db(), data::data_dir());
        data::DemoOptions options;
        options.seed = k_demo_seed;
        options.reports = k_demo_reports;
        options.until = std::chrono::year{2026} / std::chrono::month{6};
        options.cutoff = *parse_rfc3339("2026-06-20T12:00:00+08:00");
        data::load_demo_data(t->db(), options, data::data_dir(), false);
        return t;
    }();
    // Dropped at exit so the throw-away cluster does not fill up across runs.
    static const int registered = std::atexit([] { delete instance; });
    (void)registered;
    return *instance;
}

}  // namespace wangge::test
