#include "tiles/tile_cache.hpp"

namespace wangge::tiles {

std::optional<std::string> TileCache::find(const std::string& key, const std::string& etag) {
    std::lock_guard lock(m_mutex);
    auto it = m_index.find(key);
    if (it == m_index.end() || it->second->etag != etag) {
        ++m_misses;
        return std::nullopt;
    }
    m_lru.splice(m_lru.begin(), m_lru, it->second);
    ++m_hits;
    return it->second->bytes;
}

void TileCache::put(const std::string& key, const std::string& etag, std::string bytes) {
    Entry entry{key, etag, std::move(bytes)};
    const std::size_t size = cost(entry);
    std::lock_guard lock(m_mutex);
    if (auto it = m_index.find(key); it != m_index.end()) {
        m_bytes -= cost(*it->second);
        m_lru.erase(it->second);
        m_index.erase(it);
    }
    if (size > m_budget) return;
    m_lru.push_front(std::move(entry));
    m_index.emplace(key, m_lru.begin());
    m_bytes += size;
    while (m_bytes > m_budget) {
        auto& last = m_lru.back();
        m_bytes -= cost(last);
        m_index.erase(last.key);
        m_lru.pop_back();
        ++m_evictions;
    }
}

TileCache::Stats TileCache::stats() const {
    std::lock_guard lock(m_mutex);
    return {m_lru.size(), m_bytes, m_budget, m_hits, m_misses, m_evictions};
}

}  // namespace wangge::tiles
