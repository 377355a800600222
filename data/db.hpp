#pragma once
// A small pool of libpqxx 6.4 connections. A connection is single-threaded, so each
// caller leases one for the length of a unit of work. Connections broken by a server
// restart are thrown away (all idle ones with them) and replaced on the next lease; while
// the server is down, requests fail fast with Error(database_unavailable) (503).

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace pqxx {
class connection_base;
}

namespace wangge::data {

namespace detail {
struct PooledConnection;
}

class Database {
public:
    /// Connections are opened lazily, so a server can start while the database is down.
    explicit Database(std::string conninfo, std::size_t pool_size = 8);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    /// Runs fn on a leased connection. Library errors are translated at this boundary:
    /// an unreachable database → Error(database_unavailable); a statement cancelled by
    /// the thread's StatementDeadline → Error(deadline_exceeded); other pqxx errors →
    /// Error(internal) (the SQL message goes to the log, not to the client).
    /// wangge::Error thrown by fn passes through unchanged.
    void run(const std::function<void(pqxx::connection_base&)>& fn);

    /// True when a trivial query succeeds within the pool's connect timeout.
    bool ping();

    const std::string& conninfo() const noexcept { return m_conninfo; }

    struct PoolState {
        std::size_t size;
        std::size_t idle;
        std::size_t in_use;
        std::size_t waiting;
    };
    PoolState state();

private:
    std::unique_ptr<detail::PooledConnection> take();
    void give_back(std::unique_ptr<detail::PooledConnection> c);
    /// Drops the idle connections too and throws Error(database_unavailable).
    [[noreturn]] void lost(const char* what);

    std::string m_conninfo;
    std::size_t m_size;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::vector<std::unique_ptr<detail::PooledConnection>> m_idle;
    std::size_t m_in_use = 0;
    std::size_t m_waiting = 0;
    std::chrono::steady_clock::time_point m_down_until{};
};

/// While one lives, every statement that this thread runs through Database::run gets
/// PostgreSQL's statement_timeout = limit (0: none), so one slow request cannot hold a
/// pooled connection and its locks for ever. Per thread because a request is answered
/// on one worker thread; the timeout is set on the leased connection only when it
/// differs from what that connection already has (no extra round trip per request).
class StatementDeadline {
public:
    explicit StatementDeadline(std::chrono::milliseconds limit) noexcept;
    ~StatementDeadline();
    StatementDeadline(const StatementDeadline&) = delete;
    StatementDeadline& operator=(const StatementDeadline&) = delete;

    /// This thread's limit now (0: none).
    static std::chrono::milliseconds current() noexcept;

private:
    std::chrono::milliseconds m_previous;
};

/// The connection string: $WANGGE_DB, else WANGGE_DB=… from var/wangge.env in the
/// working directory or next to the binary's build directory.
/// @throws Error(database_unavailable) when neither is set
std::string resolve_conninfo(const std::string& argv0);

}  // namespace wangge::data
