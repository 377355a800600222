#pragma once
// Encoded tiles in memory, least recently used first out, within a byte budget
// (mod_tile keeps tiles on disk; ours are cheap to redo and change with the data).
// An entry is valid only for the source it was stored with (the data versions it was
// drawn from): the caller computes the current source and a stale entry is a miss. It
// also carries the ETag it is served with, which names what the image shows; where that
// can be computed without drawing (reports: the occupied marker cells), a stale entry
// whose image is still right is adopted for the new source instead of drawn again.

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

    struct Hit {
        std::string etag;
        std::string bytes;
    };
    /// The entry under key when it was stored for this source.
    std::optional<Hit> find(const std::string& key, const std::string& source);

    /// The bytes under key when they are served with this etag; the entry then answers
    /// for `source` from now on (the data moved on, the picture did not).
    std::optional<std::string> adopt(const std::string& key, const std::string& etag, const std::string& source);

    /// Stores (or replaces) an entry, then evicts the least recently used ones until the
    /// total is within budget. An entry larger than the whole budget is not stored.
    void put(const std::string& key, const std::string& source, const std::string& etag, std::string bytes);

    struct Stats {
        std::size_t entries = 0;
        std::size_t bytes = 0;
        std::size_t budget = 0;
        unsigned long long hits = 0, misses = 0, evictions = 0, adopted = 0;
    };
    Stats stats() const;

private:
    struct Entry {
        std::string key;
        std::string source;
        std::string etag;
        std::string bytes;
    };
    static std::size_t cost(const Entry& e) noexcept { return e.key.size() + e.source.size() + e.etag.size() + e.bytes.size() + 96; }

    mutable std::mutex m_mutex;
    std::size_t m_budget;
    std::size_t m_bytes = 0;
    std::list<Entry> m_lru;  // front: most recent
    std::unordered_map<std::string, std::list<Entry>::iterator> m_index;
    unsigned long long m_hits = 0, m_misses = 0, m_evictions = 0, m_adopted = 0;
};

}  // namespace wangge::tiles
