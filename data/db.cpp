#include "data/db.hpp"

#include "core/error.hpp"
#include "data/prepared.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <poll.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace wangge::data {

namespace detail {
struct PooledConnection {
    explicit PooledConnection(const std::string& conninfo) : c(conninfo) {}
    ~PooledConnection() { forget_prepared(c); }
    PooledConnection(const PooledConnection&) = delete;
    PooledConnection& operator=(const PooledConnection&) = delete;
    pqxx::connection c;
    std::chrono::milliseconds statement_timeout{0};  // what the session has now
};
}  // namespace detail

namespace {

using Clock = std::chrono::steady_clock;

// After a failed connect, requests fail fast for this long instead of each trying (and,
// with an unreachable host, each waiting connect_timeout): no connect storm while the
// database is down, and recovery within this delay once it is back.
constexpr auto k_down_hold = std::chrono::milliseconds(500);
// A request waits this long for a free connection, then gets 503 rather than hanging
// behind a database that stopped answering.
constexpr auto k_lease_wait = std::chrono::seconds(15);

// An idle connection has nothing to read. If its socket is readable or hung up, the
// server closed it (restart, admin shutdown, idle timeout): using it would fail the
// request that leased it.
bool looks_alive(const pqxx::connection_base& c) {
    if (!c.is_open()) return false;
    pollfd p{c.sock(), POLLIN, 0};
    if (p.fd < 0) return false;
    const int n = ::poll(&p, 1, 0);
    return n == 0;
}

std::string with_connect_timeout(std::string conninfo) {
    // A down or unreachable database must not hang requests for libpq's default (forever).
    if (conninfo.find("connect_timeout") != std::string::npos) return conninfo;
    if (conninfo.rfind("postgres://", 0) == 0 || conninfo.rfind("postgresql://", 0) == 0)
        return conninfo + (conninfo.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=2";
    return conninfo + " connect_timeout=2";
}

thread_local std::chrono::milliseconds t_deadline{0};
// How long this thread's next lease may wait for a free connection (ping waits less:
// a readiness probe must answer quickly, busy or not).
thread_local std::chrono::milliseconds t_lease_wait = std::chrono::duration_cast<std::chrono::milliseconds>(k_lease_wait);

}  // namespace

StatementDeadline::StatementDeadline(std::chrono::milliseconds limit) noexcept : m_previous(t_deadline) {
    t_deadline = limit;
}
StatementDeadline::~StatementDeadline() { t_deadline = m_previous; }
std::chrono::milliseconds StatementDeadline::current() noexcept { return t_deadline; }

Database::Database(std::string conninfo, std::size_t pool_size)
    : m_conninfo(with_connect_timeout(std::move(conninfo))), m_size(pool_size == 0 ? 1 : pool_size) {}

Database::~Database() = default;

std::unique_ptr<detail::PooledConnection> Database::take() {
    std::vector<std::unique_ptr<detail::PooledConnection>> dead;  // closed outside the lock
    std::unique_lock lock(m_mutex);
    ++m_waiting;
    const bool free = m_cv.wait_for(lock, t_lease_wait, [&] { return !m_idle.empty() || m_in_use + m_idle.size() < m_size; });
    --m_waiting;
    if (!free) throw Error(ErrorCode::database_unavailable, "the database is not answering: no connection became free");
    ++m_in_use;
    while (!m_idle.empty()) {
        auto c = std::move(m_idle.back());
        m_idle.pop_back();
        if (looks_alive(c->c)) return c;
        dead.push_back(std::move(c));
    }
    if (Clock::now() < m_down_until) {
        --m_in_use;
        m_cv.notify_one();
        throw Error(ErrorCode::database_unavailable, "the database is not reachable");
    }
    lock.unlock();
    dead.clear();
    try {
        auto c = std::make_unique<detail::PooledConnection>(m_conninfo);
        // Reports and audit rows carry Shanghai civil dates; keep the session zone fixed.
        pqxx::nontransaction(c->c).exec("SET TIME ZONE 'Asia/Shanghai'");
        return c;
    } catch (const std::exception& e) {
        std::cerr << "database: cannot connect: " << e.what() << '\n';
        std::lock_guard relock(m_mutex);
        m_down_until = Clock::now() + k_down_hold;
        --m_in_use;
        m_cv.notify_one();
        throw Error(ErrorCode::database_unavailable, "the database is not reachable");
    }
}

void Database::give_back(std::unique_ptr<detail::PooledConnection> c) {
    std::lock_guard lock(m_mutex);
    --m_in_use;
    if (c && c->c.is_open()) m_idle.push_back(std::move(c));
    m_cv.notify_one();
}

void Database::lost(const char* what) {
    std::cerr << "database: connection lost: " << what << '\n';
    // The other idle connections went with the server: drop them now rather than fail
    // one request each.
    std::vector<std::unique_ptr<detail::PooledConnection>> dead;
    {
        std::lock_guard lock(m_mutex);
        --m_in_use;
        dead.swap(m_idle);
        m_cv.notify_all();
    }
    throw Error(ErrorCode::database_unavailable, "the database connection was lost");
}

void Database::run(const std::function<void(pqxx::connection_base&)>& fn) {
    auto c = take();
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
        c.reset();
        lost(e.what());
    } catch (const pqxx::in_doubt_error& e) {
        // The commit went out and the connection died before its answer: the work may or
        // may not be stored, so the client must retry (reports are idempotent by client_id).
        c.reset();
        lost(e.what());
    } catch (const pqxx::sql_error& e) {
        // The server may be shutting down under us (admin shutdown, crash recovery,
        // connection failure classes): do not reuse.
        // A member that became a replica during a failover answers writes with
        // read_only_sql_transaction (25006) until the proxy moves us to the new leader:
        // the connection is in the wrong place, so it goes, with every idle one.
        const bool gone = !c->c.is_open() || e.sqlstate().rfind("57P", 0) == 0 || e.sqlstate().rfind("08", 0) == 0 ||
                          e.sqlstate() == "25006";
        if (gone) {
            c.reset();
            lost(e.what());
        }
        std::cerr << "database: " << e.what() << " in: " << e.query().substr(0, 200) << '\n';
        give_back(std::move(c));
        if (e.sqlstate() == "57014")  // query_canceled: our statement_timeout
            throw Error(ErrorCode::deadline_exceeded,
                        "the request took longer than its " + std::to_string(t_deadline.count()) +
                            " ms database deadline; try again later or narrow the request",
                        nlohmann::json{{"deadline_ms", t_deadline.count()}});
        // Transient by nature: the same request succeeds when tried again.
        if (e.sqlstate() == "40001" || e.sqlstate() == "40P01")
            throw Error(ErrorCode::database_unavailable, "the request collided with a concurrent change; try again");
        throw Error(ErrorCode::internal, "database error");
    } catch (const std::exception& e) {
        // libpqxx reports some losses as a plain failure (a COPY whose server went away:
        // "Write to table failed"), and the connection may still look open: ask it once,
        // so an outage answers 503 like every other lost connection, not 500.
        bool alive = c->c.is_open();
        if (alive) try {
                pqxx::nontransaction(c->c).exec("SELECT 1");
            } catch (const std::exception&) {
                alive = false;
            }
        if (!alive) {
            c.reset();
            lost(e.what());
        }
        std::cerr << "database: " << e.what() << '\n';
        give_back(std::move(c));
        throw Error(ErrorCode::internal, "database error");
    }
}

bool Database::ping() {
    struct ShortWait {
        std::chrono::milliseconds saved = t_lease_wait;
        ShortWait() { t_lease_wait = std::chrono::milliseconds(1000); }
        ~ShortWait() { t_lease_wait = saved; }
    } short_wait;
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
