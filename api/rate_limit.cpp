#include "api/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace wangge::api {

std::optional<double> parse_rate(const std::string& text) {
    const auto slash = text.find('/');
    const std::string number = text.substr(0, slash);
    const std::string unit = slash == std::string::npos ? "s" : text.substr(slash + 1);
    if (number.empty() || number.find_first_not_of("0123456789.") != std::string::npos) return std::nullopt;
    char* end = nullptr;
    const double n = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size() || !std::isfinite(n) || n < 0) return std::nullopt;
    if (unit == "s") return n;
    if (unit == "m" || unit == "min") return n / 60.0;
    return std::nullopt;
}

std::optional<std::chrono::milliseconds> RateLimiter::take(const std::string& key, Clock::time_point now) {
    if (m_limit.per_second <= 0) return std::nullopt;
    const double capacity = std::max(1.0, m_limit.burst);
    std::lock_guard lock(m_mutex);
    const auto since_sweep = now - m_last_sweep;
    if (since_sweep > std::chrono::seconds(10) || (m_buckets.size() >= m_max_keys && since_sweep > std::chrono::seconds(1)))
        sweep(now);
    auto it = m_buckets.find(key);
    if (it == m_buckets.end()) {
        // A full table even after the sweep means that many callers are active at once:
        // newcomers share one bucket rather than growing memory without bound.
        const std::string& slot = m_buckets.size() >= m_max_keys ? std::string("\x01overflow") : key;
        it = m_buckets.try_emplace(slot, Bucket{capacity, now}).first;
    }
    auto& b = it->second;
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(capacity, b.tokens + std::max(0.0, elapsed) * m_limit.per_second);
    b.updated = now;
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return std::nullopt;
    }
    const double wait_s = (1.0 - b.tokens) / m_limit.per_second;
    return std::chrono::milliseconds(static_cast<long long>(std::ceil(wait_s * 1000.0)));
}

void RateLimiter::sweep(Clock::time_point now) {
    m_last_sweep = now;
    const double capacity = std::max(1.0, m_limit.burst);
    std::erase_if(m_buckets, [&](const auto& entry) {
        const double elapsed = std::chrono::duration<double>(now - entry.second.updated).count();
        return entry.second.tokens + elapsed * m_limit.per_second >= capacity;
    });
}

std::size_t RateLimiter::size() const {
    std::lock_guard lock(m_mutex);
    return m_buckets.size();
}

}  // namespace wangge::api
