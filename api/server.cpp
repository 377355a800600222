#include "api/server.hpp"

#include "api/service.hpp"
#include "core/error.hpp"
#include "core/thread_priority.hpp"

#include <pistache/endpoint.h>
#include <pistache/http.h>

#include <malloc.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

namespace wangge::api {

namespace {

using namespace Pistache;

// Requests are answered on these threads, not on Pistache's I/O threads, so a slow query
// or a big batch holds up only its own request (STACK.md: Pistache).
// Worker threads with a bounded queue of jobs waiting for them.
class WorkerPool {
public:
    /// @param nice added to each worker's nice value (0: the I/O threads' priority)
    WorkerPool(int threads, std::size_t max_queue, int nice = 0) : m_max_queue(max_queue) {
        for (int i = 0; i < threads; ++i)
            m_threads.emplace_back([this, nice] {
                if (nice > 0) lower_this_thread_priority(nice);
                run();
            });
    }
    ~WorkerPool() {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_cv.notify_all();
        for (auto& t : m_threads) t.join();
    }
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    /// False, with nothing queued, when the queue is full.
    bool try_post(std::function<void()> job) {
        {
            std::lock_guard lock(m_mutex);
            if (m_jobs.size() >= m_max_queue) {
                ++m_shed;
                return false;
            }
            m_jobs.push_back(std::move(job));
        }
        m_cv.notify_one();
        return true;
    }

    struct Stats {
        std::size_t waiting, capacity, threads;
        std::uint64_t shed;
    };
    Stats stats() {
        std::lock_guard lock(m_mutex);
        return {m_jobs.size(), m_max_queue, m_threads.size(), m_shed};
    }

private:
    void run() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(m_mutex);
                m_cv.wait(lock, [&] { return m_stopping || !m_jobs.empty(); });
                if (m_jobs.empty()) return;
                job = std::move(m_jobs.front());
                m_jobs.pop_front();
            }
            job();
        }
    }
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<std::function<void()>> m_jobs;
    std::size_t m_max_queue;
    std::uint64_t m_shed = 0;
    bool m_stopping = false;
    std::vector<std::thread> m_threads;
};

using Pools = std::array<std::unique_ptr<WorkerPool>, k_work_classes>;

// How each class's workers share a saturated machine's cores (nice values added to the
// I/O threads' priority; the render pool draws at +5, tiles/renderer.cpp). Bounded
// queues decide what waits; these decide who gets the CPU among what runs. Heavy work
// runs below everything: a meeting pack holds a core for a second or more, and it must
// not slow the I/O threads that shed what does not fit, the probes or the short requests
// (bench_overload). Report posts come next: each is cheap and answered well inside a
// phone's patience, but sixteen clients posting as fast as they were answered took the
// CPU from the people at a map (scripts/load.sh at 1M reports, all at 0: tiles p99
// 1.3 s, one town's completion 0.9 s; writes +8 and lists +4: 0.66–0.77 s and
// 0.45–0.52 s, posts p99 from 0.14 to 0.21–0.23 s; docs/operations.md has the table).
// One town's analytics (the meeting view) and tile workers, which mostly wait for the
// render pool or a snapshot check, keep the I/O threads' priority.
constexpr std::array<int, k_work_classes> k_class_nice{
    0,   // probe
    0,   // tiles
    4,   // read
    8,   // write
    0,   // analytics
    10,  // heavy
};

// A response header by name. Pistache 0.0.5 writes only typed headers into a response and
// silently drops raw ones (ETag, Content-Disposition never reached the client).
class NamedHeader final : public Http::Header::Header {
public:
    NamedHeader(std::string name, std::string value) : m_name(std::move(name)), m_value(std::move(value)) {}
    const char* name() const override { return m_name.c_str(); }
    void write(std::ostream& os) const override { os << m_value; }
    std::uint64_t hash() const override { return Http::Header::detail::hash(m_name.c_str()); }

private:
    std::string m_name;
    std::string m_value;
};

