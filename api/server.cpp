#include "api/server.hpp"

#include "api/service.hpp"
#include "core/error.hpp"

#include <pistache/endpoint.h>
#include <pistache/http.h>

#include <malloc.h>

#include <algorithm>
#include <cctype>
#include <sstream>

namespace wangge::api {

namespace {

using namespace Pistache;

// Pistache 0.0.5 writes only typed headers into a response; Raw ones added with addRaw
// are silently dropped (ETag, Allow, Cache-Control never reached a client). A header
// type whose name is chosen at run time carries them instead.
class NamedHeader : public Http::Header::Header {
public:
    NamedHeader(std::string name, std::string value) : m_name(std::move(name)), m_value(std::move(value)) {}
    const char* name() const override { return m_name.c_str(); }
    void write(std::ostream& os) const override { os << m_value; }
#ifdef SAFE_HEADER_CAST
    uint64_t hash() const override { return Http::Header::detail::hash(m_name.c_str()); }
#endif

private:
    std::string m_name;
    std::string m_value;
};

class PistacheHandler : public Http::Handler {
public:
    HTTP_PROTOTYPE(PistacheHandler)

    explicit PistacheHandler(Service& service) : m_service(&service) {}

    void onRequest(const Http::Request& in, Http::ResponseWriter writer) override {
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
            out = m_service->handle(request);
        } catch (const Error& e) {
            const auto& d = describe(e.code());
            out = problem(d.http_status, d.slug, d.title, e.detail());
        } catch (const std::exception&) {
            out = problem(500, "internal", "Internal server error", "the request could not be read");
        }
        try {
            for (const auto& [name, value] : out.headers) writer.headers().add(std::make_shared<NamedHeader>(name, value));
            // Pistache writes Content-Type from the MediaType given to send(); a raw
            // Content-Type header would be dropped.
            writer.send(static_cast<Http::Code>(out.status), out.body, Http::Mime::MediaType::fromString(out.content_type));
        } catch (const std::exception&) {
            // The peer went away; nothing left to tell it.
        }
    }

private:
    Service* m_service;
};

}  // namespace

namespace detail {
struct ServerState {
    Service* service;
    Address address;
    int threads;
    std::unique_ptr<Http::Endpoint> endpoint;
};
}  // namespace detail

void tune_allocator_for_serving() noexcept {
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
}

HttpServer::HttpServer(Service& service, const std::string& listen, int threads) {
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
        detail::ServerState{&service, Address(host, Port(static_cast<std::uint16_t>(port))), std::max(1, threads), nullptr});
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
    m_state->endpoint = std::make_unique<Http::Endpoint>(m_state->address);
    // Pistache counts the request line, headers and body against maxRequestSize
    // (default 4 KiB): allow a full batch of reports or a grid import.
    auto opts = Http::Endpoint::options()
                    .threads(m_state->threads)
                    .flags(Tcp::Options::ReuseAddr)
                    .maxRequestSize(65u << 20)
                    .maxResponseSize(256u << 20);
    m_state->endpoint->init(opts);
    m_state->endpoint->setHandler(Http::make_handler<PistacheHandler>(*m_state->service));
    m_state->endpoint->serveThreaded();
}

void HttpServer::stop() noexcept {
    if (m_state && m_state->endpoint) {
        try {
            m_state->endpoint->shutdown();
        } catch (...) {
        }
        m_state->endpoint.reset();
    }
}

std::uint16_t HttpServer::port() const { return static_cast<std::uint16_t>(m_state->endpoint->getPort()); }

}  // namespace wangge::api
