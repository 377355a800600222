#pragma once
// How a node hears that another node, the CLI or a psql session changed what it keeps in
// memory (docs/data.md "Following the database"). Triggers bump a counter per topic in
// change_counters and NOTIFY wangge_change with the topic on commit (migration 0008).
// One thread per process holds its own connection: it LISTENs, and every poll interval it
// also reads the counters, so a lost notification, a reconnect or a failover to another
// database member delays a change by one interval at most and never hides it. After a
// reconnect every topic is handed out once, since anything may have changed meanwhile.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wangge::data {

class Database;

/// Deletes the oldest report_changes rows that are an hour old and 100,000 ids behind the
/// newest, in batches of 100,000 until none is left to delete (migration 0011, which says
/// why readers stay exact); returns how many went. Any node may call it at any time.
/// @throws Error(database_unavailable) / Error(internal) as Database::run
std::int64_t prune_report_changes(Database& db);

class ChangeFeed {
public:
    using Handler = std::function<void()>;

    explicit ChangeFeed(std::string conninfo, std::chrono::milliseconds poll = std::chrono::milliseconds(250));
    ~ChangeFeed();  // stops
    ChangeFeed(const ChangeFeed&) = delete;
    ChangeFeed& operator=(const ChangeFeed&) = delete;

    /// Registers `fn` for a topic ('grids', 'catalogue', 'tokens', 'towns'; 'tiles', which
    /// has no counter). Before start() only.
    /// Handlers run on the feed's thread, one at a time, tokens first and grids last; one
    /// that throws is logged and called again at the next poll.
    void on(const std::string& topic, Handler fn);

    void start();
    void stop();

    struct Stats {
        std::uint64_t notifications = 0;  // NOTIFYs received
        std::uint64_t poll_catches = 0;   // changes found by the poll that no NOTIFY announced first
        std::uint64_t reconnects = 0;
        std::uint64_t handler_failures = 0;
        bool connected = false;  // and the counters were read within the last 4 polls (at least 2 s)
    };
    Stats stats() const noexcept;

private:
    void run();
    void session();
    void deliver(const std::string& topic);
    bool sleep_for(std::chrono::milliseconds d);  // false when stopping

    std::string m_conninfo;
    std::chrono::milliseconds m_poll;
    std::map<std::string, std::vector<Handler>> m_handlers;
    std::map<std::string, long long> m_seen;  // counter values handled (feed thread only)
    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_stopping = false;
    std::atomic<std::uint64_t> m_notifications{0}, m_poll_catches{0}, m_reconnects{0}, m_handler_failures{0};
    std::atomic<bool> m_connected{false};
    std::atomic<std::chrono::steady_clock::rep> m_last_poll{0};  // when the counters were last read
};

}  // namespace wangge::data
