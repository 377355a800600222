#pragma once
// Encoded tiles in memory, least recently used first out, within a byte budget
// (mod_tile keeps tiles on disk; ours are cheap to redo and change with the data).
// An entry is valid only for the ETag it was stored with: the caller computes the
// current ETag from the data versions and a stale entry is a miss.

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace wangge::tiles {

class TileCache {
public:
    explicit TileCache(std::size_t budget_bytes) : m_budget(budget_bytes) {}

    /// The bytes stored under key when they were stored with this etag.
    std::optional<std::string> find(const std::string& key, const std::string& etag);

    /// Stores (or replaces) an entry, then evicts the least recently used ones until the
    /// total is within budget. An entry larger than the whole budget is not stored.
    void put(const std::string& key, const std::string& etag, std::string bytes);

    struct Stats {
        std::size_t entries = 0;
        std::size_t bytes = 0;
        std::size_t budget = 0;
        unsigned long long hits = 0, misses = 0, evictions = 0;
    };
    Stats stats() const;

private:
    struct Entry {
        std::string key;
        std::string etag;
        std::string bytes;
    };
    static std::size_t cost(const Entry& e) noexcept { return e.key.size() + e.etag.size() + e.bytes.size() + 96; }

    mutable std::mutex m_mutex;
    std::size_t m_budget;
    std::size_t m_bytes = 0;
    std::list<Entry> m_lru;  // front: most recent
    std::unordered_map<std::string, std::list<Entry>::iterator> m_index;
    unsigned long long m_hits = 0, m_misses = 0, m_evictions = 0;
};

}  // namespace wangge::tiles
