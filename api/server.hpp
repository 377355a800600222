#pragma once
// Pistache in front of Service: decodes requests, sends responses. Pistache headers stay
// in server.cpp.

#include "api/http.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace wangge::api {

class Service;

namespace detail {
struct ServerState;
}

/// Keeps glibc from returning freed heap tops to the kernel after every response: with
/// tens of KB per tile and several threads, trimming made each request page-fault its
/// buffers back in (a third of the CPU time of cached tiles, measured with perf).
/// Process-wide; call once before serving.
void tune_allocator_for_serving() noexcept;

/// Pending connections the listening socket holds (capped by net.core.somaxconn): a
/// burst of clients beyond it loses SYNs, retransmitted by the kernel only after 1 s
/// (docs/operations.md "Overload").
inline constexpr int k_listen_backlog = 4096;

/// Worker threads and queue bounds per WorkClass (api/http.hpp), in its order: probe,
/// tiles, read, write, heavy. A request that finds its class's queue full is answered
/// at once, on the I/O thread, with 503 problem+json /problems/overloaded and
/// Retry-After: 1 (docs/operations.md "Overload").
struct WorkLimits {
    std::array<int, k_work_classes> threads{};        // 0: derived from HttpServer's `threads`
    std::array<std::size_t, k_work_classes> queue{64, 256, 256, 128, 128, 32};
};

class HttpServer {
public:
    /// @param listen "host:port"; port 0 picks a free one (see port())
    /// @param threads workers for the read class (Pistache's own I/O threads only read
    ///        and write sockets); tiles get four times as many, probes two, writes,
    ///        analytics and heavy work half each (at least two), unless `limits` says
    ///        otherwise
    /// @throws Error(bad_request) for a malformed address
    HttpServer(Service& service, const std::string& listen, int threads, WorkLimits limits = {});
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// Starts serving on background threads. @throws std::runtime_error when the port is taken
    void start();
    /// Graceful shutdown, first half: requests that arrive from now on are refused with
    /// 503 (Retry-After: 1); waits up to `limit` for the requests already started to be
    /// answered. @returns false when some were still running at the limit
    bool drain(std::chrono::milliseconds limit);
    /// Requests started and not yet answered.
    std::size_t in_flight() const;
    void stop() noexcept;
    std::uint16_t port() const;

private:
    std::unique_ptr<detail::ServerState> m_state;
};

}  // namespace wangge::api
