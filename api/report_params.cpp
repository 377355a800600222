#include "api/report_params.hpp"

#include "core/domain.hpp"

#include <charconv>
#include <functional>
#include <set>
#include <cmath>

namespace wangge::api {

namespace {

using nlohmann::json;

[[noreturn]] void bad(std::string_view field, std::string_view why) { throw_bad_field(field, why); }

double coordinate(const json& v, const char* field, double limit) {
    if (!v.is_number()) bad(field, "must be a number");
    const double d = v.get<double>();
    if (!std::isfinite(d)) bad(field, "must be finite");
    if (std::abs(d) > limit) bad(field, "out of range (±" + std::to_string(static_cast<int>(limit)) + ")");
    return d;
}

std::optional<std::string> optional_text(const json& props, const char* field, std::size_t max_len) {
    if (!props.contains(field) || props[field].is_null()) return std::nullopt;
    if (!props[field].is_string()) bad(field, "must be a string");
    auto s = props[field].get<std::string>();
    if (s.size() > max_len) bad(field, "longer than " + std::to_string(max_len) + " bytes");
    return s;
}

std::vector<std::string> comma_list(const std::string& value, const char* field,
                                    const std::function<bool(const std::string&)>& valid) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= value.size()) {
        auto comma = value.find(',', start);
        if (comma == std::string::npos) comma = value.size();
        auto item = value.substr(start, comma - start);
        if (item.empty() || !valid(item)) bad(field, "unknown value '" + item + "'");
        out.push_back(item);
        start = comma + 1;
    }
    return out;
}

// o[key] == expected, for a JSON object o (json::value() trips GCC 12's
// -Wnull-dereference inside nlohmann).
bool member_is(const json& o, const char* key, const char* expected) {
    if (!o.is_object()) return false;
    auto it = o.find(key);
    return it != o.end() && it->is_string() && it->get_ref<const std::string&>() == expected;
}

long long parse_integer(const std::string& s, const char* field) {
    long long v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) bad(field, "must be an integer");
    return v;
}

}  // namespace

json parse_json_body(const Request& request) {
    const auto type = request.header("content-type").value_or("");
    const auto base = type.substr(0, type.find(';'));
    if (base != "application/json" && base != "application/geo+json")
        throw Error(ErrorCode::unsupported_media_type, "the body must be JSON (Content-Type: application/json)");
    // PostgreSQL text cannot hold a NUL: libpq would cut the string there (or COPY fail),
    // so "\u0000" in any string or key is refused here rather than stored cut short. JSON
    // can only spell a NUL that way (a raw control byte is invalid), so a body without
    // that text skips the per-value callback, which made parsing a 10,000-report batch
    // markedly slower.
    if (request.body.find("\\u0000") == std::string::npos) {
        auto body = json::parse(request.body, nullptr, false);
        if (body.is_discarded()) throw Error(ErrorCode::bad_request, "the body is not valid JSON");
        return body;
    }
    bool nul = false;
    auto body = json::parse(
        request.body,
        [&nul](int, json::parse_event_t event, json& value) {
            if ((event == json::parse_event_t::value || event == json::parse_event_t::key) && value.is_string() &&
                value.get_ref<const std::string&>().find('\0') != std::string::npos)
                nul = true;
            return true;
        },
        false);
    if (body.is_discarded()) throw Error(ErrorCode::bad_request, "the body is not valid JSON");
    if (nul) throw Error(ErrorCode::bad_request, "strings in the body must not contain NUL (\\u0000)");
    return body;
}

