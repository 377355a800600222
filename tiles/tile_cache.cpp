#include "tiles/tile_cache.hpp"

namespace wangge::tiles {

std::optional<TileCache::Hit> TileCache::find(const std::string& key, const std::string& source) {
    std::lock_guard lock(m_mutex);
    auto it = m_index.find(key);
    if (it == m_index.end() || it->second->source != source) {
        ++m_misses;
        return std::nullopt;
    }
    m_lru.splice(m_lru.begin(), m_lru, it->second);
    ++m_hits;
    return Hit{it->second->etag, it->second->bytes};
}

std::optional<std::string> TileCache::adopt(const std::string& key, const std::string& etag, const std::string& source) {
    std::lock_guard lock(m_mutex);
    auto it = m_index.find(key);
    if (it == m_index.end() || it->second->etag != etag) return std::nullopt;
    auto& e = *it->second;
    m_bytes -= cost(e);
    e.source = source;
    m_bytes += cost(e);  // sources have one length; the budget check of put() is not needed
    m_lru.splice(m_lru.begin(), m_lru, it->second);
    ++m_adopted;
    return e.bytes;
}

void TileCache::put(const std::string& key, const std::string& source, const std::string& etag, std::string bytes) {
    Entry entry{key, source, etag, std::move(bytes)};
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
    return {m_lru.size(), m_bytes, m_budget, m_hits, m_misses, m_evictions, m_adopted};
}

}  // namespace wangge::tiles