void send(Http::ResponseWriter& writer, const Response& out) {
    try {
        for (const auto& [name, value] : out.headers) writer.headers().add(std::make_shared<NamedHeader>(name, value));
        // Pistache writes Content-Type from the MediaType given to send(); a raw
        // Content-Type header would be dropped.
        writer.send(static_cast<Http::Code>(out.status), out.body, Http::Mime::MediaType::fromString(out.content_type));
    } catch (const std::exception&) {
        // The peer went away; nothing left to tell it.
    }
}

// Requests between arrival and the hand-over of their answer to the transport; a drain
// waits for this to reach zero.

struct InFlight {
    std::mutex mutex;
    std::condition_variable idle;
    std::size_t count = 0;
    bool draining = false;

    /// False when draining: the request is refused instead of started.
    bool enter() {
        std::lock_guard lock(mutex);
        if (draining) return false;
        ++count;
        return true;
    }
    void leave() {
        std::lock_guard lock(mutex);
        if (--count == 0) idle.notify_all();
    }
};

// A 503 answered here, before Service sees the request (shutting down, queue full): with
// Retry-After and the headers Service puts on every answer.
Response refusal(const std::string& slug, const std::string& title, const std::string& detail) {
    auto r = problem(503, slug, title, detail);
    r.headers.emplace_back("Retry-After", "1");
    for (const auto& [name, value] : security_headers()) r.headers.emplace_back(name, value);
    return r;
}

class PistacheHandler : public Http::Handler {
public:
    HTTP_PROTOTYPE(PistacheHandler)

    // Leaves the in-flight count when the request is over, on whichever thread that is.
    struct LeaveOnExit {
        InFlight* f;
        ~LeaveOnExit() {
            if (f != nullptr) f->leave();
        }
    };

    PistacheHandler(Service& service, Pools& pools, InFlight& in_flight)
        : m_service(&service), m_pools(&pools), m_in_flight(&in_flight) {}

    void onRequest(const Http::Request& in, Http::ResponseWriter writer) override {
        if (!m_in_flight->enter()) {
            // Shutting down: a clear refusal the client can retry elsewhere or later, never
            // a request that is started and then cut off.
            return send(writer, refusal("shutting-down", "Shutting down", "the server is shutting down; retry shortly"));
        }
        LeaveOnExit leave{m_in_flight};
        Response out;
        Request request;
        try {
            request.method = Http::methodString(in.method());
            // Pistache hands the path and query over undecoded: decode here, once.
            auto path = percent_decode(in.resource(), false);
            if (!path) throw Error(ErrorCode::bad_request, "the path has a malformed percent-encoding");
            request.path = *path;
            for (auto it = in.query().parameters_begin(); it != in.query().parameters_end(); ++it) {
                auto key = percent_decode(it->first, true);
                auto value = percent_decode(it->second, true);
                if (!key || !value) throw Error(ErrorCode::bad_request, "the query string has a malformed percent-encoding");
                request.query[*key] = *value;
            }
            for (const auto& h : in.headers().list()) {
                std::ostringstream value;
                h->write(value);
                std::string name = h->name();
                std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
                request.headers[name] = value.str();
            }
            for (const auto& [name, raw] : in.headers().rawList()) {
                std::string lower = name;
                std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
                request.headers[lower] = raw.value();
            }
            request.body = in.body();
            request.remote = in.address().host();
        } catch (const Error& e) {
            out = problem_of(e);
            return send(writer, out);
        } catch (const std::exception&) {
            out = problem(500, "internal", "Internal server error", "the request could not be read");
            return send(writer, out);
        }
        const auto work = m_service->work_class(request);
        auto& pool = *(*m_pools)[static_cast<std::size_t>(work)];
        auto shared_writer = std::make_shared<Http::ResponseWriter>(std::move(writer));
        const bool queued = pool.try_post([service = m_service, request = std::move(request), shared_writer, in_flight = m_in_flight]() {
            LeaveOnExit done{in_flight};
            send(*shared_writer, service->handle(request));
        });
        if (queued) {
            leave.f = nullptr;  // the worker leaves once the answer is handed over
            return;
        }
        // Full: say so now rather than let the request wait behind the others.
        const auto st = pool.stats();
        send(*shared_writer, refusal("overloaded", "Overloaded",
                                     "the " + std::string(work_class_name(work)) + " queue is full (" +
                                         std::to_string(st.capacity) + " waiting for " + std::to_string(st.threads) +
                                         " workers); retry shortly"));
    }

private:
    Service* m_service;
    Pools* m_pools;
    InFlight* m_in_flight;
};

}  // namespace