std::variant<data::ReportInput, Error> parse_report(const json& item) {
    try {
        if (!item.is_object()) bad("report", "must be a GeoJSON Feature or an object with lon and lat");
        data::ReportInput in;
        const json* props = &item;
        if (item.contains("type")) {
            if (item["type"] != "Feature") bad("type", "must be \"Feature\"");
            if (!item.contains("geometry") || !member_is(item["geometry"], "type", "Point"))
                bad("geometry", "must be a GeoJSON Point");
            const auto& geometry = item["geometry"];
            const json c = geometry.contains("coordinates") ? geometry["coordinates"] : json();
            if (!c.is_array() || c.size() < 2 || c.size() > 3) bad("geometry.coordinates", "must be [lon, lat]");
            in.lon = coordinate(c[0], "geometry.coordinates[0]", 180);
            in.lat = coordinate(c[1], "geometry.coordinates[1]", 90);
            if (!item.contains("properties") || !item["properties"].is_object()) bad("properties", "must be an object");
            props = &item["properties"];
        } else {
            if (!item.contains("lon")) bad("lon", "is required");
            if (!item.contains("lat")) bad("lat", "is required");
            in.lon = coordinate(item["lon"], "lon", 180);
            in.lat = coordinate(item["lat"], "lat", 90);
        }
        auto client_id = optional_text(*props, "client_id", 128);
        if (!client_id || client_id->empty()) bad("client_id", "is required (the app's idempotency key)");
        in.client_id = *client_id;
        auto category = optional_text(*props, "category", 64);
        if (!category || category->empty()) bad("category", "is required (see /api/v1/categories)");
        in.category = *category;
        in.description = optional_text(*props, "description", 4000).value_or("");
        in.reporter = optional_text(*props, "reporter", 64);
        if (auto source = optional_text(*props, "source", 16)) {
            static const std::set<std::string> k_sources{"app", "phone", "pc", "video", "walk_in"};
            if (!k_sources.contains(*source)) bad("source", "must be one of app, phone, pc, video, walk_in");
            in.source = *source;
        }
        if (auto crs = optional_text(*props, "crs", 32)) {
            auto parsed = geo::parse_input_crs(*crs);
            if (!parsed) bad("crs", "must be EPSG:4326, EPSG:4490, GCJ02 or BD09");
            in.crs = *parsed;
        }
        if (auto at = optional_text(*props, "reported_at", 64)) {
            in.reported_at = parse_rfc3339(*at);
            if (!in.reported_at) bad("reported_at", "must be RFC 3339, e.g. 2026-03-01T08:30:00+08:00");
        }
        return in;
    } catch (const Error& e) {
        return e;
    }
}

std::vector<std::variant<data::ReportInput, Error>> parse_report_batch(const json& body) {
    if (!member_is(body, "type", "FeatureCollection") || !body.contains("features") ||
        !body["features"].is_array())
        throw Error(ErrorCode::bad_request, "the body must be a GeoJSON FeatureCollection of reports");
    const auto& features = body["features"];
    if (features.size() > k_max_batch)
        throw Error(ErrorCode::payload_too_large,
                    "at most " + std::to_string(k_max_batch) + " reports per batch, got " + std::to_string(features.size()));
    std::vector<std::variant<data::ReportInput, Error>> out;
    out.reserve(features.size());
    for (const auto& f : features) out.push_back(parse_report(f));
    return out;
}

data::ReportFilter parse_report_filter(const std::map<std::string, std::string>& q) {
    data::ReportFilter f;
    if (auto it = q.find("town"); it != q.end()) {
        // The format only: whether the town exists is the directory's to say (the handler).
        if (it->second.empty()) bad("town", "must be a town code");
        f.town = it->second;
    }
    if (auto it = q.find("grid"); it != q.end()) {
        if (it->second.empty() || it->second.size() > 64) bad("grid", "must be a grid id");
        f.grid = it->second;
    }
    if (auto it = q.find("status"); it != q.end())
        f.statuses = comma_list(it->second, "status", [](const std::string& s) { return parse_status(s).has_value(); });
    if (auto it = q.find("platform"); it != q.end())
        f.platforms = comma_list(it->second, "platform", [](const std::string& s) { return is_platform(s); });
    if (auto it = q.find("category"); it != q.end())
        f.categories = comma_list(it->second, "category", [](const std::string& s) {
            return s.size() <= 64 && s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
        });
    for (const char* field : {"from", "to"}) {
        if (auto it = q.find(field); it != q.end()) {
            auto t = parse_instant(it->second);
            if (!t) bad(field, "must be RFC 3339 or YYYY-MM-DD");
            (std::string(field) == "from" ? f.from : f.to) = t;
        }
    }
    if (auto it = q.find("bbox"); it != q.end()) {
        std::array<double, 4> b{};
        std::size_t start = 0;
        for (int i = 0; i < 4; ++i) {
            auto comma = it->second.find(',', start);
            if ((i < 3) == (comma == std::string::npos)) bad("bbox", "must be west,south,east,north");
            const auto part = it->second.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            char* end = nullptr;
            b[static_cast<std::size_t>(i)] = std::strtod(part.c_str(), &end);
            if (part.empty() || end != part.c_str() + part.size() || !std::isfinite(b[static_cast<std::size_t>(i)]))
                bad("bbox", "must be four numbers");
            start = comma + 1;
        }
        if (b[0] > b[2] || b[1] > b[3] || b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90)
            bad("bbox", "must be west,south,east,north within ±180/±90 with west ≤ east, south ≤ north");
        f.bbox = b;
    }
    if (auto it = q.find("overdue"); it != q.end()) {
        if (it->second != "true" && it->second != "false") bad("overdue", "must be true or false");
        f.overdue_only = it->second == "true";
    }
    if (auto it = q.find("limit"); it != q.end()) {
        const auto limit = parse_integer(it->second, "limit");
        if (limit < 1 || limit > static_cast<long long>(k_max_batch)) bad("limit", "must be 1–10000");
        f.limit = static_cast<int>(limit);
    }
    if (auto it = q.find("cursor"); it != q.end()) f.after = decode_cursor(it->second);
    return f;
}

