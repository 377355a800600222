#include "data/change_feed.hpp"

#include "core/log.hpp"
#include "data/db.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <iostream>

namespace wangge::data {

std::int64_t prune_report_changes(Database& db) {
    std::int64_t total = 0;
    for (;;) {
        std::int64_t gone = 0;
        db.run([&](pqxx::connection_base& c) {
            pqxx::work tx(c);
            gone = tx.exec("SELECT prune_report_changes('1 hour', 100000, 100000)")[0][0].as<std::int64_t>();
            tx.commit();
        });
        total += gone;
        if (gone == 0) return total;
    }
}


namespace {

constexpr const char* k_channel = "wangge_change";
constexpr auto k_retry = std::chrono::milliseconds(500);

class Receiver final : public pqxx::notification_receiver {
public:
    Receiver(pqxx::connection_base& c, std::vector<std::string>& heard) : notification_receiver(c, k_channel), m_heard(heard) {}
    void operator()(const std::string& payload, int) override { m_heard.push_back(payload); }

private:
    std::vector<std::string>& m_heard;
};

std::map<std::string, long long> read_counters(pqxx::connection_base& c) {
    std::map<std::string, long long> out;
    pqxx::nontransaction tx(c);
    for (const auto& r : tx.exec("SELECT topic, seq FROM change_counters")) out[r[0].as<std::string>()] = r[1].as<long long>();
    return out;
}

}  // namespace

namespace {
// Named, so an operator (and the tests) can find the listener in pg_stat_activity; with
// TCP keepalives and a statement timeout, so a silently lost server (a machine gone, a
// cut network) breaks the session within seconds instead of leaving it waiting.
std::string for_the_feed(std::string conninfo) {
    const bool uri = conninfo.rfind("postgres://", 0) == 0 || conninfo.rfind("postgresql://", 0) == 0;
    auto add = [&](const std::string& key, const std::string& value) {
        if (conninfo.find(key) != std::string::npos) return;
        if (uri) conninfo += (conninfo.find('?') == std::string::npos ? "?" : "&") + key + "=" + value;
        else conninfo += " " + key + "=" + value;
    };
    add("application_name", "wangge-change-feed");
    add("keepalives", "1");
    add("keepalives_idle", "5");
    add("keepalives_interval", "2");
    add("keepalives_count", "2");
    add("tcp_user_timeout", "5000");
    return conninfo;
}
}  // namespace

ChangeFeed::ChangeFeed(std::string conninfo, std::chrono::milliseconds poll) : m_conninfo(for_the_feed(std::move(conninfo))), m_poll(poll) {}

ChangeFeed::~ChangeFeed() { stop(); }

void ChangeFeed::on(const std::string& topic, Handler fn) { m_handlers[topic].push_back(std::move(fn)); }

void ChangeFeed::start() {
    if (m_thread.joinable()) return;
    m_thread = std::thread([this] { run(); });
}

void ChangeFeed::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_cv.notify_all();
    if (m_thread.joinable()) m_thread.join();
}

bool ChangeFeed::sleep_for(std::chrono::milliseconds d) {
    std::unique_lock lock(m_mutex);
    return !m_cv.wait_for(lock, d, [&] { return m_stopping; });
}

ChangeFeed::Stats ChangeFeed::stats() const noexcept {
    // Connected means heard from lately: a session stuck in a dead connection (or behind
    // a slow handler) must not pass for one that follows.
    const auto last = std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(m_last_poll.load()));
    const bool fresh = std::chrono::steady_clock::now() - last < std::max<std::chrono::steady_clock::duration>(4 * m_poll, std::chrono::seconds(2));
    return {m_notifications.load(), m_poll_catches.load(), m_reconnects.load(), m_handler_failures.load(),
            m_connected.load() && fresh};
}

void ChangeFeed::deliver(const std::string& topic) {
    auto it = m_handlers.find(topic);
    if (it == m_handlers.end()) return;
    for (const auto& fn : it->second) {
        try {
            fn();
        } catch (const std::exception& e) {
            ++m_handler_failures;
            // Forget the counter so the next poll tries again.
            m_seen.erase(topic);
            log_line("change feed: following '" + topic + "' failed: " + e.what());
        }
    }
}

namespace {
// Revocations first, the grid index (which may take a second to rebuild) last.
template <class Map>
std::vector<std::string> delivery_order(const Map& topics) {
    std::vector<std::string> out;
    for (const auto& [topic, value] : topics) out.push_back(topic);
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        auto rank = [](const std::string& t) { return t == "tokens" ? 0 : t == "grids" ? 2 : 1; };
        return rank(a) < rank(b);
    });
    return out;
}
}  // namespace

void ChangeFeed::run() {
    bool failing = false;
    for (;;) {
        {
            std::lock_guard lock(m_mutex);
            if (m_stopping) return;
        }
        try {
            session();
            return;  // stopping
        } catch (const std::exception& e) {
            m_connected = false;
            ++m_reconnects;
            if (!failing) log_line(std::string("change feed: ") + e.what() + "; reconnecting");
            failing = true;
        }
        if (!sleep_for(k_retry)) return;
    }
}

void ChangeFeed::session() {
    pqxx::connection c(m_conninfo);
    std::vector<std::string> heard;
    Receiver receiver(c, heard);  // LISTEN, before the counters are read: nothing falls between
    pqxx::nontransaction(c).exec("SET statement_timeout = 5000");
    m_seen = read_counters(c);
    log_line(std::string("change feed: listening on ") + k_channel);
    // Whatever happened before this connection (the first one, or while the last was
    // down) was announced to nobody here: every cache checks itself once, before the
    // feed says it is connected (a cache that trusts the feed then starts clean).
    for (const auto& topic : delivery_order(m_handlers)) deliver(topic);
    m_last_poll = std::chrono::steady_clock::now().time_since_epoch().count();
    m_connected = true;
    for (;;) {
        {
            std::lock_guard lock(m_mutex);
            if (m_stopping) return;
        }
        heard.clear();
        c.await_notification(0, static_cast<long>(std::chrono::duration_cast<std::chrono::microseconds>(m_poll).count()));
        m_notifications += heard.size();
        // The counters decide, the notifications only wake us early: a topic is handed out
        // when its counter moved, read before the handler runs, so the handler sees at
        // least that change. Topics without a counter ('tiles', migration 0010: written
        // thousands of times a second) are handed out on their notification alone; a lost
        // one can only mean a lost connection, after which everything is handed out.
        std::map<std::string, std::vector<Handler>> moved;
        bool counted = false;
        for (const auto& topic : heard) {
            if (m_seen.contains(topic)) counted = true;
            else moved[topic];
        }
        const auto now = std::chrono::steady_clock::now();
        const auto last = std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(m_last_poll.load()));
        if (counted || now - last >= m_poll) {
            for (const auto& [topic, seq] : read_counters(c)) {
                auto seen = m_seen.find(topic);
                if (seen != m_seen.end() && seen->second == seq) continue;
                if (std::find(heard.begin(), heard.end(), topic) == heard.end()) ++m_poll_catches;
                m_seen[topic] = seq;
                moved[topic];
            }
            m_last_poll = std::chrono::steady_clock::now().time_since_epoch().count();
        }
        for (const auto& topic : delivery_order(moved)) deliver(topic);
    }
}

}  // namespace wangge::data
