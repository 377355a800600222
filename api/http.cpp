#include "api/http.hpp"

#include "core/error.hpp"
#include "tiles/tile_service.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <cctype>

namespace wangge::api {

namespace {

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> out;
    std::size_t start = 1;
    while (start <= path.size()) {
        auto slash = path.find('/', start);
        if (slash == std::string::npos) slash = path.size();
        out.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    return out;
}

}  // namespace

std::optional<std::string> Request::header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    if (it == headers.end()) return std::nullopt;
    return it->second;
}

std::optional<std::string> Request::param(const std::string& name) const {
    auto it = query.find(name);
    if (it == query.end()) return std::nullopt;
    return it->second;
}

Response Response::json(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

void Router::add(Route route) {
    m_segments.push_back(split_path(route.pattern));
    m_routes.push_back(std::move(route));
}

Match Router::match(const std::string& method, const std::string& path) const {
    Match result;
    const auto segments = split_path(path);
    for (std::size_t i = 0; i < m_routes.size(); ++i) {
        const auto& pattern = m_segments[i];
        if (pattern.size() != segments.size()) continue;
        std::map<std::string, std::string> params;
        bool ok = true;
        for (std::size_t k = 0; k < pattern.size() && ok; ++k) {
            const auto& p = pattern[k];
            const auto close = p.find('}');
            if (p.size() > 2 && p.front() == '{' && close != std::string::npos) {
                // "{y}" or "{y}.png": a non-empty value, then the literal suffix.
                const auto suffix = std::string_view(p).substr(close + 1);
                const auto& seg = segments[k];
                if (seg.size() <= suffix.size() || seg.compare(seg.size() - suffix.size(), suffix.size(), suffix) != 0) ok = false;
                else params[p.substr(1, close - 1)] = seg.substr(0, seg.size() - suffix.size());
            } else {
                ok = p == segments[k];
            }
        }
        if (!ok) continue;
        if (m_routes[i].method == method || (method == "HEAD" && m_routes[i].method == "GET")) {
            result.route = &m_routes[i];
            result.params = std::move(params);
            return result;
        }
        result.allowed_methods.push_back(m_routes[i].method);
    }
    return result;
}

std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
    std::string out;
    out.reserve(in.size());
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '%') {
            if (i + 2 >= in.size()) return std::nullopt;
            const int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            const char c = static_cast<char>(hi * 16 + lo);
            if (c == '\0') return std::nullopt;
            out += c;
            i += 2;
        } else if (in[i] == '+' && plus_is_space) {
            out += ' ';
        } else {
            out += in[i];
        }
    }
    return out;
}

std::string percent_encode(std::string_view in) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(in.size());
    for (unsigned char c : in) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ',' || c == ':') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += k_hex[c >> 4];
            out += k_hex[c & 15];
        }
    }
    return out;
}

std::map<std::string, std::string> parse_query(std::string_view query) {
    std::map<std::string, std::string> out;
    std::size_t start = 0;
    while (start < query.size()) {
        auto amp = query.find('&', start);
        if (amp == std::string_view::npos) amp = query.size();
        const auto pair = query.substr(start, amp - start);
        start = amp + 1;
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        auto key = percent_decode(pair.substr(0, eq), true);
        auto value = eq == std::string_view::npos ? std::optional<std::string>("") : percent_decode(pair.substr(eq + 1), true);
        if (!key || !value) throw Error(ErrorCode::bad_request, "query string: malformed percent-encoding");
        out[*key] = *value;
    }
    return out;
}

void apply_content_etag(Response& response, const Request& request) {
    // FNV-1a, 64 bits: not a security boundary, only "did these bytes change".
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : response.body) h = (h ^ c) * 1099511628211ull;
    char buf[24];
    std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
    response.headers.emplace_back("ETag", buf);
    if (auto inm = request.header("if-none-match"); inm && tiles::etag_matches(*inm, buf)) {
        response.status = 304;
        response.body.clear();
    }
}

Response problem(int status, std::string_view slug, std::string_view title, const std::string& detail,
                 const std::string& extra_json) {
    auto body = nlohmann::json::parse(extra_json, nullptr, false);
    if (!body.is_object()) body = nlohmann::json::object();
    body["type"] = "/problems/" + std::string(slug);
    body["title"] = title;
    body["status"] = status;
    body["detail"] = detail;
    Response r;
    r.status = status;
    r.content_type = "application/problem+json";
    r.body = body.dump();
    return r;
}

std::string_view work_class_name(WorkClass c) noexcept {
    switch (c) {
        case WorkClass::probe: return "probe";
        case WorkClass::tiles: return "tiles";
        case WorkClass::read: return "read";
        case WorkClass::write: return "write";
        case WorkClass::analytics: return "analytics";
        case WorkClass::heavy: return "heavy";
    }
    return "read";
}

Response problem_of(const Error& e) {
    const auto& d = describe(e.code());
    auto r = problem(d.http_status, d.slug, d.title, e.detail(), e.extra_json());
    // Every 503 is temporary (the database is down, restarting or failing over; a deadline
    // ran out under load): say when to come back. A 429 sets its own from the limiter.
    if (d.http_status == 503) r.headers.emplace_back("Retry-After", "1");
    return r;
}

}  // namespace wangge::api