std::pair<long long, long long> decode_cursor(const std::string& hex) {
    // Hex of "<a>:<b>": opaque to clients, checked here.
    std::string text;
    if (hex.size() % 2 != 0 || hex.size() > 80) bad("cursor", "is not a cursor this server gave");
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        unsigned v = 0;
        auto [p, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
        if (ec != std::errc() || p != hex.data() + i + 2) bad("cursor", "is not a cursor this server gave");
        text += static_cast<char>(v);
    }
    const auto colon = text.find(':');
    if (colon == std::string::npos) bad("cursor", "is not a cursor this server gave");
    return {parse_integer(text.substr(0, colon), "cursor"), parse_integer(text.substr(colon + 1), "cursor")};
}

std::string encode_cursor(std::pair<long long, long long> position) {
    static constexpr char k_digits[] = "0123456789abcdef";
    const auto text = std::to_string(position.first) + ":" + std::to_string(position.second);
    std::string out;
    for (unsigned char c : text) {
        out += k_digits[c >> 4];
        out += k_digits[c & 15];
    }
    return out;
}

data::ActionInput parse_action(const json& body) {
    if (!body.is_object()) bad("action", "the body must be an object {\"action\": …}");
    if (!body.contains("action") || !body["action"].is_string()) bad("action", "is required");
    auto action = wangge::parse_action(body["action"].get<std::string>());
    if (!action)
        bad("action",
            "must be one of resolve_on_site, accept, reject, dispatch, start, supervise, resolve, close, reopen");
    data::ActionInput in;
    in.action = *action;
    in.note = optional_text(body, "note", 4000).value_or("");
    const bool dispatch = *action == Action::dispatch;
    for (const char* field : {"platform", "assignees", "handling", "mode"})
        if (!dispatch && body.contains(field)) bad(field, "only a dispatch takes it");
    if (dispatch) {
        if (auto p = optional_text(body, "platform", 16)) {
            if (!is_platform(*p)) bad("platform", "must be zongzhi, shichang, zhifa or bianmin");
            in.platform = *p;
        }
        if (body.contains("assignees")) {
            if (!body["assignees"].is_array()) bad("assignees", "must be an array of worker ids");
            for (const auto& a : body["assignees"]) {
                if (!a.is_string() || a.get<std::string>().empty()) bad("assignees", "must be an array of worker ids");
                in.assignees.push_back(a.get<std::string>());
            }
        }
        if (auto h = optional_text(body, "handling", 16)) {
            if (*h != "guikou" && *h != "xietiao") bad("handling", "must be guikou (归口) or xietiao (协调)");
            in.handling = *h;
        }
        if (auto m = optional_text(body, "mode", 16)) {
            if (*m != "lingban" && *m != "lianban" && *m != "duban") bad("mode", "must be lingban, lianban or duban");
            in.mode = *m;
        }
    }
    return in;
}

long long parse_report_id(const std::string& text) {
    long long id = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || p != text.data() + text.size() || id <= 0) throw Error(ErrorCode::not_found, "no report " + text);
    return id;
}

}  // namespace wangge::api
