#pragma once
// Request counters and latency histograms by route, in Prometheus text format.

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace wangge::api {

/// One unlabelled gauge in exposition text: its HELP and TYPE lines and its value.
std::string gauge(std::string_view name, std::string_view help, unsigned long long value);

class Metrics {
public:
    void observe(const std::string& route, const std::string& method, int status, std::chrono::nanoseconds elapsed);
    /// The exposition text; `extra` is appended as is (gauges owned by others).
    std::string render(const std::string& extra) const;

    /// Adds a producer of exposition text appended to every render (e.g. the tile
    /// cache's counters). Register before serving; producers must be thread-safe.
    void add_source(std::function<std::string()> source) { m_sources.push_back(std::move(source)); }

private:
    static constexpr std::array<double, 10> k_buckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5};
    struct Histogram {
        std::array<unsigned long long, k_buckets.size()> buckets{};
        unsigned long long count = 0;
        double sum = 0;
    };
    mutable std::mutex m_mutex;
    std::map<std::tuple<std::string, std::string, int>, unsigned long long> m_requests;
    std::map<std::string, Histogram> m_latency;
    std::vector<std::function<std::string()>> m_sources;
};

}  // namespace wangge::api
