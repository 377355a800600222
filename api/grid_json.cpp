#include "api/grid_json.hpp"

#include "core/error.hpp"
#include "data/report_json.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

namespace wangge::api {

nlohmann::json grid_feature(const data::GridRecord& g) {
    using nlohmann::json;
    using data::person_json;
    json props{{"id", g.id},
               {"code", g.code},
               {"name", g.name},
               {"town", g.town},
               {"version", g.version},
               {"valid_from", format_rfc3339(g.valid_from)},
               {"valid_to", g.valid_to ? json(format_rfc3339(*g.valid_to)) : json(nullptr)},
               {"leader", person_json(g.leader)},
               {"worker", person_json(g.worker)},
               {"area_m2", std::round(g.area_m2 * 100) / 100}};
    return {{"type", "Feature"}, {"id", g.id}, {"geometry", json::parse(g.geometry_geojson)}, {"properties", props}};
}

std::optional<int> if_match(const Request& r) {
    auto h = r.header("if-match");
    if (!h) return std::nullopt;
    std::string v = *h;
    if (v.rfind("W/", 0) == 0) v = v.substr(2);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    int out = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc() || p != v.data() + v.size()) throw Error(ErrorCode::precondition_failed, "If-Match must be the grid's version, e.g. \"3\"");
    return out;
}

data::GridEdit parse_grid_feature(const nlohmann::json& f, bool geometry_required) {
    if (!f.is_object() || !f.contains("type") || f["type"] != "Feature")
        throw Error(ErrorCode::bad_request, "each grid must be a GeoJSON Feature");
    data::GridEdit e;
    const nlohmann::json props = f.contains("properties") && f["properties"].is_object() ? f["properties"] : nlohmann::json::object();
    if (f.contains("id") && f["id"].is_string()) e.id = f["id"].get<std::string>();
    if (props.contains("id")) {
        if (!props["id"].is_string()) throw_bad_field("properties.id", "must be a string");
        e.id = props["id"].get<std::string>();
    }
    if (props.contains("version")) {
        // get<int>() would wrap 4294967299 to 3 and match a grid at version 3.
        const auto& v = props["version"];
        const bool in_range = v.is_number_unsigned() ? v.get<std::uint64_t>() <= std::numeric_limits<int>::max()
                                                     : v.is_number_integer() && v.get<std::int64_t>() >= std::numeric_limits<int>::min() &&
                                                           v.get<std::int64_t>() <= std::numeric_limits<int>::max();
        if (!v.is_number_integer() || !in_range) throw_bad_field("properties.version", "must be an integer");
        e.expected_version = v.get<int>();
    }
    for (const char* field : {"name", "code"}) {
        if (!props.contains(field)) continue;
        if (!props[field].is_string() || props[field].get<std::string>().empty())
            throw_bad_field(std::string("properties.") + field, "must be a non-empty string");
        (std::string(field) == "name" ? e.name : e.code) = props[field].get<std::string>();
    }
    if (props.contains("retired")) {
        if (!props["retired"].is_boolean()) throw_bad_field("properties.retired", "must be true or false");
        e.retire = props["retired"].get<bool>();
    }
    if (f.contains("geometry") && !f["geometry"].is_null()) {
        if (!f["geometry"].is_object()) throw_bad_field("geometry", "must be a GeoJSON geometry");
        e.geojson = f["geometry"].dump();
    } else if (geometry_required && !e.retire) {
        throw_bad_field("geometry", "is required");
    }
    return e;
}

std::vector<data::GridEdit> parse_grid_collection(const nlohmann::json& body) {
    if (!body.is_object() || !body.contains("type") || body["type"] != "FeatureCollection" ||
        !body.contains("features") || !body["features"].is_array())
        throw Error(ErrorCode::bad_request, "the body must be a FeatureCollection of changed, new and retired grids");
    std::vector<data::GridEdit> edits;
    for (const auto& f : body["features"]) edits.push_back(parse_grid_feature(f, false));
    return edits;
}

}  // namespace wangge::api
