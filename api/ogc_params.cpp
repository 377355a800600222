#include "api/ogc_params.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace wangge::api {

namespace {

[[noreturn]] void bad(std::string_view field, std::string_view why) { throw_bad_field(field, why); }

long long integer(const std::string& s, const char* field) {
    long long v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) bad(field, "must be an integer");
    return v;
}

std::array<double, 4> bbox(const std::string& text) {
    std::vector<double> parts;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto comma = text.find(',', start);
        if (comma == std::string::npos) comma = text.size();
        const auto part = text.substr(start, comma - start);
        char* end = nullptr;
        // strtod reads GDAL's 17-digit doubles and exponents alike.
        const double v = std::strtod(part.c_str(), &end);
        if (part.empty() || end != part.c_str() + part.size() || !std::isfinite(v)) bad("bbox", "must be four numbers west,south,east,north");
        parts.push_back(v);
        start = comma + 1;
    }
    if (parts.size() == 6) bad("bbox", "only two-dimensional boxes (four numbers) are supported");
    if (parts.size() != 4) bad("bbox", "must be four numbers west,south,east,north");
    const std::array<double, 4> b{parts[0], parts[1], parts[2], parts[3]};
    if (b[0] > b[2] || b[1] > b[3] || b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90)
        bad("bbox", "must be west,south,east,north within ±180/±90 with west ≤ east and south ≤ north");
    return b;
}

std::optional<Timestamp> interval_end(const std::string& text) {
    if (text.empty() || text == "..") return std::nullopt;
    auto t = parse_instant(text);
    if (!t) bad("datetime", "'" + text + "' is not an RFC 3339 instant such as 2026-03-01T00:00:00+08:00");
    return t;
}

}  // namespace

void check_ogc_format(const std::map<std::string, std::string>& query, bool geojson_ok) {
    auto it = query.find("f");
    if (it == query.end()) return;
    if (it->second == "json" || (geojson_ok && it->second == "geojson")) return;
    bad("f", geojson_ok ? "must be json or geojson" : "must be json");
}

data::TimeFilter parse_ogc_datetime(const std::string& text) {
    data::TimeFilter f;
    const auto slash = text.find('/');
    if (slash == std::string::npos) {
        f.is_instant = true;
        f.start = interval_end(text);
        if (!f.start) bad("datetime", "must be an instant or an interval start/end");
        f.end = f.start;
        return f;
    }
    if (text.find('/', slash + 1) != std::string::npos) bad("datetime", "an interval has one '/'");
    f.start = interval_end(text.substr(0, slash));
    f.end = interval_end(text.substr(slash + 1));
    if (f.start && f.end && *f.start > *f.end) bad("datetime", "the interval ends before it starts");
    return f;
}

data::OgcItemsQuery parse_ogc_items(data::OgcCollection collection, const std::map<std::string, std::string>& query) {
    data::OgcItemsQuery q;
    q.collection = collection;
    check_ogc_format(query, true);
    if (auto it = query.find("limit"); it != query.end()) {
        const auto limit = integer(it->second, "limit");
        if (limit < 1) bad("limit", "must be at least 1");
        q.limit = static_cast<int>(std::min<long long>(limit, k_ogc_max_limit));
    }
    if (auto it = query.find("offset"); it != query.end()) {
        q.offset = integer(it->second, "offset");
        if (q.offset < 0 || q.offset > 1'000'000'000) bad("offset", "must be 0–1000000000");
    }
    if (auto it = query.find("bbox-crs"); it != query.end() && it->second != k_crs84)
        bad("bbox-crs", std::string("only ") + k_crs84 + " is supported");
    if (auto it = query.find("bbox"); it != query.end()) q.bbox = bbox(it->second);
    if (auto it = query.find("datetime"); it != query.end()) q.datetime = parse_ogc_datetime(it->second);
    return q;
}

}  // namespace wangge::api
