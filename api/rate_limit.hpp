#pragma once
// Token buckets per caller (issue 8: rate limiting per token, per client address for
// calls without one). Memory is bounded: a bucket that has refilled is the same as no
// bucket, so those are dropped on a sweep, and beyond max_keys callers new ones share one
// overflow bucket instead of growing the table.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace wangge::api {

struct RateLimit {
    double per_second = 0;  // 0: unlimited
    double burst = 0;       // bucket size; at least 1 when limited
};

/// Parses "N/s", "N/m" (per minute) or "N" (per second); "0" switches limiting off.
/// @returns nullopt when malformed
std::optional<double> parse_rate(const std::string& text);

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    explicit RateLimiter(RateLimit limit, std::size_t max_keys = 100'000) : m_limit(limit), m_max_keys(max_keys) {}

    /// Takes one request from key's bucket. @returns nullopt when allowed, else how long
    /// until a request would be (for Retry-After)
    std::optional<std::chrono::milliseconds> take(const std::string& key, Clock::time_point now = Clock::now());

    std::size_t size() const;
    const RateLimit& limit() const noexcept { return m_limit; }

private:
    struct Bucket {
        double tokens;
        Clock::time_point updated;
    };
    void sweep(Clock::time_point now);

    RateLimit m_limit;
    std::size_t m_max_keys;
    mutable std::mutex m_mutex;
    std::unordered_map<std::string, Bucket> m_buckets;
    Clock::time_point m_last_sweep{};
};

}  // namespace wangge::api
