#include "data/town_directory.hpp"

#include "data/town_store.hpp"

namespace wangge::data {

namespace {

using Clock = std::chrono::steady_clock;

// How old the copy may be while no change feed tells of changes: a town renamed or
// removed by psql is seen within this, at one query per second at most.
constexpr auto k_unfollowed_age = std::chrono::seconds(1);
// How long a refused code is remembered while the feed is connected: long enough that a
// client repeating it costs one query, short enough to cover a notification in flight.
constexpr auto k_absent_for = std::chrono::seconds(1);
constexpr std::size_t k_max_absent = 10000;
constexpr std::size_t k_max_remembered_code = 64;  // longer codes are looked up every time, not kept

// Text PostgreSQL can hold: no NUL (libpq would cut the parameter there and find another
// town) and valid UTF-8 (the server would refuse the query). Anything else is no town.
bool storable(const std::string& s) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    for (std::size_t i = 0; i < s.size();) {
        const auto c = byte(i);
        if (c == 0) return false;
        if (c < 0x80) {
            ++i;
            continue;
        }
        // RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
        std::size_t n = 0;
        unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
        if (c >= 0xC2 && c <= 0xDF) n = 2;
        else if (c >= 0xE0 && c <= 0xEF) n = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        else if (c >= 0xF0 && c <= 0xF4) n = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (n == 0 || i + n > s.size() || byte(i + 1) < lo || byte(i + 1) > hi) return false;
        for (std::size_t k = 2; k < n; ++k)
            if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return false;
        i += n;
    }
    return true;
}

}  // namespace

TownDirectory::TownDirectory(Database& db, std::function<bool()> following) : m_db(db), m_following(std::move(following)) {}

bool TownDirectory::exists(const std::string& code) { return lookup(code) != nullptr; }

std::optional<TownRecord> TownDirectory::find(const std::string& code) {
    if (auto town = lookup(code)) return *town;
    return std::nullopt;
}

void TownDirectory::changed() {
    {
        std::lock_guard lock(m_mutex);
        ++m_epoch;
        m_absent.clear();
    }
    load(true, true);
}

TownDirectory::Stats TownDirectory::stats() const {
    std::lock_guard lock(m_mutex);
    return {m_hits.load(), m_lookups.load(), m_loads.load(), m_copy ? m_copy->towns.size() : 0};
}

bool TownDirectory::fresh(const Copy& copy, bool following) { return following || Clock::now() - copy.read_at < k_unfollowed_age; }

std::shared_ptr<const TownDirectory::Copy> TownDirectory::load(bool following, bool force) {
    std::lock_guard load_lock(m_load_mutex);
    std::uint64_t epoch = 0;
    {
        std::lock_guard lock(m_mutex);
        // Another thread may have read it while this one waited for the lock.
        if (!force && m_copy && fresh(*m_copy, following)) return m_copy;
        epoch = m_epoch;
    }
    auto copy = std::make_shared<Copy>();
    copy->read_at = Clock::now();  // before the read: the copy is at most this old
    for (auto& town : read_towns(m_db)) {
        auto code = town.code;
        copy->towns.emplace(std::move(code), std::move(town));
    }
    ++m_loads;
    std::lock_guard lock(m_mutex);
    // A change announced while we read may not be in what we read: the next read keeps it.
    if (epoch == m_epoch) m_copy = copy;
    return copy;
}

std::shared_ptr<const TownRecord> TownDirectory::lookup(const std::string& code) {
    const bool following = m_following();
    std::shared_ptr<const Copy> copy;
    std::uint64_t epoch = 0;
    {
        std::lock_guard lock(m_mutex);
        copy = m_copy;
    }
    if (!copy || !fresh(*copy, following)) copy = load(following, false);
    if (auto it = copy->towns.find(code); it != copy->towns.end()) {
        ++m_hits;
        return {copy, &it->second};  // shares the copy's ownership: no allocation
    }
    if (!storable(code)) return nullptr;
    {
        std::lock_guard lock(m_mutex);
        if (following) {
            if (auto it = m_absent.find(code); it != m_absent.end() && Clock::now() - it->second < k_absent_for) return nullptr;
        }
        epoch = m_epoch;
    }
    ++m_lookups;
    auto found = read_town(m_db, code);
    std::lock_guard lock(m_mutex);
    if (epoch != m_epoch) {
        // The towns changed meanwhile: answer this request, keep nothing.
        return found ? std::make_shared<const TownRecord>(std::move(*found)) : nullptr;
    }
    if (!found) {
        if (following && code.size() <= k_max_remembered_code) {
            if (m_absent.size() >= k_max_absent) m_absent.clear();
            m_absent[code] = Clock::now();
        }
        return nullptr;
    }
    m_absent.erase(code);
    if (!m_copy) return std::make_shared<const TownRecord>(std::move(*found));
    // A town the copy had not heard of yet: added to it, so the next request is a hit.
    auto grown = std::make_shared<Copy>(*m_copy);
    const auto it = grown->towns.insert_or_assign(code, std::move(*found)).first;
    m_copy = grown;
    return {std::shared_ptr<const Copy>(grown), &it->second};
}

}  // namespace wangge::data