namespace detail {
struct ServerState {
    ServerState(Service* s, Address a, int t) : service(s), address(std::move(a)), threads(t) {}
    Service* service;
    Address address;
    int threads;
    WorkLimits limits;
    // Shared with the /metrics source, which may outlive this server.
    std::shared_ptr<Pools> pools_ptr = std::make_shared<Pools>();
    Pools& pools = *pools_ptr;
    std::unique_ptr<Http::Endpoint> endpoint;
    // Shared with the /metrics source, which may outlive this server.
    std::shared_ptr<InFlight> in_flight_ptr = std::make_shared<InFlight>();
    InFlight& in_flight = *in_flight_ptr;
};
}  // namespace detail

void tune_allocator_for_serving() noexcept {
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
}

HttpServer::HttpServer(Service& service, const std::string& listen, int threads, WorkLimits limits) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size())
        throw Error(ErrorCode::bad_request, "--listen must be host:port, e.g. 127.0.0.1:8080");
    const std::string host = listen.substr(0, colon);
    int port = -1;
    try {
        std::size_t used = 0;
        port = std::stoi(listen.substr(colon + 1), &used);
        if (used != listen.size() - colon - 1) port = -1;
    } catch (const std::exception&) {
        port = -1;
    }
    if (port < 0 || port > 65535) throw Error(ErrorCode::bad_request, "--listen: the port must be 0–65535");
    m_state = std::make_unique<detail::ServerState>(
        &service, Address(host, Port(static_cast<std::uint16_t>(port))), std::max(1, threads));
    const int workers = m_state->threads;
    // Two for probes: a /readyz waiting up to a second for a database connection must not
    // hold up /healthz and /metrics. Heavy work gets half, at least two: at a million
    // reports a year's completion table takes ~40 ms of CPU, and a command room opening
    // the meeting view asks for several at once (measured with scripts/load.sh).
    // Tiles get four times as many: a tile worker spends most of its time waiting, for the
    // snapshot check a write made necessary (one query shared by every waiting request) or
    // for the render pool, whose own threads bound the CPU spent drawing. With as many as
    // the other classes, four workers waiting ~100 ms on a check under report posts capped
    // tiles at ~12/s at 1M reports while the CPU idled (scripts/load.sh).
    // Writes and one town's analytics get half, at least two, like heavy work: a report
    // post is cheap, so sixteen clients posting as fast as they are answered kept four
    // write workers and their database sessions busy enough to take most of the two cores
    // (468 posts/s beside 55 tiles/s at 1M reports; with two workers the tiles doubled).
    const int half = std::max(2, workers / 2);
    const std::array<int, k_work_classes> derived{2, 4 * workers, workers, half, half, half};
    for (std::size_t c = 0; c < k_work_classes; ++c)
        if (limits.threads[c] <= 0) limits.threads[c] = derived[c];
    m_state->limits = limits;
    service.metrics().add_source([pools = m_state->pools_ptr] {
        std::array<WorkerPool::Stats, k_work_classes> st{};
        for (std::size_t c = 0; c < k_work_classes; ++c) st[c] = (*pools)[c] ? (*pools)[c]->stats() : WorkerPool::Stats{0, 0, 0, 0};
        std::ostringstream out;
        const auto family = [&](const char* name, const char* type, const char* help, auto value) {
            out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
            for (std::size_t c = 0; c < k_work_classes; ++c)
                out << name << "{class=\"" << work_class_name(static_cast<WorkClass>(c)) << "\"} " << value(st[c]) << '\n';
        };
        family("wangge_queue_waiting", "gauge", "Requests waiting for a worker, by class.", [](const auto& x) { return x.waiting; });
        family("wangge_queue_capacity", "gauge", "Requests that may wait, by class.", [](const auto& x) { return x.capacity; });
        family("wangge_queue_workers", "gauge", "Worker threads, by class.", [](const auto& x) { return x.threads; });
        family("wangge_queue_shed_total", "counter", "Requests answered 503 overloaded because their queue was full.",
               [](const auto& x) { return x.shed; });
        return out.str();
    });
    service.metrics().add_source([f = m_state->in_flight_ptr] {
        std::size_t n = 0;
        {
            std::lock_guard lock(f->mutex);
            n = f->count;
        }
        return "# HELP wangge_http_requests_in_flight Requests started and not yet answered (this one included).\n"
               "# TYPE wangge_http_requests_in_flight gauge\n"
               "wangge_http_requests_in_flight " +
               std::to_string(n) + "\n";
    });
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
    for (std::size_t c = 0; c < k_work_classes; ++c)
        m_state->pools[c] = std::make_unique<WorkerPool>(m_state->limits.threads[c], m_state->limits.queue[c],
                                                         k_class_nice[c]);

    m_state->endpoint = std::make_unique<Http::Endpoint>(m_state->address);
    // Pistache counts the request line, headers and body against maxRequestSize
    // (default 4 KiB): allow a full batch of reports or a grid import.
    const int io_threads = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
    const Flags<Tcp::Options> flags(Tcp::Options::ReuseAddr);
    auto opts = Http::Endpoint::options()
                    .threads(io_threads)
                    .flags(flags)
                    .maxRequestSize(65u << 20)
                    .maxResponseSize(256u << 20);
    m_state->endpoint->init(opts);
    // Pistache's default of 128 pending connections drops the SYNs of a burst of clients
    // (512 in the overload bench), which then wait out the kernel's 1 s retransmission: an
    // answer the queues would have given in a millisecond. Pistache 0.0.5's
    // Options::backlog() is never handed to the listener (the socket listened with 128:
    // `ss -ltn`, and the kernel counted ListenOverflows), so the listener is given it
    // directly; its init only records its arguments. The kernel caps it at
    // net.core.somaxconn.
    m_state->endpoint->initArgs(static_cast<std::size_t>(io_threads), flags, std::string(), k_listen_backlog);
    m_state->endpoint->setHandler(Http::make_handler<PistacheHandler>(*m_state->service, m_state->pools, m_state->in_flight));
    m_state->endpoint->serveThreaded();
}

bool HttpServer::drain(std::chrono::milliseconds limit) {
    auto& f = m_state->in_flight;
    std::unique_lock lock(f.mutex);
    f.draining = true;
    const bool drained = f.idle.wait_for(lock, limit, [&] { return f.count == 0; });
    lock.unlock();
    // The last answers were handed to Pistache's I/O threads, which write them out
    // asynchronously: give them a moment before the transport goes away.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return drained;
}

std::size_t HttpServer::in_flight() const {
    std::lock_guard lock(m_state->in_flight.mutex);
    return m_state->in_flight.count;
}

void HttpServer::stop() noexcept {
    if (m_state && m_state->endpoint) {
        try {
            m_state->endpoint->shutdown();
        } catch (...) {
        }
        // Finish the queued answers while the transport objects still exist.
        for (auto& p : m_state->pools) p.reset();
        m_state->endpoint.reset();
    }
}

std::uint16_t HttpServer::port() const { return static_cast<std::uint16_t>(m_state->endpoint->getPort()); }

}  // namespace wangge::api
