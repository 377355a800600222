#include "api/metrics.hpp"

#include <sstream>

namespace wangge::api {

std::string gauge(std::string_view name, std::string_view help, unsigned long long value) {
    std::string out;
    out.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ").append(name).append(" gauge\n");
    out.append(name).append(" ").append(std::to_string(value)).append("\n");
    return out;
}

void Metrics::observe(const std::string& route, const std::string& method, int status, std::chrono::nanoseconds elapsed) {
    const double seconds = std::chrono::duration<double>(elapsed).count();
    std::lock_guard lock(m_mutex);
    ++m_requests[{route, method, status}];
    auto& h = m_latency[route];
    ++h.count;
    h.sum += seconds;
    for (std::size_t i = 0; i < k_buckets.size(); ++i)
        if (seconds <= k_buckets[i]) ++h.buckets[i];
}

std::string Metrics::render(const std::string& extra) const {
    std::ostringstream out;
    std::lock_guard lock(m_mutex);
    out << "# HELP wangge_http_requests_total HTTP requests by route pattern, method and status.\n"
           "# TYPE wangge_http_requests_total counter\n";
    for (const auto& [key, n] : m_requests)
        out << "wangge_http_requests_total{route=\"" << std::get<0>(key) << "\",method=\"" << std::get<1>(key)
            << "\",status=\"" << std::get<2>(key) << "\"} " << n << '\n';
    out << "# HELP wangge_http_request_duration_seconds Time to answer, by route pattern.\n"
           "# TYPE wangge_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : m_latency) {
        for (std::size_t i = 0; i < k_buckets.size(); ++i)
            out << "wangge_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\"" << k_buckets[i] << "\"} "
                << h.buckets[i] << '\n';
        out << "wangge_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\"+Inf\"} " << h.count << '\n'
            << "wangge_http_request_duration_seconds_sum{route=\"" << route << "\"} " << h.sum << '\n'
            << "wangge_http_request_duration_seconds_count{route=\"" << route << "\"} " << h.count << '\n';
    }
    out << extra;
    for (const auto& source : m_sources) out << source();
    return out.str();
}

}  // namespace wangge::api
