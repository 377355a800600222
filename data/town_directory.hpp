#pragma once
// Which towns exist, answered from memory. Every request that names a town checks it here
// (tiles thousands of times a second), so a known town costs no database round trip; the
// towns themselves live in the database (migration 0009) and this copy follows it
// (docs/data.md "Towns and counties"):
// - while the change feed is connected, it calls changed() on every write to towns or
//   counties (topic 'towns') and after every reconnect, and the copy is exact;
// - while it is not (tests that drive Service directly, a feed reconnecting), the copy is
//   read again when it is more than a second old;
// - a code the copy does not know is looked up in the database before it is refused, so
//   a town added a moment ago (by psql, the CLI, another node) is not refused while the
//   notification is on its way. Refusals are remembered for a second while the feed is
//   connected (it clears them on every change), so a client repeating an unknown code
//   does not cost a query per request.

#include "data/records.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace wangge::data {

class Database;

class TownDirectory {
public:
    /// `following` says whether the change feed is connected (see above); the directory
    /// reads nothing until its first lookup, so a service can start while the database is
    /// down.
    TownDirectory(Database& db, std::function<bool()> following);

    /// @throws Error(database_unavailable) when the copy must be read and cannot be
    bool exists(const std::string& code);
    std::optional<TownRecord> find(const std::string& code);

    /// The change feed's handler: reads every town again (and forgets remembered
    /// refusals). @throws when the database cannot be read (the feed calls again)
    void changed();

    struct Stats {
        std::uint64_t hits = 0;     // answered from memory
        std::uint64_t lookups = 0;  // codes looked up in the database (unknown to the copy)
        std::uint64_t loads = 0;    // whole copies read
        std::size_t towns = 0;
    };
    Stats stats() const;

private:
    using Towns = std::unordered_map<std::string, TownRecord>;
    struct Copy {
        Towns towns;
        std::chrono::steady_clock::time_point read_at;
    };

    /// The record (sharing the copy it lives in), or nullptr.
    std::shared_ptr<const TownRecord> lookup(const std::string& code);
    static bool fresh(const Copy& copy, bool following);
    /// Reads every town, unless (without `force`) another thread has just done so.
    std::shared_ptr<const Copy> load(bool following, bool force);

    Database& m_db;
    std::function<bool()> m_following;
    std::mutex m_load_mutex;  // one whole read at a time; the others wait for it and use it
    mutable std::mutex m_mutex;
    // Guarded by m_mutex:
    std::shared_ptr<const Copy> m_copy;
    std::uint64_t m_epoch = 0;  // bumped by changed(): a read that began before it is not kept
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> m_absent;
    std::atomic<std::uint64_t> m_hits{0}, m_lookups{0}, m_loads{0};
};

}  // namespace wangge::data
