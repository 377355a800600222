#include "data/db.hpp"

#include "core/error.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace wangge::data {

namespace detail {
struct PooledConnection {
    explicit PooledConnection(const std::string& conninfo) : c(conninfo) {}
    pqxx::connection c;
    std::chrono::milliseconds statement_timeout{0};  // what the session has now
};
}  // namespace detail

namespace {
thread_local std::chrono::milliseconds t_deadline{0};
}

StatementDeadline::StatementDeadline(std::chrono::milliseconds limit) noexcept : m_previous(t_deadline) {
    t_deadline = limit;
}
StatementDeadline::~StatementDeadline() { t_deadline = m_previous; }
std::chrono::milliseconds StatementDeadline::current() noexcept { return t_deadline; }

Database::Database(std::string conninfo, std::size_t pool_size)
    : m_conninfo(std::move(conninfo)), m_size(pool_size == 0 ? 1 : pool_size) {
    // A down database must not hang requests for libpq's default (forever).
    if (m_conninfo.find("connect_timeout") == std::string::npos) m_conninfo += " connect_timeout=5";
}

Database::~Database() = default;

std::unique_ptr<detail::PooledConnection> Database::take() {
    std::unique_lock lock(m_mutex);
    ++m_waiting;
    m_cv.wait(lock, [&] { return !m_idle.empty() || m_in_use + m_idle.size() < m_size; });
    --m_waiting;
    ++m_in_use;
    if (!m_idle.empty()) {
        auto c = std::move(m_idle.back());
        m_idle.pop_back();
        return c;
    }
    lock.unlock();
    try {
        auto c = std::make_unique<detail::PooledConnection>(m_conninfo);
        // Reports and audit rows carry Shanghai civil dates; keep the session zone fixed.
        pqxx::nontransaction(c->c).exec("SET TIME ZONE 'Asia/Shanghai'");
        return c;
    } catch (...) {
        std::lock_guard relock(m_mutex);
        --m_in_use;
        m_cv.notify_one();
        throw;
    }
}

void Database::give_back(std::unique_ptr<detail::PooledConnection> c) {
    std::lock_guard lock(m_mutex);
    --m_in_use;
    if (c && c->c.is_open()) m_idle.push_back(std::move(c));
    m_cv.notify_one();
}

void Database::run(const std::function<void(pqxx::connection_base&)>& fn) {
    std::unique_ptr<detail::PooledConnection> c;
    try {
        c = take();
    } catch (const std::exception& e) {
        std::cerr << "database: cannot connect: " << e.what() << '\n';
        throw Error(ErrorCode::database_unavailable, "the database is not reachable");
    }
    try {
        if (c->statement_timeout != t_deadline) {
            // Session level, before fn's transaction: SET LOCAL would need every store to
            // cooperate. A connection without a deadline goes back to none.
            pqxx::nontransaction(c->c).exec("SET statement_timeout = " + std::to_string(t_deadline.count()));
            c->statement_timeout = t_deadline;
        }
        fn(c->c);
        give_back(std::move(c));
    } catch (const Error&) {
        give_back(std::move(c));
        throw;
    } catch (const pqxx::broken_connection& e) {
        std::cerr << "database: connection lost: " << e.what() << '\n';
        give_back(nullptr);
        throw Error(ErrorCode::database_unavailable, "the database connection was lost");
    } catch (const pqxx::sql_error& e) {
        std::cerr << "database: " << e.what() << " in: " << e.query().substr(0, 200) << '\n';
        // The server may have restarted under us (admin shutdown): do not reuse.
        const bool lost = !c->c.is_open() || e.sqlstate().rfind("57P", 0) == 0 || e.sqlstate().rfind("08", 0) == 0;
        give_back(lost ? nullptr : std::move(c));
        if (lost) throw Error(ErrorCode::database_unavailable, "the database connection was lost");
        if (e.sqlstate() == "57014")  // query_canceled: our statement_timeout
            throw Error(ErrorCode::deadline_exceeded,
                        "the request took longer than its " + std::to_string(t_deadline.count()) +
                            " ms database deadline; try again later or narrow the request",
                        nlohmann::json{{"deadline_ms", t_deadline.count()}});
        throw Error(ErrorCode::internal, "database error");
    } catch (const std::exception& e) {
        std::cerr << "database: " << e.what() << '\n';
        give_back(c && c->c.is_open() ? std::move(c) : nullptr);
        throw Error(ErrorCode::internal, "database error");
    }
}

bool Database::ping() {
    try {
        run([](pqxx::connection_base& c) { pqxx::nontransaction(c).exec("SELECT 1"); });
        return true;
    } catch (const Error&) {
        return false;
    }
}

Database::PoolState Database::state() {
    std::lock_guard lock(m_mutex);
    return {m_size, m_idle.size(), m_in_use, m_waiting};
}

std::string resolve_conninfo(const std::string& argv0) {
    if (const char* env = std::getenv("WANGGE_DB"); env != nullptr && *env != '\0') return env;
    namespace fs = std::filesystem;
    std::vector<fs::path> candidates{fs::current_path() / "var" / "wangge.env"};
    std::error_code ec;
    const auto exe = fs::weakly_canonical(fs::path(argv0), ec);
    if (!ec) candidates.push_back(exe.parent_path().parent_path() / "var" / "wangge.env");
    for (const auto& p : candidates) {
        std::ifstream in(p);
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind("WANGGE_DB=", 0) != 0) continue;
            auto value = line.substr(10);
            if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"') && value.back() == value.front())
                value = value.substr(1, value.size() - 2);
            return value;
        }
    }
    throw Error(ErrorCode::database_unavailable,
                "no database configured: set WANGGE_DB or run scripts/run.sh (writes var/wangge.env)");
}

}  // namespace wangge::data
